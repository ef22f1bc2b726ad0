/**
 * Row 6, memory: heap used after a full GC, after 10,000 invocations over after 1,000, and RSS after
 * 10,000 (and heap after 20,000 over 10,000, warmed up), the median of several processes on Lambda's
 * Node 24. The RSS is held to a process that only sends the same 10,000 PUTs through a bare pooled
 * undici client (`memory-floor`), run in turn with ours (issue 26). Heap after a full GC, not RSS: RSS grew with V8 sizing its young generation and malloc
 * keeping the optimising compiler's memory, which no code change can move (docs/performance.md).
 * Measured as it runs: each child gets the flags Lambda's bootstrap passes for the function's
 * memory size (`lambdaNodeFlags`, `DEPLOYMENT_DEFAULTS.memorySize`), which bound the young and old
 * generations; without them V8 sizes its heap for this machine's memory instead. And the environment
 * the stack gives the runtime process (`MALLOC_ARENA_MAX`, context.env): glibc's arenas are a good
 * part of the RSS. The floor (`memory-floor`) gets both too, so that the two stay comparable.
 * Machine-dependent: `--gate` reports it, never fails on it.
 */
import { DEPLOYMENT_DEFAULTS } from '../../../functions/app/contract.js';
import { lambdaNodeFlags, runNode, runtimeEnvLabel } from '../child.js';
import { atMost, type BenchRow, fixed, type Row, TARGETS } from '../row.js';

export const memoryRow: BenchRow = {
  id: 'memory',
  label: 'memory',
  async run({ probe, bundle, env, lambdaNode }) {
    const node = await lambdaNode();
    const runs: MemoryResult[] = [];
    const floors: number[] = [];
    // Ours and the floor in turn, so that the machine's state falls on both alike.
    for (let i = 0; i < MEMORY_RUNS; i++) {
      const ours = await runNode([...LAMBDA_FLAGS, probe, bundle, 'memory'], env, node.path);
      runs.push(JSON.parse(ours.output) as MemoryResult);
      const floor = await runNode([...LAMBDA_FLAGS, probe, bundle, 'memory-floor'], env, node.path);
      floors.push((JSON.parse(floor.output) as { rssAfter10000: number }).rssAfter10000);
    }
    floors.sort((a, b) => a - b);
    return memoryRows(runs, node.label, floors[floors.length >> 1] as number);
  },
};

interface MemoryResult {
  readonly rssFileAfter10000?: number;
  readonly heapTotalAfter10000?: number;
  readonly newSpaceAfter10000?: number;
  readonly externalAfter10000?: number;
  readonly rssAfter1000: number;
  readonly rssAfter10000: number;
  readonly rssAfter20000: number;
  readonly heapUsedAfter1000: number;
  readonly heapUsedAfter10000: number;
  readonly heapUsedAfter20000: number;
}

/** What `/var/runtime/bootstrap` passes for the deployed memory size (it includes `--expose-gc`). */
const LAMBDA_FLAGS = lambdaNodeFlags(DEPLOYMENT_DEFAULTS.memorySize);

/** Processes measured; the row shows the median one, since what a GC leaves moves with its timing. */
const MEMORY_RUNS = 3;

function medianBy(runs: readonly MemoryResult[], key: (r: MemoryResult) => number): MemoryResult {
  return [...runs].sort((a, b) => key(a) - key(b))[runs.length >> 1] as MemoryResult;
}

function memoryRows(runs: readonly MemoryResult[], nodeLabel: string, floorRss: number): Row[] {
  const growthOf = (r: MemoryResult) => r.heapUsedAfter10000 / r.heapUsedAfter1000;
  const steadyOf = (r: MemoryResult) => r.heapUsedAfter20000 / r.heapUsedAfter10000;
  const result = medianBy(runs, growthOf);
  const steady = medianBy(runs, steadyOf);
  const rss = medianBy(runs, (r) => r.rssAfter10000);
  const mb = rss.rssAfter10000 / 1_000_000;
  const megabytes = (bytes: number) => `${fixed(bytes / 1e6, 1)} MB`;
  return [
    {
      id: 'memory-growth',
      figure: 'Memory: heap after 10,000 / after 1,000 invocations',
      value: growthOf(result),
      display: fixed(growthOf(result), 3),
      target: `≤ ${TARGETS.memoryGrowth}`,
      verdict: atMost(growthOf(result), TARGETS.memoryGrowth),
      gated: false,
      detail: `${nodeLabel} with Lambda's flags, median of ${MEMORY_RUNS} processes: heap used ${megabytes(result.heapUsedAfter1000)} → ${megabytes(result.heapUsedAfter10000)}, each after a full GC, a pause and another GC; RSS ${megabytes(result.rssAfter1000)} → ${megabytes(result.rssAfter10000)}`,
    },
    {
      id: 'memory-rss',
      figure: 'Memory: RSS after 10,000 invocations',
      value: mb,
      display: `${fixed(mb, 1)} MB`,
      target: `≤ the bare pooled client's, ${megabytes(floorRss)}`,
      verdict: atMost(rss.rssAfter10000 / floorRss, TARGETS.memoryOverFloor),
      gated: false,
      detail:
        `${nodeLabel} ${LAMBDA_FLAGS.join(' ')} (Lambda's, ${DEPLOYMENT_DEFAULTS.memorySize} MB), ${runtimeEnvLabel()} (the stack's), median of ${MEMORY_RUNS} processes` +
        (rss.rssFileAfter10000 === undefined
          ? ''
          : `; of which ${megabytes(rss.rssFileAfter10000)} are pages of files, mostly the node binary itself`) +
        (rss.heapTotalAfter10000 === undefined
          ? ''
          : `; V8 heap ${megabytes(rss.heapTotalAfter10000)} committed (young generation ${megabytes(rss.newSpaceAfter10000 ?? Number.NaN)}), external ${megabytes(rss.externalAfter10000 ?? Number.NaN)}`) +
        `. The target (issue 26): the probe with no handler, its bare undici Pool (undici's whole package) sending the same 10,000 PUTs with the same flags and environment, median of ${MEMORY_RUNS} processes run in turn with ours: ${megabytes(floorRss)} (ours / it ${fixed(rss.rssAfter10000 / floorRss, 3)})`,
    },
    {
      id: 'memory-steady-state',
      figure: 'Memory, warmed up: heap after 20,000 / after 10,000',
      value: steadyOf(steady),
      display: fixed(steadyOf(steady), 3),
      target: '—',
      verdict: 'info',
      gated: false,
      detail: `${nodeLabel}, the leak check once V8 has optimised the code: heap used ${megabytes(steady.heapUsedAfter10000)} → ${megabytes(steady.heapUsedAfter20000)}; RSS ${megabytes(steady.rssAfter10000)} → ${megabytes(steady.rssAfter20000)}`,
    },
  ];
}
