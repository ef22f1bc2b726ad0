/**
 * `npm run load`: a bounded loopback load run against `npm start`'s local endpoint. The local
 * server (handler + embedded DigiCert simulator + Secrets Manager stand-in) runs in a child process
 * so that its RSS is measured alone; autocannon drives it from this process on 127.0.0.1.
 *
 * Prints a small table; exits non-zero when any request failed (non-2xx, error or timeout) or when
 * the server's RSS or its heap in use after a full GC grew by more than LOAD_MAX_RSS_RATIO between
 * the end of the warm-up and the end. (RSS also follows how much heap V8 chooses to keep reserved;
 * the heap in use after GC is the steadier sign of a leak.)
 *
 * LOAD_REQUESTS (10000), LOAD_CONNECTIONS (50), LOAD_WARMUP (5000), LOAD_MAX_RSS_RATIO (1.5).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { startLocalServer } from '../dev/local-server.js';
import { quietSdkNodeWarning } from '../dev/sdk-endpoint.js';
import { RESEND_ROUTE, resendPath } from '../functions/app/contract.js';

type ToServer = { type: 'memory' } | { type: 'stop' };
type FromServer = { type: 'ready'; url: string } | { type: 'memory'; rss: number; heapUsed: number };
type Memory = { rss: number; heapUsed: number };

/** The whole run is stopped after this, whatever happens. */
const HARD_LIMIT_MS = 180_000;

function positive(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`${name} must be a positive number, got "${raw}"`);
  return value;
}

/** Child side: serve on a free loopback port, answer RSS questions, stop when told. */
async function serve(): Promise<void> {
  // Always the embedded simulator: a load test must never reach the real DigiCert, whatever the shell holds.
  const server = await startLocalServer(
    0,
    () => undefined,
    {
      ...process.env,
      DIGICERT_API_KEY: '',
      DIGICERT_API_KEY_SECRET_ID: '',
      // The simulator has no rate limit; this measures the server, not DigiCert's 100-per-5-s budget.
      DIGICERT_RATE_LIMIT_PER_5S: '1000000',
      DIGICERT_RATE_LIMIT_PER_3MIN: '1000000',
    },
    // Nor the embedded state table: dynalite in this process would be measured with the server,
    // its memory growing with every budget slot used (a million here).
    { embedStateTable: false },
  );
  if (server.mode !== 'simulator') throw new Error('the load test runs against the embedded simulator only');
  const send = (message: FromServer) => process.send?.(message);
  process.on('message', (message: ToServer) => {
    if (message.type === 'memory') {
      // Collect first, so that the figures are what the process keeps, not garbage not yet collected.
      globalThis.gc?.();
      const { rss, heapUsed } = process.memoryUsage();
      send({ type: 'memory', rss, heapUsed });
    } else {
      void server.close().then(() => process.exit(0));
    }
  });
  send({ type: 'ready', url: server.url });
}

function next(child: ChildProcess, type: FromServer['type']): Promise<FromServer> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: FromServer) => {
      if (message.type !== type) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(message);
    };
    const onExit = (code: number | null) => reject(new Error(`local server exited early (code ${code})`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

async function memoryOf(child: ChildProcess): Promise<Memory> {
  const answer = next(child, 'memory');
  child.send({ type: 'memory' } satisfies ToServer);
  const message = await answer;
  return message.type === 'memory' ? message : { rss: Number.NaN, heapUsed: Number.NaN };
}

function run(url: string, amount: number, connections: number): Promise<autocannon.Result> {
  return autocannon({
    url: `${url}${resendPath(123)}`,
    method: RESEND_ROUTE.method,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      domain_approval_emails: [{ domain: 'example.com', email: 'admin@example.com' }],
      locale: 'en',
    }),
    connections,
    amount,
    timeout: 10,
  });
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

async function main(): Promise<number> {
  const requests = positive('LOAD_REQUESTS', 10_000);
  const connections = positive('LOAD_CONNECTIONS', 50);
  // Long enough for V8 to size its heap and tier up the hot code before the first sample.
  const warmup = positive('LOAD_WARMUP', 5_000);
  const maxRatio = positive('LOAD_MAX_RSS_RATIO', 1.5);

  const child = fork(fileURLToPath(import.meta.url), ['--serve'], {
    execArgv: [...process.execArgv, '--expose-gc'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const guard = setTimeout(() => {
    console.error(`load: stopped after ${HARD_LIMIT_MS / 1000} s`);
    child.kill();
    process.exit(2);
  }, HARD_LIMIT_MS);
  guard.unref();
  try {
    const ready = await next(child, 'ready');
    const url = ready.type === 'ready' ? ready.url : '';

    const warm = await run(url, warmup, connections);
    const afterWarmup = await memoryOf(child);
    const result = await run(url, requests, connections);
    const atEnd = await memoryOf(child);

    const failures =
      result.non2xx + result.errors + result.timeouts + warm.non2xx + warm.errors + warm.timeouts;
    const ratio = atEnd.rss / afterWarmup.rss;
    const heapRatio = atEnd.heapUsed / afterWarmup.heapUsed;
    const rows: [string, string][] = [
      ['target', `${url} (loopback; embedded DigiCert simulator)`],
      ['requests (after warm-up)', `${result.requests.total} at concurrency ${connections}`],
      ['warm-up requests', String(warm.requests.total)],
      ['2xx', String(result['2xx'])],
      ['non-2xx / errors / timeouts', `${result.non2xx} / ${result.errors} / ${result.timeouts}`],
      ['throughput', `${result.requests.average.toFixed(0)} req/s over ${result.duration.toFixed(1)} s`],
      ['latency p50 / p99 / max', `${result.latency.p50} / ${result.latency.p99} / ${result.latency.max} ms`],
      ['server RSS after warm-up / at end', `${mb(afterWarmup.rss)} / ${mb(atEnd.rss)}`],
      ['RSS ratio end / warm-up', `${ratio.toFixed(3)} (limit ${maxRatio})`],
      ['heap used after GC, warm-up / end', `${mb(afterWarmup.heapUsed)} / ${mb(atEnd.heapUsed)}`],
      ['heap ratio end / warm-up', `${heapRatio.toFixed(3)} (limit ${maxRatio})`],
    ];
    const width = Math.max(...rows.map(([name]) => name.length));
    for (const [name, value] of rows) console.log(`${name.padEnd(width)}  ${value}`);

    if (failures > 0) console.error(`load: ${failures} request(s) failed`);
    const grew = !(ratio <= maxRatio && heapRatio <= maxRatio);
    if (grew)
      console.error(
        `load: server memory grew after warm-up (RSS ${ratio.toFixed(3)}x, heap ${heapRatio.toFixed(3)}x)`,
      );
    return failures === 0 && !grew ? 0 : 1;
  } finally {
    child.send({ type: 'stop' } satisfies ToServer);
    clearTimeout(guard);
  }
}

quietSdkNodeWarning();
if (process.argv.includes('--serve')) {
  await serve();
} else {
  process.exitCode = await main();
}
