/**
 * Cold start as deployed against the naive peer (issue 26, item 3): a fresh `node` (Lambda's Node 24)
 * importing our bundle with the state table the stack always sets (dynalite on 127.0.0.1, behind the
 * counting proxy holding every table request `DELAY_MS`, an in-region round trip) and completing a
 * first plain HTTP resend, over a fresh `node` importing the naive peer (`peers/naive.ts`, which keeps
 * no state) and completing its first call; medians of interleaved runs, with `node -e 0` and ours
 * without the table beside them (the table's part of the time).
 * Ours gets the stack's runtime variables (`MALLOC_ARENA_MAX`) and no `NODE_OPTIONS` (the stack sets
 * none); the peer and `node -e 0` neither, as in the peers row.
 *
 * Before the runs as many orders as the 5-second window has slots are sent, in this process, with
 * limits set for the row (`LIMIT_PER_5S`): every item a cold child picks was then used before, as on
 * a deployed table, not the never-used items of a fresh table. Machine-dependent: `--gate`
 * never fails on it.
 */
import { startCountingProxy } from '../../../dev/counting-proxy.js';
import { fakeContext } from '../../../dev/lambda-events.js';
import { startLocalStateTable } from '../../../dev/local-state-table.js';
import { createRuntime } from '../../../functions/app/runtime.js';
import { createLogger } from '../../../functions/observability/logger.js';
import { createHandler } from '../../../functions/resend-dcv-emails/handler.js';
import { buildPeer } from '../build.js';
import { runtimeEnvLabel, withoutRuntimeEnv } from '../child.js';
import { type BenchRow, boundedInt, fixed, progress, TARGETS } from '../row.js';
import { type ColdKind, coldScript, interleavedColdRuns } from './cold.js';
import { DELAY_MS, LIMIT_PER_3MIN, LIMIT_PER_5S } from './latency-deployed.js';

const RUNS = boundedInt('BENCH_COLD_RUNS', 15, 3, 51);
/** A slot is free again a window (5 s) and the clock-skew margin after its release. */
const SLOTS_FREE_AFTER_MS = 5_500;

export const coldDeployedRow: BenchRow = {
  id: 'cold-deployed',
  label: `cold start as deployed (state table, ${DELAY_MS} ms per table call) over the naive peer (${RUNS} runs of each)`,
  run: async (context) => {
    const [node, naive] = await Promise.all([
      context.lambdaNode(),
      buildPeer(context.root, context.out, 'naive'),
    ]);
    const state = await startLocalStateTable();
    const proxy = await startCountingProxy(state.endpoint.url, { delayMs: DELAY_MS });
    try {
      await state.ready();
      const limits = {
        DIGICERT_RATE_LIMIT_PER_5S: String(LIMIT_PER_5S),
        DIGICERT_RATE_LIMIT_PER_3MIN: String(LIMIT_PER_3MIN),
      };
      await useEverySlot(context.env, limits, state);
      const oursEnv = {
        ...context.env,
        ...limits,
        STATE_TABLE_NAME: state.tableName,
        AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint,
      };
      const peerEnv = withoutRuntimeEnv(context.env);
      const kinds: ColdKind[] = [
        { name: 'baseline', args: ['-e', '0'], exitTimed: true, env: peerEnv },
        { name: 'ours', args: ['-e', coldScript(context.bundle, true)], env: oursEnv },
        { name: 'naive', args: ['-e', coldScript(naive.bundle, true)], env: peerEnv },
        // Ours without the table, as the peers row runs it: what the table's part is.
        { name: 'stateless', args: ['-e', coldScript(context.bundle, true)], env: context.env },
      ];
      proxy.reset();
      const { done } = await interleavedColdRuns(kinds, RUNS, peerEnv, node, 'cold start as deployed');
      const requests = proxy.total() / RUNS;
      const at = (name: string) => done[name] ?? Number.NaN;
      const ratio = at('ours') / at('naive');
      const ms = (value: number) => `${fixed(value, 0)} ms`;
      return [
        {
          id: 'cold-deployed-naive',
          figure: 'Cold start as deployed (state table): ours / naive handler',
          value: ratio,
          display: fixed(ratio),
          target: `≤ ${TARGETS.deployedColdRatio}`,
          verdict: ratio <= TARGETS.deployedColdRatio ? 'PASS' : 'MISS',
          gated: false,
          detail: `${node.label}, import + first HTTP resend to the answer in a fresh process, medians of ${RUNS} interleaved runs: ours with STATE_TABLE_NAME (dynalite, ${DELAY_MS} ms per table call, ${fixed(requests, 1)} table requests per cold start) ${ms(at('ours'))}, naive (no table) ${ms(at('naive'))}, node -e 0 ${ms(at('baseline'))}; ours without STATE_TABLE_NAME ${ms(at('stateless'))} (${fixed(at('stateless') / at('naive'))} × naive), so the table's part is +${ms(at('ours') - at('stateless'))}; ours with the stack's ${runtimeEnvLabel()} and no NODE_OPTIONS, the peer without`,
        },
      ];
    } finally {
      await proxy.close();
      await state.close();
    }
  },
};

/**
 * Takes every slot of the 5-second window once (direct batches, straight to dynalite), then waits
 * until they are all free again, so that the children pick used items and never wait.
 */
async function useEverySlot(
  env: Record<string, string>,
  limits: Record<string, string>,
  state: Awaited<ReturnType<typeof startLocalStateTable>>,
): Promise<void> {
  progress(
    `cold start as deployed: using every slot of the budget's 5-second window (${LIMIT_PER_5S} orders)`,
  );
  const runtime = createRuntime(
    { ...env, ...limits, STATE_TABLE_NAME: state.tableName },
    { logger: createLogger({ write: () => undefined }), stateTableEndpoint: state.endpoint },
  );
  const handler = createHandler(() => runtime);
  const perBatch = 100;
  for (let b = 0; b < LIMIT_PER_5S / perBatch; b += 1) {
    const orders = Array.from({ length: perBatch }, (_, i) => ({ order_id: 950_000 + b * perBatch + i }));
    await handler({ orders }, fakeContext(120_000));
  }
  await new Promise((resolve) => setTimeout(resolve, SLOTS_FREE_AFTER_MS));
}
