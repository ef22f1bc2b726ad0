/**
 * Cold start in the deployed configuration: like the cold row (`cold.ts`), a fresh `node` (Lambda's
 * Node 24) importing the bundle and completing a first HTTP resend, over `node -e 0`, but with the
 * state table the stack always sets (`STATE_TABLE_NAME`, here dynalite on 127.0.0.1 through
 * `AWS_ENDPOINT_URL_DYNAMODB`) and the `--enable-source-maps` the stack puts in `NODE_OPTIONS`. The
 * first call takes its slot of the shared budget on the table; a second kind sends an
 * `Idempotency-Key`, so that its first call is also recorded (Powertools idempotency).
 *
 * `BENCH_COLD_STATE_COMPARE=<another build's index.mjs>` times that bundle too, interleaved in the
 * same run (a build of another commit: `tools/bench/build.ts`'s `buildBundle`), so that a change is
 * measured before and after on one machine at one load. Machine-dependent: `--gate` never fails on it.
 */
import { pathToFileURL } from 'node:url';
import { startDynalite } from '../../../test/support/dynalite.js';
import { runtimeEnvLabel } from '../child.js';
import { benchHttpEvent } from '../fixtures.js';
import { type BenchRow, boundedInt, fixed, type Row } from '../row.js';
import { type ColdKind, interleavedColdRuns } from './cold.js';

const COLD_STATE_RUNS = boundedInt('BENCH_COLD_RUNS', 15, 3, 51);

/**
 * A cold child: imports the bundle, sends one HTTP resend (with a fresh `Idempotency-Key` when
 * `recorded`), checks it answered 204, then signals on fd 3.
 */
function coldStateScript(bundle: string, recorded: boolean): string {
  const event = JSON.stringify(benchHttpEvent('bench-cold-state'));
  const key = recorded ? `e.headers['idempotency-key']='bench-cold-state-'+process.pid+'-'+Date.now();` : '';
  return (
    `import(${JSON.stringify(pathToFileURL(bundle).href)}).then(async(m)=>{const e=${event};${key}` +
    `const r=await m.handler(e,{awsRequestId:'bench-cold-state-'+process.pid,getRemainingTimeInMillis:()=>30000});` +
    `if(r.statusCode!==204)throw new Error('status '+r.statusCode+' '+r.body);` +
    `require('node:fs').writeSync(3,'done');process.exit(0)},(e)=>{console.error(e);process.exit(1)})`
  );
}

const kindsOf = (prefix: string, bundle: string): ColdKind[] => [
  { name: `${prefix}first`, args: ['--enable-source-maps', '-e', coldStateScript(bundle, false)] },
  { name: `${prefix}recorded`, args: ['--enable-source-maps', '-e', coldStateScript(bundle, true)] },
];

export const coldStateRow: BenchRow = {
  id: 'cold-state',
  label: `cold start with the state table (${COLD_STATE_RUNS} runs of each kind)`,
  run: async ({ bundle, env, lambdaNode }) => {
    const node = await lambdaNode();
    const compare = process.env.BENCH_COLD_STATE_COMPARE;
    const dynamo = await startDynalite();
    try {
      const stateEnv = {
        ...env,
        STATE_TABLE_NAME: dynamo.tableName,
        AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      };
      const kinds: ColdKind[] = [
        { name: 'baseline', args: ['-e', '0'], exitTimed: true },
        ...kindsOf('', bundle),
        ...(compare ? kindsOf('compare-', compare) : []),
      ];
      const { done } = await interleavedColdRuns(
        kinds,
        COLD_STATE_RUNS,
        stateEnv,
        node,
        'cold start, state table',
      );
      const at = (name: string) => done[name] ?? Number.NaN;
      const baseline = at('baseline');
      const ms = (value: number) => `${fixed(value, 0)} ms`;
      const row = (id: string, figure: string, name: string, what: string): Row => ({
        id,
        figure,
        value: at(name) / baseline,
        display: fixed(at(name) / baseline),
        target: '—',
        verdict: 'info',
        gated: false,
        detail: `${node.label}, ${runtimeEnvLabel()}, --enable-source-maps, STATE_TABLE_NAME on dynalite; medians of ${COLD_STATE_RUNS} interleaved runs: node -e 0 ${ms(baseline)}, ${what} ${ms(at(name))} (+${ms(at(name) - baseline)})`,
      });
      return [
        row(
          'cold-state-first-invocation',
          'Cold start, state table: import + first invocation / node -e 0',
          'first',
          'import + first HTTP resend (its slot taken on the table)',
        ),
        row(
          'cold-state-first-recorded',
          'Cold start, state table: import + first recorded invocation / node -e 0',
          'recorded',
          'import + first HTTP resend with an Idempotency-Key (slot and record on the table)',
        ),
        ...(compare
          ? [
              row(
                'cold-state-compare-first-invocation',
                'Cold start, state table, BENCH_COLD_STATE_COMPARE: import + first / node -e 0',
                'compare-first',
                `${compare}: import + first HTTP resend`,
              ),
              row(
                'cold-state-compare-first-recorded',
                'Cold start, state table, BENCH_COLD_STATE_COMPARE: import + first recorded / node -e 0',
                'compare-recorded',
                `${compare}: import + first HTTP resend with an Idempotency-Key`,
              ),
            ]
          : []),
      ];
    } finally {
      await dynamo.close();
    }
  },
};
