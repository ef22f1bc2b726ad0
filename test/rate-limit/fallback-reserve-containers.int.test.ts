/**
 * The fallback's reserve (docs/contract.md §7, docs/design/rate-budget.md "The table unreachable"),
 * end to end: four real child processes (test/support/budget-worker.ts) share one dynalite table;
 * one of them reaches it through a fault proxy (test/support/dynamodb-faults.ts) that fails every
 * table call for most of the run and then lets them through again, so that it keeps to its share
 * while the three others use the ring, and then comes back to the ring. The DigiCert simulator counts
 * every arrival. The windows are scaled down (8 per 2 s) so that the run takes seconds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DynamoFaultProxy, startDynamoFaultProxy } from '../support/dynamodb-faults.js';
import { type MultiContainerResult, runMultiContainer } from '../support/multi-container.js';

const LIMIT = 8;
const WINDOW_MS = 2_000;
/** The table fails for the proxied process this long after `go`, then answers again. */
const OUTAGE_MS = 9_000;

let result: MultiContainerResult;
let proxy: DynamoFaultProxy | undefined;
let timer: NodeJS.Timeout | undefined;

beforeAll(async () => {
  result = await runMultiContainer({
    containers: 4,
    orders: 60,
    windows: [{ limit: LIMIT, windowMs: WINDOW_MS }],
    latencyMs: 20,
    skewMarginMs: 25,
    // At most four containers: a share of 2 per 2 s each; the ring keeps one share free (6 per 2 s).
    divisor: 4,
    tableEndpoints: async (dynalite) => {
      proxy = await startDynamoFaultProxy(dynalite);
      return [proxy.endpoint];
    },
    beforeGo: () => {
      proxy?.script([{ kind: 'server_error' }], { always: true });
      timer = setTimeout(() => proxy?.script([]), OUTAGE_MS);
    },
  });
}, 150_000);

afterAll(async () => {
  clearTimeout(timer);
  await proxy?.close();
});

describe('the shared budget while one container cannot reach the table and the others can', () => {
  it('never lets DigiCert see more than the limit in any window, counting the share and the ring together', () => {
    expect(result.errors).toEqual([]);
    expect(result.tableFailures.length).toBeGreaterThan(0);
    expect(result.sent).toBe(60);
    expect(result.extraRequests).toBe(0);
    expect(result.maxPerWindow[0]).toBeLessThanOrEqual(LIMIT);
  });
});
