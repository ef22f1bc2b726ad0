/**
 * Row 2, cold start: a fresh `node` (Lambda's Node 24) importing the bundle (and completing a first
 * invocation) over `node -e 0`, in this environment and in a clean one, with and without
 * `--enable-source-maps`. Machine-dependent: `--gate` reports it, never fails on it.
 */
import { pathToFileURL } from 'node:url';
import { type NodeRuntime, runNode, runtimeEnvLabel } from '../child.js';
import { benchHttpEvent } from '../fixtures.js';
import { atMost, type BenchRow, boundedInt, fixed, median, progress, type Row, TARGETS } from '../row.js';

const COLD_RUNS = boundedInt('BENCH_COLD_RUNS', 15, 3, 51);

export const coldRow: BenchRow = {
  id: 'cold',
  label: `cold start (${COLD_RUNS} runs of each kind)`,
  run: async ({ bundle, env, cleanEnv, lambdaNode }) => coldStart(bundle, env, cleanEnv, await lambdaNode()),
};

/**
 * The code a cold child runs: import the bundle (its entry file; chunks load from beside it),
 * optionally invoke it once and check that it answered 204, then signal on fd 3.
 */
export function coldScript(bundle: string, invoke: boolean): string {
  const event = JSON.stringify(benchHttpEvent('bench-cold'));
  const call = invoke
    ? `const r=await m.handler(${event},{awsRequestId:'bench-cold',getRemainingTimeInMillis:()=>30000});if(r.statusCode!==204)throw new Error('status '+r.statusCode);`
    : '';
  return `import(${JSON.stringify(pathToFileURL(bundle).href)}).then(async(m)=>{${call}require('node:fs').writeSync(3,'done');process.exit(0)},(e)=>{console.error(e);process.exit(1)})`;
}

interface ColdTimes {
  readonly baselineMs: number;
  readonly importMs: number;
  readonly firstMs: number;
  readonly firstExitMs: number;
  /** Import + first invocation with the flag the stack sets (`NODE_OPTIONS=--enable-source-maps`). */
  readonly firstSourceMapsMs: number;
}

/** One kind of cold child: `node <args>`, timed to its signal (or, for `exitTimed`, to its exit). */
export interface ColdKind {
  readonly name: string;
  readonly args: readonly string[];
  readonly exitTimed?: boolean;
  /** Its own environment instead of the run's (the peers run without the stack's runtime variables). */
  readonly env?: Record<string, string>;
}

/**
 * Medians of `runs` runs of each kind, interleaved: the order rotates every round, so that drift in
 * machine load hits every kind alike. Also the median time to exit of each kind.
 */
export async function interleavedColdRuns(
  kinds: readonly ColdKind[],
  runs: number,
  env: Record<string, string>,
  node: NodeRuntime,
  label: string,
): Promise<{ done: Record<string, number>; exit: Record<string, number> }> {
  const done = new Map<string, number[]>(kinds.map((kind) => [kind.name, []]));
  const exit = new Map<string, number[]>(kinds.map((kind) => [kind.name, []]));
  for (let round = 0; round < runs; round++) {
    for (let i = 0; i < kinds.length; i++) {
      const kind = kinds[(round + i) % kinds.length] as ColdKind;
      const run = await runNode(kind.args, kind.env ?? env, node.path);
      // A kind with nothing to signal is timed spawn to exit. The others stop the clock when the
      // answer is there; a Lambda container never exits after an invocation.
      done.get(kind.name)?.push(kind.exitTimed ? run.exitMs : run.doneMs);
      exit.get(kind.name)?.push(run.exitMs);
    }
    if ((round + 1) % 5 === 0) progress(`${label}: ${round + 1}/${runs}`);
  }
  const medians = (times: Map<string, number[]>) =>
    Object.fromEntries([...times].map(([name, values]) => [name, median(values)]));
  return { done: medians(done), exit: medians(exit) };
}

/** Medians of `COLD_RUNS` runs of each kind, interleaved. */
async function coldTimes(
  bundle: string,
  env: Record<string, string>,
  node: NodeRuntime,
  label: string,
): Promise<ColdTimes> {
  const kinds: ColdKind[] = [
    { name: 'baseline', args: ['-e', '0'], exitTimed: true },
    { name: 'import', args: ['-e', coldScript(bundle, false)] },
    { name: 'first', args: ['-e', coldScript(bundle, true)] },
    { name: 'firstSourceMaps', args: ['--enable-source-maps', '-e', coldScript(bundle, true)] },
  ];
  const { done, exit } = await interleavedColdRuns(kinds, COLD_RUNS, env, node, `cold start, ${label}`);
  const at = (times: Record<string, number>, name: string) => times[name] ?? Number.NaN;
  return {
    baselineMs: at(done, 'baseline'),
    importMs: at(done, 'import'),
    firstMs: at(done, 'first'),
    firstExitMs: at(exit, 'first'),
    firstSourceMapsMs: at(done, 'firstSourceMaps'),
  };
}

async function coldStart(
  bundle: string,
  env: Record<string, string>,
  cleanEnv: Record<string, string>,
  node: NodeRuntime,
): Promise<Row[]> {
  const t = await coldTimes(bundle, env, node, 'this environment');
  const c = await coldTimes(bundle, cleanEnv, node, 'clean environment');
  const importRatio = t.importMs / t.baselineMs;
  const firstRatio = t.firstMs / t.baselineMs;
  const ms = (value: number) => `${fixed(value, 0)} ms`;
  return [
    {
      id: 'cold-import',
      figure: 'Cold start: import alone / node -e 0',
      value: importRatio,
      display: fixed(importRatio),
      target: `≤ ${TARGETS.coldImportRatio}`,
      verdict: atMost(importRatio, TARGETS.coldImportRatio),
      gated: false,
      detail: `${node.label}, ${runtimeEnvLabel()} (the stack's, for every kind), medians of ${COLD_RUNS} interleaved runs: node -e 0 ${ms(t.baselineMs)}, import ${ms(t.importMs)} (+${ms(t.importMs - t.baselineMs)})`,
    },
    {
      id: 'cold-first-invocation',
      figure: 'Cold start: import + first invocation / node -e 0',
      value: firstRatio,
      display: fixed(firstRatio),
      target: `≤ ${TARGETS.coldFirstInvocationRatio}`,
      verdict: atMost(firstRatio, TARGETS.coldFirstInvocationRatio),
      gated: false,
      detail:
        `${node.label}: ${ms(t.firstMs)} to the answer, secret fetch included (+${ms(t.firstMs - t.importMs)} over import); ` +
        `the process exits at ${ms(t.firstExitMs)} (${fixed(t.firstExitMs / t.baselineMs)}x): V8 finishes compiling undici's WASM parser at teardown, which a Lambda container never waits for`,
    },
    {
      id: 'cold-first-invocation-source-maps',
      figure: 'Cold start, --enable-source-maps: import + first / node -e 0',
      value: t.firstSourceMapsMs / t.baselineMs,
      display: fixed(t.firstSourceMapsMs / t.baselineMs),
      target: '—',
      verdict: 'info',
      gated: false,
      detail: `${node.label}, with the NODE_OPTIONS the stack sets: ${ms(t.firstSourceMapsMs)} (+${ms(t.firstSourceMapsMs - t.firstMs)} for reading the source map)`,
    },
    {
      id: 'cold-import-clean-env',
      figure: 'Cold start, clean env: import alone / node -e 0',
      value: c.importMs / c.baselineMs,
      display: fixed(c.importMs / c.baselineMs),
      target: '—',
      verdict: 'info',
      gated: false,
      detail: `${node.label}, environment = PATH only (no NODE_EXTRA_CA_CERTS, as on Lambda): node -e 0 ${ms(c.baselineMs)}, import ${ms(c.importMs)} (+${ms(c.importMs - c.baselineMs)})`,
    },
    {
      id: 'cold-first-invocation-clean-env',
      figure: 'Cold start, clean env: import + first invocation / node -e 0',
      value: c.firstMs / c.baselineMs,
      display: fixed(c.firstMs / c.baselineMs),
      target: '—',
      verdict: 'info',
      gated: false,
      detail: `${node.label}: ${ms(c.firstMs)} to the answer (+${ms(c.firstMs - c.baselineMs)} over node -e 0); with --enable-source-maps ${ms(c.firstSourceMapsMs)}`,
    },
  ];
}
