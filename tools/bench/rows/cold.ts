/**
 * Row 2, cold start: a fresh `node` importing the bundle (and completing a first invocation) over
 * `node -e 0`, in this environment and in a clean one, with and without `--enable-source-maps`.
 */
import { pathToFileURL } from 'node:url';
import { runNode } from '../child.js';
import { benchHttpEvent } from '../fixtures.js';
import { atMost, type BenchRow, boundedInt, fixed, median, progress, type Row, TARGETS } from '../row.js';

const COLD_RUNS = boundedInt('BENCH_COLD_RUNS', 15, 3, 51);

export const coldRow: BenchRow = {
  id: 'cold',
  label: `cold start (${COLD_RUNS} runs of each kind)`,
  run: ({ bundle, env, cleanEnv }) => coldStart(bundle, env, cleanEnv),
};

/** The code a cold child runs: import the bundle, optionally invoke it once, then signal on fd 3. */
function coldScript(bundle: string, invoke: boolean): string {
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

/** Medians of `COLD_RUNS` runs of each kind, interleaved: the order rotates every round. */
async function coldTimes(bundle: string, env: Record<string, string>, label: string): Promise<ColdTimes> {
  const kinds = [
    { name: 'baseline', args: ['-e', '0'] },
    { name: 'import', args: ['-e', coldScript(bundle, false)] },
    { name: 'first', args: ['-e', coldScript(bundle, true)] },
    { name: 'firstSourceMaps', args: ['--enable-source-maps', '-e', coldScript(bundle, true)] },
  ] as const;
  const done: Record<string, number[]> = { baseline: [], import: [], first: [], firstSourceMaps: [] };
  const firstExit: number[] = [];
  for (let round = 0; round < COLD_RUNS; round++) {
    for (let i = 0; i < kinds.length; i++) {
      const kind = kinds[(round + i) % kinds.length] as (typeof kinds)[number];
      const run = await runNode(kind.args, env);
      // The baseline has nothing to signal: its figure is spawn to exit. The others stop the clock
      // when the answer is there; a Lambda container never exits after an invocation.
      done[kind.name]?.push(kind.name === 'baseline' ? run.exitMs : run.doneMs);
      if (kind.name === 'first') firstExit.push(run.exitMs);
    }
    if ((round + 1) % 5 === 0) progress(`cold start, ${label}: ${round + 1}/${COLD_RUNS}`);
  }
  return {
    baselineMs: median(done.baseline ?? []),
    importMs: median(done.import ?? []),
    firstMs: median(done.first ?? []),
    firstExitMs: median(firstExit),
    firstSourceMapsMs: median(done.firstSourceMaps ?? []),
  };
}

async function coldStart(
  bundle: string,
  env: Record<string, string>,
  cleanEnv: Record<string, string>,
): Promise<Row[]> {
  const t = await coldTimes(bundle, env, 'this environment');
  const c = await coldTimes(bundle, cleanEnv, 'clean environment');
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
      detail: `medians of ${COLD_RUNS} interleaved runs: node -e 0 ${ms(t.baselineMs)}, import ${ms(t.importMs)} (+${ms(t.importMs - t.baselineMs)})`,
    },
    {
      id: 'cold-first-invocation',
      figure: 'Cold start: import + first invocation / node -e 0',
      value: firstRatio,
      display: fixed(firstRatio),
      target: `≤ ${TARGETS.coldFirstInvocationRatio}`,
      verdict: atMost(firstRatio, TARGETS.coldFirstInvocationRatio),
      detail:
        `${ms(t.firstMs)} to the answer, secret fetch included (+${ms(t.firstMs - t.importMs)} over import); ` +
        `the process exits at ${ms(t.firstExitMs)} (${fixed(t.firstExitMs / t.baselineMs)}x): V8 finishes compiling undici's WASM parser at teardown, which a Lambda container never waits for`,
    },
    {
      id: 'cold-first-invocation-source-maps',
      figure: 'Cold start, --enable-source-maps: import + first / node -e 0',
      value: t.firstSourceMapsMs / t.baselineMs,
      display: fixed(t.firstSourceMapsMs / t.baselineMs),
      target: '—',
      verdict: 'info',
      detail: `with the NODE_OPTIONS the stack sets: ${ms(t.firstSourceMapsMs)} (+${ms(t.firstSourceMapsMs - t.firstMs)} for reading the source map)`,
    },
    {
      id: 'cold-import-clean-env',
      figure: 'Cold start, clean env: import alone / node -e 0',
      value: c.importMs / c.baselineMs,
      display: fixed(c.importMs / c.baselineMs),
      target: '—',
      verdict: 'info',
      detail: `environment = PATH only (no NODE_EXTRA_CA_CERTS, as on Lambda): node -e 0 ${ms(c.baselineMs)}, import ${ms(c.importMs)} (+${ms(c.importMs - c.baselineMs)})`,
    },
    {
      id: 'cold-first-invocation-clean-env',
      figure: 'Cold start, clean env: import + first invocation / node -e 0',
      value: c.firstMs / c.baselineMs,
      display: fixed(c.firstMs / c.baselineMs),
      target: '—',
      verdict: 'info',
      detail: `${ms(c.firstMs)} to the answer (+${ms(c.firstMs - c.baselineMs)} over node -e 0); with --enable-source-maps ${ms(c.firstSourceMapsMs)}`,
    },
  ];
}
