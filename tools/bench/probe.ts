/**
 * The child side of `npm run bench` (see `index.ts`): imports the BUILT bundle, invokes its
 * handler in-process, and reports one JSON object on file descriptor 3. The benchmark bundles this
 * file with esbuild and runs it with plain `node`, so nothing here is transpiled on the fly.
 *
 *   node probe.mjs <bundle.mjs> warm|secrets|memory|memory-floor
 *   node probe.mjs <bundle.mjs> peers-warm <name>=<peer.mjs>...
 *
 * The DigiCert simulator and the Secrets Manager stand-in run in the parent (`DIGICERT_BASE_URL`,
 * `AWS_ENDPOINT_URL_SECRETS_MANAGER`); the handler's log lines go to the child's stdout, which the
 * parent discards.
 */
import { readFileSync, writeSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { getHeapSpaceStatistics } from 'node:v8';
import type { Context } from 'aws-lambda';
import { DIGICERT_RESEND_ROUTE, resendPath } from '../../functions/app/contract.js';
import { BENCH_BODY, BENCH_ORDER_ID, benchContext, benchHttpEvent } from './fixtures.js';

const USAGE =
  'usage: probe.mjs <bundle.mjs> warm|secrets|memory|memory-floor, or <bundle.mjs> peers-warm <name>=<peer.mjs>...';

type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

function report(result: unknown): void {
  writeSync(3, `${JSON.stringify(result)}\n`);
}

function statusOf(result: unknown): number | undefined {
  return typeof result === 'object' && result !== null && 'statusCode' in result
    ? Number((result as { statusCode: unknown }).statusCode)
    : undefined;
}

async function invokeOk(
  handler: LambdaHandler,
  event: unknown,
  context: Context,
  name = 'the handler',
): Promise<void> {
  const status = statusOf(await handler(event, context));
  if (status !== 204) throw new Error(`${name} answered ${status}, expected 204`);
}

async function importHandler(bundle: string): Promise<LambdaHandler> {
  const { handler } = (await import(pathToFileURL(bundle).href)) as { handler: LambdaHandler };
  return handler;
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

/** p50 and p99 of one side of the warm comparison, in milliseconds. */
interface Quantiles {
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/**
 * The floor: one PUT of the benchmark's body to the simulator through a bare undici `Pool`, what
 * the function's DigiCert call costs without the function. undici is imported here only: the other
 * modes must measure the bundle alone, not a second undici.
 */
async function bareFloor(): Promise<{ put: () => Promise<void>; close: () => Promise<void> }> {
  const base = new URL(process.env.DIGICERT_BASE_URL ?? '');
  const { Pool } = await import('undici');
  const pool = new Pool(base.origin, { connections: 32, pipelining: 1 });
  const path = `${base.pathname}${resendPath(BENCH_ORDER_ID)}`;
  const headers = { 'content-type': 'application/json', 'x-dc-devkey': process.env.BENCH_DIGICERT_KEY ?? '' };
  const put = async () => {
    const response = await pool.request({
      method: DIGICERT_RESEND_ROUTE.method,
      path,
      headers,
      body: BENCH_BODY,
    });
    await response.body.dump();
    if (response.statusCode !== 204) throw new Error(`the floor request got ${response.statusCode}`);
  };
  return { put, close: () => pool.close() };
}

/** One side of an interleaved comparison: what one call of it does. */
interface Side {
  readonly name: string;
  readonly run: () => Promise<void>;
}

/**
 * The sides interleaved: rounds of `perRound` calls of each in turn, the order rotating between
 * rounds, so that drift in machine load hits every side alike. p50 and p99 of each, by name.
 */
async function interleaved(
  sides: readonly Side[],
  plan: { readonly warmUp: number; readonly rounds: number; readonly perRound: number },
): Promise<Record<string, Quantiles>> {
  const times = sides.map(() => [] as number[]);
  for (let i = 0; i < plan.warmUp; i++) for (const side of sides) await side.run();
  for (let round = 0; round < plan.rounds; round++) {
    for (let s = 0; s < sides.length; s++) {
      const index = (round + s) % sides.length;
      const side = sides[index] as Side;
      const sideTimes = times[index] as number[];
      for (let i = 0; i < plan.perRound; i++) {
        const started = performance.now();
        await side.run();
        sideTimes.push(performance.now() - started);
      }
    }
  }
  const quantiles = (values: number[]): Quantiles => {
    values.sort((a, b) => a - b);
    return { p50Ms: quantile(values, 0.5), p99Ms: quantile(values, 0.99) };
  };
  return Object.fromEntries(sides.map((side, i) => [side.name, quantiles(times[i] as number[])]));
}

/** A handler as a side: the warm row's request, checked to answer 204. */
function handlerSide(name: string, handler: LambdaHandler): Side {
  const event = benchHttpEvent('bench-warm');
  const context = benchContext('bench-warm');
  return { name, run: () => invokeOk(handler, event, context, name) };
}

/**
 * What the handler writes to stdout per invocation, in bytes and in `write` calls, over `calls`
 * invocations (the lines of one turn go out in one write at its end: `observability/logger.ts`).
 */
async function stdoutPerCall(
  handler: LambdaHandler,
  calls: number,
): Promise<{ bytes: number; writes: number }> {
  const write = process.stdout.write;
  let bytes = 0;
  let writes = 0;
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
    bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
    writes += 1;
    return write.call(process.stdout, chunk, ...rest);
  }) as typeof process.stdout.write;
  try {
    const side = handlerSide('ours', handler);
    for (let i = 0; i < calls; i++) await side.run();
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.stdout.write = write;
  }
  return { bytes: bytes / calls, writes: writes / calls };
}

/**
 * Our handler against two floors, interleaved: the bare pooled PUT, and the same PUT followed by one
 * `process.stdout.write` of a line as long as what the handler writes per invocation (issue 26:
 * the log line the contract asks for is part of the job, and its system call part of any floor).
 * Warm-up plus measured calls stay under the 10,000 the rate limiter lets through without a wait.
 */
async function warm(handler: LambdaHandler): Promise<void> {
  const floor = await bareFloor();
  const written = await stdoutPerCall(handler, 50);
  const line = `${'x'.repeat(Math.max(0, Math.round(written.bytes) - 1))}\n`;
  const result = await interleaved(
    [
      handlerSide('ours', handler),
      { name: 'put', run: floor.put },
      {
        name: 'putAndWrite',
        run: async () => {
          await floor.put();
          process.stdout.write(line);
        },
      },
    ],
    { warmUp: 500, rounds: 60, perRound: 150 },
  );
  await floor.close();
  const none: Quantiles = { p50Ms: Number.NaN, p99Ms: Number.NaN };
  const [ours, put, putAndWrite] = [result.ours ?? none, result.put ?? none, result.putAndWrite ?? none];
  report({
    samples: 60 * 150,
    lineBytes: line.length,
    writesPerCall: written.writes,
    handlerP50Ms: ours.p50Ms,
    handlerP99Ms: ours.p99Ms,
    floorP50Ms: put.p50Ms,
    floorP99Ms: put.p99Ms,
    writeFloorP50Ms: putAndWrite.p50Ms,
    writeFloorP99Ms: putAndWrite.p99Ms,
  });
}

/** Ours and the peers (`peers/`) in one process, interleaved with each other and the floor. */
async function peersWarm(handler: LambdaHandler, peers: readonly string[]): Promise<void> {
  const floor = await bareFloor();
  const sides = [handlerSide('ours', handler)];
  for (const peer of peers) {
    const at = peer.indexOf('=');
    const name = peer.slice(0, Math.max(0, at));
    const bundle = peer.slice(at + 1);
    if (!name || !bundle) throw new Error(USAGE);
    sides.push(handlerSide(name, await importHandler(bundle)));
  }
  const plan = { warmUp: 300, rounds: 40, perRound: 100 };
  const { floor: floorQuantiles, ...handlers } = await interleaved(
    [...sides, { name: 'floor', run: floor.put }],
    plan,
  );
  await floor.close();
  report({ samples: plan.rounds * plan.perRound, floor: floorQuantiles, handlers });
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
 * Heap used and RSS after 1,000, 10,000 and 20,000 invocations. At each point the process settles
 * first: a full GC (with `--expose-gc`), then a pause so that V8's background compilers finish
 * (tiering up undici's WASM parser alone briefly takes ~20 MB), then another GC. The heap left is
 * what the code keeps; 1,000 invocations in, caches, pools and the secret are all in it.
 */
async function memory(handler: LambdaHandler): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc)
    throw new Error('memory needs --expose-gc: heap used without a full GC measures the GC, not the code');
  const settle = async () => {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 300));
    gc();
    return process.memoryUsage();
  };
  const event = benchHttpEvent('bench-memory');
  const context = benchContext('bench-memory');
  let done = 0;
  for (; done < 1_000; done++) await invokeOk(handler, event, context);
  const early = await settle();
  for (; done < 10_000; done++) await invokeOk(handler, event, context);
  const late = await settle();
  const rssFileAfter10000 = rssFile();
  const newSpace = getHeapSpaceStatistics().find((space) => space.space_name === 'new_space');
  for (; done < 20_000; done++) await invokeOk(handler, event, context);
  const steady = await settle();
  report({
    rssFileAfter10000,
    // Where the RSS after 10,000 is: V8's heap (committed, the young generation's part apart) and
    // the memory V8 accounts outside it (undici's WASM parser, buffers).
    heapTotalAfter10000: late.heapTotal,
    newSpaceAfter10000: newSpace?.space_size,
    externalAfter10000: late.external,
    rssAfter1000: early.rss,
    rssAfter10000: late.rss,
    rssAfter20000: steady.rss,
    heapUsedAfter1000: early.heapUsed,
    heapUsedAfter10000: late.heapUsed,
    heapUsedAfter20000: steady.heapUsed,
  });
}

/**
 * A floor for the memory row: no handler, the same 10,000 PUTs through a bare undici `Pool` (the
 * floor of the warm row), then RSS after the same settling: what a process of this Node, with these
 * flags, holds for the job without the function's code (with the probe's own, and all of undici).
 */
async function memoryFloor(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('memory-floor needs --expose-gc');
  const floor = await bareFloor();
  for (let i = 0; i < 10_000; i++) await floor.put();
  gc();
  await new Promise((resolve) => setTimeout(resolve, 300));
  gc();
  report({ rssAfter10000: process.memoryUsage().rss, rssFileAfter10000: rssFile() });
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
  const [bundle, mode, ...peers] = process.argv.slice(2);
  if (!bundle || !mode) throw new Error(USAGE);
  if (mode === 'memory-floor') return memoryFloor();
  const handler = await importHandler(bundle);
  if (mode === 'warm') await warm(handler);
  else if (mode === 'peers-warm') await peersWarm(handler, peers);
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
