/**
 * The bench row for the shared rate budget (docs/contract.md §7): four real child processes, each
 * its own container, share one dynalite table and send 200 orders between them to the simulator,
 * which enforces the same rolling windows and answers 429 over either (test/support/multi-container.ts).
 *
 * Figure: orders per second after the first window's burst, over the sustained limit (the lowest
 * limit / window): 1.00 means every window was used to the last slot. Target ≥ 0.90 with zero 429s.
 * The windows are scaled down (2.5 s and 15 s) so that the row takes about 20 s; the skew margin is
 * scaled with them.
 */
import { budgetBoundMs, runMultiContainer } from '../../../test/support/multi-container.js';
import type { BenchRow, Row } from '../row.js';

export const SHARED_BUDGET_TARGET = 0.9;

const CONTAINERS = 4;
const ORDERS = 200;
const LATENCY_MS = 20;
const WINDOWS = [
  { limit: 25, windowMs: 2_500 },
  { limit: 150, windowMs: 15_000 },
] as const;

/** The run's wall time over the time the budget allows (the last request's earliest start). */
export const SHARED_BUDGET_TIME_TARGET = 1.15;

/** Runs the multi-container scenario once and returns its rows. */
export async function sharedBudgetRows(): Promise<Row[]> {
  const result = await runMultiContainer({
    containers: CONTAINERS,
    orders: ORDERS,
    windows: WINDOWS,
    latencyMs: LATENCY_MS,
    skewMarginMs: 25,
  });
  const sustainedPerS = Math.min(...WINDOWS.map((w) => (w.limit / w.windowMs) * 1000));
  const burst = Math.min(...WINDOWS.map((w) => w.limit));
  const first = result.arrivals[0] ?? 0;
  const last = result.arrivals[result.arrivals.length - 1] ?? first;
  const afterBurstPerS = last > first ? ((ORDERS - burst) / (last - first)) * 1000 : 0;
  const ratio = afterBurstPerS / sustainedPerS;
  const clean = result.sent === ORDERS && result.extraRequests === 0;
  const withinWindows = WINDOWS.every((w, i) => (result.maxPerWindow[i] ?? 0) <= w.limit);
  const timeRatio = result.wallMs / budgetBoundMs(ORDERS, WINDOWS, LATENCY_MS);
  return [
    {
      id: 'shared-budget',
      figure: `Shared budget: ${CONTAINERS} containers, ${ORDERS} orders, orders/s over the sustained limit`,
      value: ratio,
      display: ratio.toFixed(2),
      target: `≥ ${SHARED_BUDGET_TARGET}, 0 × 429`,
      verdict: clean && withinWindows && ratio >= SHARED_BUDGET_TARGET ? 'PASS' : 'MISS',
      detail:
        `${afterBurstPerS.toFixed(2)}/s after the first ${burst} vs ${sustainedPerS.toFixed(2)}/s sustained; ` +
        `windows ${WINDOWS.map((w, i) => `${result.maxPerWindow[i] ?? 0}/${w.limit} per ${w.windowMs} ms`).join(', ')} (most seen/limit); ` +
        `wall ${(result.wallMs / 1000).toFixed(1)} s vs ${(budgetBoundMs(ORDERS, WINDOWS, LATENCY_MS) / 1000).toFixed(1)} s the budget allows; ` +
        `sent ${result.sent}, requests beyond one per order (429 retries) ${result.extraRequests}` +
        (result.tableFailures.length > 0 ? `; table unreachable ${result.tableFailures.length}×` : ''),
    },
    {
      id: 'shared-budget-time',
      figure: `Shared budget: wall time over the time the budget allows`,
      value: timeRatio,
      display: timeRatio.toFixed(2),
      target: `≤ ${SHARED_BUDGET_TIME_TARGET}`,
      verdict: clean && timeRatio <= SHARED_BUDGET_TIME_TARGET ? 'PASS' : 'MISS',
      detail: `${(result.wallMs / 1000).toFixed(1)} s vs ${(budgetBoundMs(ORDERS, WINDOWS, LATENCY_MS) / 1000).toFixed(1)} s (the 200th request cannot leave earlier)`,
    },
  ];
}

/** Row 8, the shared rate budget across four containers (docs/contract.md §7). */
export const sharedBudgetBenchRow: BenchRow = {
  id: 'shared-budget',
  label: 'shared rate budget: 4 containers on one table',
  run: () => sharedBudgetRows(),
};
