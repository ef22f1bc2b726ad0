/**
 * The fallback's reserve (docs/contract.md §7, docs/design/rate-budget.md "The table unreachable"),
 * end to end: four real child processes (test/support/budget-worker.ts) share one dynalite table;
 * some of them reach it through a fault proxy (test/support/dynamodb-faults.ts) that fails every
 * table call for most of the run and then lets them through again, so that they keep to their share
 * while the others use the ring, and then come back to the ring. The DigiCert simulator counts every
 * arrival (and answers 429 over the limit). The windows are scaled down so that a run takes seconds.
 */
import { describe, expect, it } from 'vitest';
import { type DynamoFaultProxy, startDynamoFaultProxy } from '../support/dynamodb-faults.js';
import { runMultiContainer } from '../support/multi-container.js';

const WINDOW_MS = 2_000;
/** The table fails for the proxied processes this long after `go`, then answers again. */
const OUTAGE_MS = 9_000;

/** Runs four workers, the first `proxied` of them through a failing proxy; the limit is `limit` per 2 s. */
async function runWithOutage(limit: number, divisor: number, proxied: number, orders: number) {
  const proxies: DynamoFaultProxy[] = [];
  let timer: NodeJS.Timeout | undefined;
  try {
    return await runMultiContainer({
      containers: 4,
      orders,
      windows: [{ limit, windowMs: WINDOW_MS }],
      latencyMs: 20,
      skewMarginMs: 25,
      divisor,
      tableEndpoints: async (dynalite) => {
        for (let i = 0; i < proxied; i += 1) proxies.push(await startDynamoFaultProxy(dynalite));
        return proxies.map((proxy) => proxy.endpoint);
      },
      beforeGo: () => {
        for (const proxy of proxies) proxy.script([{ kind: 'server_error' }], { always: true });
        timer = setTimeout(() => {
          for (const proxy of proxies) proxy.script([]);
        }, OUTAGE_MS);
      },
    });
  } finally {
    clearTimeout(timer);
    await Promise.all(proxies.map((proxy) => proxy.close()));
  }
}

describe('the shared budget while some containers cannot reach the table and the others can', () => {
  it('keeps DigiCert within 8 per 2 s with one of at most 4 containers on its share (2) and the ring at 6', async () => {
    const result = await runWithOutage(8, 4, 1, 60);

    expect(result.errors).toEqual([]);
    expect(result.tableFailures.length).toBeGreaterThan(0);
    expect(result.sent).toBe(60);
    expect(result.extraRequests).toBe(0);
    expect(result.maxPerWindow[0]).toBeLessThanOrEqual(8);
  }, 150_000);

  it('keeps DigiCert within 22 per 2 s with two of at most 11 containers on their share (2 each) and the ring at 18', async () => {
    const result = await runWithOutage(22, 11, 2, 120);

    expect(result.errors).toEqual([]);
    expect(result.tableFailures.length).toBeGreaterThan(1);
    expect(result.sent).toBe(120);
    expect(result.extraRequests).toBe(0);
    expect(result.maxPerWindow[0]).toBeLessThanOrEqual(22);
  }, 150_000);
});
