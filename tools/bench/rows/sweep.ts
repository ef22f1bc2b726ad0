/**
 * Row 8, sweep: the pending-DCV sweep (docs/contract.md §11) of an account with 10,000 pending
 * orders, once under `report` and once under `resend`, the way it is deployed: started with
 * `{"action": "sweep"}`, its pages and parts worked through the bulk queue (local-aws-sqs) by the
 * event source mapping's two consumers, against a DigiCert simulator that answers 429 past
 * DigiCert's limits. Both consumers share one budget and one ledger, as the state table makes all
 * containers do; the windows (the budget's, the sweep's share of it and the simulator's) are scaled
 * down as in the queue row, so that each sweep takes about half a minute.
 *
 * Figures: the sweep's time over what its share of the budget allows for the requests it made
 * (target ≤ 1.2, machine-dependent, not gated); DigiCert requests per pending order (one read, one
 * page read per 1,000, and one resend per order due: gated); duplicates, an order read or resent
 * twice or a 429 (gated at 0).
 */

import { DigiCertSimulator, stuckOrders } from '../../../dev/digicert-simulator.js';
import { fakeContext } from '../../../dev/lambda-events.js';
import { EventSourcePoller, queueDepth, startLocalQueues } from '../../../dev/local-queue.js';
import { pointSqsAt } from '../../../dev/sdk-endpoint.js';
import { loadConfig } from '../../../functions/app/config.js';
import {
  DEPLOYMENT_DEFAULTS,
  DIGICERT_RATE_LIMITS,
  FUNCTION_DEFAULTS,
  RATE_LIMIT_WINDOWS_MS,
  type SweepPolicy,
} from '../../../functions/app/contract.js';
import { createRuntime } from '../../../functions/app/runtime.js';
import { MemorySweepLedger } from '../../../functions/dcv/sweep/ledger.js';
import { SWEEP_PAGE_LIMIT } from '../../../functions/dcv/sweep/sweep.js';
import { createLogger } from '../../../functions/observability/logger.js';
import { shareOf } from '../../../functions/rate-limit/budget-share.js';
import { createSlidingWindowLimiter } from '../../../functions/rate-limit/sliding-window.js';
import { createHandler } from '../../../functions/resend-dcv-emails/handler.js';
import { KEY, SECRET_ID } from '../fixtures.js';
import { type BenchRow, fixed, type Row, TARGETS } from '../row.js';

export const SWEEP_ORDERS = 10_000;
/** Windows scaled so the 3-minute window lasts 0.9 s: the sweep's share then allows 500 requests a second. */
const SWEEP_WINDOW_SCALE = 0.005;
const HOUR = 3_600_000;

export const sweepRow: BenchRow = {
  id: 'sweep',
  label: `the pending-DCV sweep of ${SWEEP_ORDERS} orders, report and resend`,
  run: async () => [...(await sweepOnce('report')), ...(await sweepOnce('resend'))],
};

async function sweepOnce(policy: SweepPolicy): Promise<Row[]> {
  const now = Date.now();
  const book = stuckOrders(SWEEP_ORDERS, { now, firstId: 800_000 });
  const due = book.filter((o) => o.dcvMethod === 'email' && now - o.createdAt >= 24 * HOUR).length;
  const simulator = await DigiCertSimulator.start({
    validKeys: [KEY],
    orders: book,
    maxRecordedRequests: SWEEP_ORDERS * 3,
    rateLimits: [
      {
        limit: DIGICERT_RATE_LIMITS.per5Seconds,
        windowMs: RATE_LIMIT_WINDOWS_MS.per5Seconds * SWEEP_WINDOW_SCALE,
      },
      {
        limit: DIGICERT_RATE_LIMITS.per3Minutes,
        windowMs: RATE_LIMIT_WINDOWS_MS.per3Minutes * SWEEP_WINDOW_SCALE,
      },
    ],
  });
  const queues = await startLocalQueues();
  pointSqsAt(queues.endpoint);
  const pollers: EventSourcePoller[] = [];
  const finished: Record<string, unknown>[] = [];
  try {
    const env = {
      DIGICERT_API_KEY_SECRET_ID: SECRET_ID,
      DIGICERT_BASE_URL: simulator.baseUrl,
      FAILURE_QUEUE_URL: queues.failureQueueUrl,
      ORDERS_QUEUE_URL: queues.ordersQueueUrl,
      DCV_SWEEP_POLICY: policy,
    };
    const windows = loadConfig(env).rateLimits.map(({ limit, windowMs }) => ({
      limit,
      windowMs: windowMs * SWEEP_WINDOW_SCALE,
    }));
    const shareWindows = shareOf(windows, FUNCTION_DEFAULTS.sweepBudgetShare);
    const overrides = {
      limiter: createSlidingWindowLimiter({ windows }),
      sweepShare: createSlidingWindowLimiter({ windows: shareWindows }),
      sweepLedger: new MemorySweepLedger(),
      logger: createLogger({
        write: (line) => {
          if (line.includes('"sweep finished"')) finished.push(JSON.parse(line) as Record<string, unknown>);
        },
      }),
    };
    const runtime = () => createRuntime(env, overrides);
    const started = runtime();
    await createHandler(() => started)({ action: 'sweep' }, fakeContext());
    for (let i = 0; i < DEPLOYMENT_DEFAULTS.queueMaxConcurrency; i += 1) {
      const built = runtime();
      pollers.push(
        new EventSourcePoller({
          client: queues.client,
          queueUrl: queues.ordersQueueUrl,
          handler: createHandler(() => built),
          waitSeconds: 0,
          functionTimeoutMs: 120_000,
        }).start(),
      );
    }
    const deadline = Date.now() + 150_000;
    for (;;) {
      const depth = await queueDepth(queues.client, queues.ordersQueueUrl);
      if (finished.length > 0 && depth.visible === 0 && depth.inFlight === 0) break;
      if (Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const requests = simulator.requests;
    const times = requests.map((r) => r.receivedAt);
    const wallMs = Math.max(1, Math.max(...times) - Math.min(...times));
    const sustained = shareWindows[1] ?? { limit: 1, windowMs: 1 };
    const allowedMs = (requests.length / sustained.limit) * sustained.windowMs;
    const ratio = wallMs / allowedMs;
    const reads = new Map<number, number>();
    const resends = new Map<number, number>();
    for (const r of requests) {
      if (r.orderId === undefined) continue;
      const counts = r.method === 'GET' ? reads : resends;
      counts.set(r.orderId, (counts.get(r.orderId) ?? 0) + 1);
    }
    // A 429 shows as a repeated request too: the call is retried.
    const duplicates = [...reads.values(), ...resends.values()].reduce(
      (sum, n) => sum + Math.max(0, n - 1),
      0,
    );
    const expectedCalls =
      Math.ceil(SWEEP_ORDERS / SWEEP_PAGE_LIMIT) + SWEEP_ORDERS + (policy === 'resend' ? due : 0);
    const perOrder = requests.length / SWEEP_ORDERS;
    const expectedPerOrder = expectedCalls / SWEEP_ORDERS;
    const complete =
      finished.length === 1 && reads.size === SWEEP_ORDERS && (policy === 'report' || resends.size === due);
    const budget = shareWindows.map((w) => `${w.limit}/${w.windowMs} ms`).join(', ');
    return [
      {
        id: `sweep-${policy}-time`,
        figure: `Sweep (${policy}): ${SWEEP_ORDERS} pending orders, time / what the budget share allows`,
        value: ratio,
        display: fixed(ratio),
        target: `≤ ${TARGETS.sweepTimeRatio}`,
        verdict: complete && ratio <= TARGETS.sweepTimeRatio ? 'PASS' : 'MISS',
        gated: false,
        detail: `${requests.length} DigiCert requests in ${fixed(wallMs / 1000)} s, first to last; the sweep's share (${budget}, windows scaled by ${SWEEP_WINDOW_SCALE}) allows them in ${fixed(allowedMs / 1000)} s; ${pollers.length} consumers${finished.length === 1 ? '' : `; the sweep did not finish (${finished.length} "sweep finished" lines)`}`,
      },
      {
        id: `sweep-${policy}-calls`,
        figure: `Sweep (${policy}): DigiCert requests per pending order`,
        value: perOrder,
        display: fixed(perOrder, 3),
        target: `= ${fixed(expectedPerOrder, 3)}`,
        verdict: complete && requests.length === expectedCalls ? 'PASS' : 'MISS',
        detail: `${requests.length} requests: ${Math.ceil(SWEEP_ORDERS / SWEEP_PAGE_LIMIT)} pages of ${SWEEP_PAGE_LIMIT}, ${reads.size} orders read, ${resends.size} resent (${due} email orders pending 24 h or more)`,
      },
      {
        id: `sweep-${policy}-duplicates`,
        figure: `Sweep (${policy}): orders read or resent twice, and 429s`,
        value: duplicates,
        display: String(duplicates),
        target: `= ${TARGETS.sweepDuplicates}`,
        verdict: complete && duplicates === TARGETS.sweepDuplicates ? 'PASS' : 'MISS',
        detail: `requests for an order beyond its one read and its one resend: a second read or resend, or a retry after a 429 (the simulator enforces DigiCert's limits, scaled)`,
      },
    ];
  } finally {
    await Promise.all(pollers.map((poller) => poller.stop()));
    await Promise.all([queues.close(), simulator.close()]);
  }
}
