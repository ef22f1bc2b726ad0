/**
 * The child side of `npm run bench` (see `index.ts`): imports the BUILT bundle, invokes its
 * handler in-process, and reports one JSON object on file descriptor 3. The benchmark bundles this
 * file with esbuild and runs it with plain `node`, so nothing here is transpiled on the fly.
 *
 *   node probe.mjs <bundle.mjs> warm|secrets|memory
 *
 * The DigiCert simulator and the Secrets Manager stand-in run in the parent (`DIGICERT_BASE_URL`,
 * `AWS_ENDPOINT_URL_SECRETS_MANAGER`); the handler's log lines go to the child's stdout, which the
 * parent discards.
 */
import { readFileSync, writeSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import { DIGICERT_RESEND_ROUTE, resendPath } from '../../functions/shared/contract.js';
import { BENCH_BODY, BENCH_ORDER_ID, benchContext, benchHttpEvent } from './fixtures.js';

type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

function report(result: unknown): void {
  writeSync(3, `${JSON.stringify(result)}\n`);
}

function statusOf(result: unknown): number | undefined {
  return typeof result === 'object' && result !== null && 'statusCode' in result
    ? Number((result as { statusCode: unknown }).statusCode)
    : undefined;
}

async function invokeOk(handler: LambdaHandler, event: unknown, context: Context): Promise<void> {
  const status = statusOf(await handler(event, context));
  if (status !== 204) throw new Error(`the handler answered ${status}, expected 204`);
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

/**
 * Handler vs floor, interleaved: rounds of `perRound` calls of one then the other, the order
 * alternating between rounds, so that drift in machine load hits both sides alike.
 */
async function warm(handler: LambdaHandler): Promise<void> {
  const base = new URL(process.env.DIGICERT_BASE_URL ?? '');
  const key = process.env.BENCH_DIGICERT_KEY ?? '';
  // Imported here only: the other modes must measure the bundle alone, not a second undici.
  const { Pool } = await import('undici');
  const pool = new Pool(base.origin, { connections: 32, pipelining: 1 });
  const path = `${base.pathname}${resendPath(BENCH_ORDER_ID)}`;
  const headers = { 'content-type': 'application/json', 'x-dc-devkey': key };
  const floor = async () => {
    const response = await pool.request({
      method: DIGICERT_RESEND_ROUTE.method,
      path,
      headers,
      body: BENCH_BODY,
    });
    await response.body.dump();
    if (response.statusCode !== 204) throw new Error(`the floor request got ${response.statusCode}`);
  };
  const event = benchHttpEvent('bench-warm');
  const context = benchContext('bench-warm');
  const invoke = () => invokeOk(handler, event, context);

  const rounds = 60;
  const perRound = 150;
  // Warm-up plus measured calls stay under the 10,000 the rate limiter lets through without a wait.
  for (let i = 0; i < 500; i++) {
    await invoke();
    await floor();
  }
  const handlerTimes: number[] = [];
  const floorTimes: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const sides: [() => Promise<void>, number[]][] = [
      [invoke, handlerTimes],
      [floor, floorTimes],
    ];
    if (round % 2 === 1) sides.reverse();
    for (const [run, times] of sides) {
      for (let i = 0; i < perRound; i++) {
        const started = performance.now();
        await run();
        times.push(performance.now() - started);
      }
    }
  }
  await pool.close();
  handlerTimes.sort((a, b) => a - b);
  floorTimes.sort((a, b) => a - b);
  report({
    samples: handlerTimes.length,
    handlerP50Ms: quantile(handlerTimes, 0.5),
    handlerP99Ms: quantile(handlerTimes, 0.99),
    floorP50Ms: quantile(floorTimes, 0.5),
    floorP99Ms: quantile(floorTimes, 0.99),
  });
}

/** 50 invocations at once on a cold container, then 1,000 warm ones, one after another. */
async function secrets(handler: LambdaHandler): Promise<void> {
  await Promise.all(
    Array.from({ length: 50 }, (_, i) =>
      invokeOk(handler, benchHttpEvent(`cold-${i}`), benchContext(`cold-${i}`)),
    ),
  );
  for (let i = 0; i < 1_000; i++)
    await invokeOk(handler, benchHttpEvent(`warm-${i}`), benchContext(`warm-${i}`));
  report({ invocations: 1_050 });
}

/**
 * RSS after 100, 10,000 and 20,000 invocations. At each point the process settles first: a full GC
 * (with `--expose-gc`), then a pause so that V8's background compilers finish (tiering up undici's
 * WASM parser alone briefly takes ~20 MB), then another GC. What remains is what the container keeps.
 */
async function memory(handler: LambdaHandler): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  const settle = async () => {
    gc?.();
    await new Promise((resolve) => setTimeout(resolve, 300));
    gc?.();
    return process.memoryUsage();
  };
  const event = benchHttpEvent('bench-memory');
  const context = benchContext('bench-memory');
  let done = 0;
  for (; done < 100; done++) await invokeOk(handler, event, context);
  const early = await settle();
  for (; done < 10_000; done++) await invokeOk(handler, event, context);
  const late = await settle();
  const rssFileAfter10000 = rssFile();
  for (; done < 20_000; done++) await invokeOk(handler, event, context);
  const steady = await settle();
  report({
    gcExposed: gc !== undefined,
    rssFileAfter10000,
    rssAfter100: early.rss,
    rssAfter10000: late.rss,
    rssAfter20000: steady.rss,
    heapUsedAfter100: early.heapUsed,
    heapUsedAfter10000: late.heapUsed,
    heapUsedAfter20000: steady.heapUsed,
  });
}

/** Resident pages mapped from files (mostly the node binary itself), on Linux; else `undefined`. */
function rssFile(): number | undefined {
  try {
    const line = readFileSync('/proc/self/status', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('RssFile:'));
    const kb = Number(line?.replace(/\D+/g, ''));
    return Number.isFinite(kb) && kb > 0 ? kb * 1024 : undefined;
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const [bundle, mode] = process.argv.slice(2);
  if (!bundle || !mode) throw new Error('usage: probe.mjs <bundle.mjs> warm|secrets|memory');
  const { handler } = (await import(pathToFileURL(bundle).href)) as { handler: LambdaHandler };
  if (mode === 'warm') await warm(handler);
  else if (mode === 'secrets') await secrets(handler);
  else if (mode === 'memory') await memory(handler);
  else throw new Error(`unknown mode ${mode}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench probe failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
