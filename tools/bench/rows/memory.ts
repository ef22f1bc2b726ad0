/**
 * Row 6, memory: RSS after 10,000 invocations over RSS after 100 (and after 20,000 over 10,000,
 * warmed up), the median of several processes.
 */
import { runNode } from '../child.js';
import { atMost, type BenchRow, fixed, type Row, TARGETS } from '../row.js';

export const memoryRow: BenchRow = {
  id: 'memory',
  label: 'memory',
  run: ({ probe, bundle, env }) => memory(probe, bundle, env),
};

interface MemoryResult {
  readonly rssFileAfter10000?: number;
  readonly rssAfter100: number;
  readonly rssAfter10000: number;
  readonly rssAfter20000: number;
  readonly heapUsedAfter100: number;
  readonly heapUsedAfter10000: number;
  readonly heapUsedAfter20000: number;
}

/** Processes measured; the row shows the median one, since RSS moves with V8's and malloc's own timing. */
const MEMORY_RUNS = 3;

async function memory(probe: string, bundle: string, env: Record<string, string>): Promise<Row[]> {
  const runs: MemoryResult[] = [];
  for (let i = 0; i < MEMORY_RUNS; i++) {
    const run = await runNode(['--expose-gc', probe, bundle, 'memory'], env);
    runs.push(JSON.parse(run.output) as MemoryResult);
  }
  const growthOf = (r: MemoryResult) => r.rssAfter10000 / r.rssAfter100;
  const steadyOf = (r: MemoryResult) => r.rssAfter20000 / r.rssAfter10000;
  const result = [...runs].sort((a, b) => growthOf(a) - growthOf(b))[runs.length >> 1] as MemoryResult;
  const steady = [...runs].sort((a, b) => steadyOf(a) - steadyOf(b))[runs.length >> 1] as MemoryResult;
  const mb = result.rssAfter10000 / 1_000_000;
  const megabytes = (bytes: number) => `${fixed(bytes / 1e6, 1)} MB`;
  return [
    {
      id: 'memory-growth',
      figure: 'Memory: RSS after 10,000 / after 100 invocations',
      value: growthOf(result),
      display: fixed(growthOf(result), 3),
      target: `≤ ${TARGETS.memoryGrowth}`,
      verdict: atMost(growthOf(result), TARGETS.memoryGrowth),
      detail: `median of ${MEMORY_RUNS} processes: ${megabytes(result.rssAfter100)} → ${megabytes(result.rssAfter10000)}, each after a full GC and a pause; heap used ${megabytes(result.heapUsedAfter100)} → ${megabytes(result.heapUsedAfter10000)}`,
    },
    {
      id: 'memory-rss',
      figure: 'Memory: RSS after 10,000 invocations',
      value: mb,
      display: `${fixed(mb, 1)} MB`,
      target: `< ${TARGETS.memoryMB} MB`,
      verdict: mb < TARGETS.memoryMB ? 'PASS' : 'MISS',
      detail:
        result.rssFileAfter10000 === undefined
          ? 'the same process as above'
          : `of which ${megabytes(result.rssFileAfter10000)} are pages of files, mostly the node binary itself`,
    },
    {
      id: 'memory-steady-state',
      figure: 'Memory, warmed up: RSS after 20,000 / after 10,000',
      value: steadyOf(steady),
      display: fixed(steadyOf(steady), 3),
      target: '—',
      verdict: 'info',
      detail: `the leak check once V8 has optimised the code and sized its young generation: ${megabytes(steady.rssAfter10000)} → ${megabytes(steady.rssAfter20000)}; heap used ${megabytes(steady.heapUsedAfter10000)} → ${megabytes(steady.heapUsedAfter20000)}`,
    },
  ];
}
