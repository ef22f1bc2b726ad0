/**
 * `npx tsx tools/als-cost.ts`: what `AsyncLocalStorage` costs per invocation, on this node and on
 * Lambda's Node 24 (where it is built on AsyncContextFrame instead of promise hooks). Each child
 * process runs one variant of a simulated invocation (nested async calls, one I/O turn, an attempt
 * observer called once per DigiCert attempt): `explicit` passes the observer as an argument, as the
 * triggers do; `als` enters a store per invocation and reads it at the attempt. Variants run in
 * separate processes (on Node 20 the first `AsyncLocalStorage` turns on promise hooks for the whole
 * process), interleaved, several rounds; the figure is µs per invocation, median of the rounds.
 * Loopback-free, bounded: `ALS_ROUNDS` (default 5) x 2 variants x `ALS_CALLS` (default 20,000).
 */
import { execFile } from 'node:child_process';
import { resolveLambdaNode } from './bench/child.js';

const ROUNDS = Number(process.env.ALS_ROUNDS ?? 5);
const CALLS = Number(process.env.ALS_CALLS ?? 20_000);

const CHILD = `
import { AsyncLocalStorage } from 'node:async_hooks';
const [variant, calls] = [process.argv[1], Number(process.argv[2])];
const store = new AsyncLocalStorage();
let attempts = 0;
const observe = (observer) => { if (observer) attempts += observer.n; };
async function digicert(observer) {
  await new Promise((resolve) => setImmediate(resolve));
  observe(variant === 'als' ? store.getStore() : observer);
  return 204;
}
async function limiter() { await null; return true; }
async function apiKey() { await null; return 'key'; }
async function useCase(observer) {
  await apiKey();
  await limiter();
  const status = await digicert(observer);
  await null;
  return status;
}
async function delivery(observer) { const r = await useCase(observer); await null; return r; }
async function invocation() {
  const observer = { n: 1 };
  return variant === 'als' ? store.run(observer, () => delivery(undefined)) : delivery(observer);
}
for (let i = 0; i < 2000; i++) await invocation();
const start = process.hrtime.bigint();
for (let i = 0; i < calls; i++) await invocation();
const ns = Number(process.hrtime.bigint() - start);
if (attempts !== calls + 2000) throw new Error('observer not reached');
console.log(JSON.stringify({ usPerCall: ns / calls / 1000 }));
`;

function runChild(node: string, variant: 'explicit' | 'als'): Promise<number> {
  return new Promise((resolve, reject) => {
    execFile(
      node,
      ['--input-type=module', '-e', CHILD, variant, String(CALLS)],
      { timeout: 120_000, killSignal: 'SIGKILL', encoding: 'utf8' },
      (error, stdout) => {
        if (error) reject(error);
        else resolve((JSON.parse(stdout) as { usPerCall: number }).usPerCall);
      },
    );
  });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

const lambda = await resolveLambdaNode();
for (const { label, path } of [
  { label: `this node ${process.version}`, path: process.execPath },
  { label: lambda.label, path: lambda.path },
]) {
  const explicit: number[] = [];
  const als: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    explicit.push(await runChild(path, 'explicit'));
    als.push(await runChild(path, 'als'));
  }
  const [e, a] = [median(explicit), median(als)];
  console.log(
    `${label}: explicit ${e.toFixed(2)} µs/invocation, AsyncLocalStorage ${a.toFixed(2)} µs (+${(a - e).toFixed(2)} µs, x${(a / e).toFixed(2)})`,
  );
}
