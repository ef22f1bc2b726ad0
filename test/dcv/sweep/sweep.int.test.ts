/**
 * The pending-DCV sweep (docs/contract.md §11) against the simulator's order book, dynalite and
 * local-aws-sqs: plans without acting, each policy, the cooldown across sweeps and containers, two
 * sweeps started together, a sweep of 2,000 orders through three consumers of the queue, a page
 * that fails mid-sweep, an order issued while the sweep runs, and the metrics written once.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SimulatedOrder } from '../../../dev/digicert-simulator.js';
import { stuckOrders } from '../../../dev/digicert-simulator.js';
import { fakeContext } from '../../../dev/lambda-events.js';
import {
  EventSourcePoller,
  type LocalQueues,
  queueDepth,
  startLocalQueues,
} from '../../../dev/local-queue.js';
import { pointSqsAt } from '../../../dev/sdk-endpoint.js';
import { SWEEP_METRICS } from '../../../functions/app/contract.js';
import type { Runtime, RuntimeOverrides } from '../../../functions/app/runtime.js';
import type { SweepAnswer } from '../../../functions/dcv/sweep/sweep.js';
import { createHandler } from '../../../functions/resend-dcv-emails/handler.js';
import { type Dynalite, startDynaliteForSdk } from '../../support/dynalite.js';
import { emfDocuments, logRecords } from '../../support/emf.js';
import { type Harness, startHarness } from '../../support/harness.js';
import { unlimited } from '../../support/limiters.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** No budget waits: what is tested here is what the sweep does, not how fast the budget lets it. */
const FAST = { DIGICERT_RATE_LIMIT_PER_5S: '1000000', DIGICERT_RATE_LIMIT_PER_3MIN: '1000000' };

let h: Harness;
let dynamo: Dynalite;
let queues: LocalQueues | undefined;
const pollers: EventSourcePoller[] = [];

beforeAll(async () => {
  h = await startHarness();
  dynamo = await startDynaliteForSdk();
});

afterEach(async () => {
  await Promise.all(pollers.splice(0).map((poller) => poller.stop()));
  await queues?.close();
  queues = undefined;
  h.reset();
});

afterAll(async () => {
  await Promise.all([h.close(), dynamo.close()]);
});

/** A small book like `npm start`'s, from `firstId` (each test its own ids: claims outlive a test). */
function smallBook(firstId: number, now = Date.now()): SimulatedOrder[] {
  return [
    {
      id: firstId,
      status: 'pending',
      dnsNames: ['a.example.com'],
      dcvMethod: 'email',
      createdAt: now - 142.5 * HOUR,
    },
    {
      id: firstId + 1,
      status: 'pending',
      dnsNames: ['b.example.com'],
      dcvMethod: 'dns-txt-token',
      createdAt: now - 27 * DAY,
      randomValue: { value: 'fdy6m0wy5lq063sz4h0r6qmdt722gyfc', expiresAt: now + 3 * DAY },
    },
    {
      id: firstId + 2,
      status: 'pending',
      dnsNames: ['c.example.org'],
      dcvMethod: 'email',
      createdAt: now - 12 * DAY,
    },
    {
      id: firstId + 3,
      status: 'pending',
      dnsNames: ['d.example.net'],
      dcvMethod: 'email',
      createdAt: now - 30 * HOUR,
    },
    {
      id: firstId + 4,
      status: 'issued',
      dnsNames: ['e.example.org'],
      dcvMethod: 'email',
      createdAt: now - 40 * DAY,
    },
    {
      id: firstId + 5,
      status: 'pending',
      dnsNames: ['f.example.org'],
      dcvMethod: 'email',
      createdAt: now - 2 * HOUR,
    },
  ];
}

function runtime(extraEnv: Record<string, string> = {}, overrides: RuntimeOverrides = {}): Runtime {
  return h.runtime(
    { ...FAST, STATE_TABLE_NAME: dynamo.tableName, DCV_SWEEP_POLICY: 'resend', ...extraEnv },
    overrides,
  );
}

/**
 * The queued sweeps' containers: the ledger and the deliveries in the state table, as deployed, but
 * no budget (the share is tested on its own below): thousands of orders, each slot a table write,
 * would make these tests minutes long on a loaded machine for nothing they check.
 */
const NO_BUDGET: RuntimeOverrides = { limiter: unlimited, sweepShare: unlimited };

/** The resends DigiCert received, per order. */
function resends(): Map<number, number> {
  const counts = new Map<number, number>();
  for (const request of h.simulator.requests) {
    if (request.method !== 'PUT' || !request.path.endsWith('/resend-emails') || request.orderId === undefined)
      continue;
    counts.set(request.orderId, (counts.get(request.orderId) ?? 0) + 1);
  }
  return counts;
}

const deadline = () => Date.now() + 120_000;

async function until(condition: () => Promise<boolean> | boolean, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function finishedSweeps(): Record<string, unknown>[] {
  return logRecords(h.logs).filter((line) => line.message === 'sweep finished');
}

describe('a dry run', () => {
  it('plans every pending order with its reason and sends nothing', async () => {
    h.simulator.addOrders(smallBook(1001));

    const plan = await runtime().sweep.start({ dryRun: true }, { deadline: deadline() });

    expect(plan).toMatchObject({
      sweep_id: null,
      policy: 'resend',
      dry_run: true,
      complete: true,
      next_offset: null,
    });
    if (!plan.dry_run) throw new Error('expected a dry run');
    expect(plan.orders.map((o) => [o.order_id, o.action])).toEqual([
      [1001, 'resend'],
      [1002, 'none'],
      [1003, 'resend'],
      [1004, 'resend'],
      [1006, 'none'],
    ]);
    expect(plan.orders[1]?.reason).toBe('DNS or HTTP DCV (dns-txt-token): no email to resend');
    expect(plan.summary).toMatchObject({
      pending_orders: 5,
      by_dcv_method: { email: 4, 'dns-txt-token': 1 },
      random_values_expiring_soon: 1,
      pending_past_recheck_window: 2,
      resends: 3,
      errors: 0,
    });
    expect(plan.summary.oldest_pending_hours).toBeCloseTo(27 * 24, 0);
    expect(resends().size).toBe(0);
    expect(h.simulator.requests.every((r) => r.method === 'GET')).toBe(true);
  });

  it('plans with another policy when asked, and the configured one does not change', async () => {
    h.simulator.addOrders(smallBook(1101));

    const plan = await runtime({ DCV_SWEEP_POLICY: 'report' }).sweep.start(
      { dryRun: true, policy: 'resend' },
      { deadline: deadline() },
    );
    const report = await runtime({ DCV_SWEEP_POLICY: 'report' }).sweep.start(
      { dryRun: true },
      { deadline: deadline() },
    );

    expect(plan.policy).toBe('resend');
    expect(report.policy).toBe('report');
    if (!report.dry_run) throw new Error('expected a dry run');
    expect(report.orders.every((o) => o.action === 'none')).toBe(true);
  });

  it('counts an order DigiCert will not show (403) as an error and goes on', async () => {
    h.simulator.addOrders(smallBook(1201));
    h.simulator.script(1203, { kind: 'forbidden' });

    const plan = await runtime().sweep.start({ dryRun: true }, { deadline: deadline() });

    if (!plan.dry_run) throw new Error('expected a dry run');
    expect(plan.summary.errors).toBe(1);
    expect(plan.orders.map((o) => o.order_id)).not.toContain(1203);
    expect(plan.orders).toHaveLength(4);
  });
});

describe('a sweep in its invocation (no queue)', () => {
  it('resends each due email order once under resend, and writes its metrics once', async () => {
    h.simulator.addOrders(smallBook(2001));

    const answer = await runtime().sweep.start({ dryRun: false }, { deadline: deadline() });

    expect(answer).toMatchObject({ policy: 'resend', dry_run: false, queued: false, complete: true });
    expect(Object.fromEntries(resends())).toEqual({ 2001: 1, 2003: 1, 2004: 1 });
    expect(finishedSweeps()).toHaveLength(1);
    const documents = emfDocuments(h.logs);
    const pending = documents.filter((d) => SWEEP_METRICS.pendingOrders in d);
    expect(
      Object.fromEntries(
        pending.map((d) => [d[SWEEP_METRICS.dcvMethodDimension], d[SWEEP_METRICS.pendingOrders]]),
      ),
    ).toEqual({
      email: 4,
      'dns-txt-token': 1,
      'dns-cname-token': 0,
      'http-token': 0,
    });
    expect(documents.find((d) => SWEEP_METRICS.sweepResends in d)?.[SWEEP_METRICS.sweepResends]).toBe(3);
    expect(
      documents.find((d) => SWEEP_METRICS.oldestPendingHours in d)?.[SWEEP_METRICS.pendingPastRecheckWindow],
    ).toBe(2);
  });

  it('sends nothing under report', async () => {
    h.simulator.addOrders(smallBook(2101));

    const answer = await runtime({ DCV_SWEEP_POLICY: 'report' }).sweep.start(
      { dryRun: false },
      { deadline: deadline() },
    );

    expect(answer).toMatchObject({
      policy: 'report',
      complete: true,
      summary: { pending_orders: 5, resends: 0 },
    });
    expect(resends().size).toBe(0);
  });

  it('acts on no order twice within the cooldown: a second sweep, in another container, resends none and says why', async () => {
    h.simulator.addOrders(smallBook(2201));
    await runtime().sweep.start({ dryRun: false }, { deadline: deadline() });

    const again = await runtime().sweep.start({ dryRun: false }, { deadline: deadline() });
    const plan = await runtime().sweep.start({ dryRun: true }, { deadline: deadline() });

    expect(Object.fromEntries(resends())).toEqual({ 2201: 1, 2203: 1, 2204: 1 });
    expect(again).toMatchObject({ summary: { resends: 0, pending_orders: 5 } });
    if (!plan.dry_run) throw new Error('expected a dry run');
    expect(plan.orders.find((o) => o.order_id === 2201)?.reason).toMatch(
      /^acted on 0(\.\d)? h ago by another sweep; cooldown 72 h$/,
    );
  });

  it('acts on each order once when two sweeps start together in two containers', async () => {
    h.simulator.addOrders(stuckOrders(120, { firstId: 2300 }));
    const due = stuckOrders(120, { firstId: 2300 }).filter(
      (o) => o.dcvMethod === 'email' && Date.now() - o.createdAt >= 24 * HOUR,
    );

    const [a, b] = await Promise.all([
      runtime().sweep.start({ dryRun: false }, { deadline: deadline() }),
      runtime().sweep.start({ dryRun: false }, { deadline: deadline() }),
    ]);

    const sent = resends();
    expect([...sent.keys()].sort()).toEqual(due.map((o) => o.id).sort());
    expect([...sent.values()].every((count) => count === 1)).toBe(true);
    const total = (answer: SweepAnswer) => ('summary' in answer ? answer.summary.resends : Number.NaN);
    expect(total(a) + total(b)).toBe(due.length);
  });
});

describe('a sweep through the bulk queue', () => {
  async function queued(options: {
    consumers: number;
    visibilityTimeoutSeconds?: number;
    env?: Record<string, string>;
  }) {
    const q = await startLocalQueues({ visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? 30 });
    queues = q;
    pointSqsAt(q.endpoint);
    const env = { ORDERS_QUEUE_URL: q.ordersQueueUrl, FAILURE_QUEUE_URL: q.failureQueueUrl, ...options.env };
    const consumers = Array.from({ length: options.consumers }, () => {
      const built = runtime(env, NO_BUDGET);
      return new EventSourcePoller({
        client: q.client,
        queueUrl: q.ordersQueueUrl,
        handler: createHandler(() => built),
        waitSeconds: 0,
      });
    });
    const starter = createHandler(() => runtime(env, NO_BUDGET));
    const drained = async () => {
      const depth = await queueDepth(q.client, q.ordersQueueUrl);
      return depth.visible === 0 && depth.inFlight === 0;
    };
    return { q, consumers, starter, drained };
  }

  it('works 2,000 pending orders through three consumers, resending each due order once and finishing once', async () => {
    const book = stuckOrders(2_000, { firstId: 300_000 });
    h.simulator.addOrders(book);
    const due = book.filter((o) => o.dcvMethod === 'email' && Date.now() - o.createdAt >= 24 * HOUR);
    const { consumers, starter, drained } = await queued({ consumers: 3 });

    const answer = await starter({ action: 'sweep' }, fakeContext());
    for (const consumer of consumers) pollers.push(consumer.start());
    await until(async () => finishedSweeps().length > 0 && (await drained()), 240_000);

    expect(answer).toMatchObject({ dry_run: false, queued: true, policy: 'resend' });
    const sent = resends();
    expect(sent.size).toBe(due.length);
    expect([...sent.values()].every((count) => count === 1)).toBe(true);
    const reads = h.simulator.requests.filter((r) => r.method === 'GET' && r.orderId !== undefined);
    expect(reads).toHaveLength(2_000);
    expect(finishedSweeps()).toHaveLength(1);
    expect(finishedSweeps()[0]).toMatchObject({ pending_orders: 2_000, resends: due.length, errors: 0 });
    expect(consumers.filter((c) => c.invocations > 0).length).toBeGreaterThan(1);
  }, 300_000);

  it('resumes from a page that failed, skipping nothing and reading nothing twice', async () => {
    h.simulator.addOrders(stuckOrders(2_100, { firstId: 400_000 }));
    // The first page answers, the second fails once (one attempt per call), then every page answers.
    h.simulator.scriptList({ kind: 'sent' }, { kind: 'maintenance' }, { kind: 'sent' });
    const { consumers, starter, drained } = await queued({
      consumers: 1,
      visibilityTimeoutSeconds: 1,
      env: { DIGICERT_MAX_ATTEMPTS: '1', DCV_SWEEP_POLICY: 'report' },
    });

    await starter({ action: 'sweep' }, fakeContext());
    pollers.push(consumers[0]?.start() as EventSourcePoller);
    await until(async () => finishedSweeps().length > 0 && (await drained()), 240_000);

    const lists = h.simulator.requests.filter((r) => r.orderId === undefined && r.path.includes('filters'));
    expect(lists.map((r) => new URL(r.path, 'http://x').searchParams.get('offset'))).toEqual([
      '0',
      '1000',
      '1000',
      '2000',
    ]);
    const reads = h.simulator.requests.filter((r) => r.method === 'GET' && r.orderId !== undefined);
    expect(new Set(reads.map((r) => r.orderId)).size).toBe(2_100);
    expect(reads).toHaveLength(2_100);
    expect(finishedSweeps()[0]).toMatchObject({ pending_orders: 2_100 });
  }, 300_000);

  it('does not resend an order issued after the list was read', async () => {
    const book = smallBook(5001);
    h.simulator.addOrders(book);
    const { q, starter, drained } = await queued({ consumers: 0 });
    const built = runtime({ ORDERS_QUEUE_URL: q.ordersQueueUrl, FAILURE_QUEUE_URL: q.failureQueueUrl });
    let first = true;
    const consumer = new EventSourcePoller({
      client: q.client,
      queueUrl: q.ordersQueueUrl,
      handler: createHandler(() => built),
      batchSize: 1,
      waitSeconds: 0,
      // After the page (the first message), order 5001 is issued: its part is read afterwards.
      onInvocation: () => {
        if (first) h.simulator.addOrders([{ ...(book[0] as SimulatedOrder), status: 'issued' }]);
        first = false;
      },
    });

    await starter({ action: 'sweep' }, fakeContext());
    pollers.push(consumer.start());
    await until(async () => finishedSweeps().length > 0 && (await drained()));

    expect(Object.fromEntries(resends())).toEqual({ 5003: 1, 5004: 1 });
    expect(finishedSweeps()[0]).toMatchObject({ pending_orders: 4 });
  });
});

describe('the sweep and the callers share the budget', () => {
  it('holds the sweep to its share while callers resend at the same time, and no caller is refused', async () => {
    // DigiCert itself answers 429 past 20 requests in 5 s: any request over the budget would show.
    await h.simulator.close();
    h = await startHarness({ simulator: { rateLimits: [{ limit: 20, windowMs: 5_000 }] } });
    const book = stuckOrders(12, { firstId: 6000 }).map((o) => ({
      ...o,
      dcvMethod: 'email' as const,
      createdAt: Date.now() - 48 * HOUR,
    }));
    h.simulator.addOrders(book);
    const budget = {
      DIGICERT_RATE_LIMIT_PER_5S: '20',
      DIGICERT_RATE_LIMIT_PER_3MIN: '1000',
      DCV_SWEEP_BUDGET_SHARE: '0.5',
    };
    const sweeper = runtime(budget);
    const caller = runtime(budget);

    // The sweep's 24 requests take at least 10 s at its 10 per 5 s; callers send 5 per 5 s meanwhile,
    // which leaves the rest of the budget for slots held while answers are slow on a loaded machine.
    let done = false;
    const sweeping = sweeper.sweep.start({ dryRun: false }, { deadline: deadline() }).finally(() => {
      done = true;
    });
    const callerResults: Promise<PromiseSettledResult<unknown>>[] = [];
    for (let id = 7000; !done && id < 7060; id += 1) {
      callerResults.push(
        caller.resend({ order_id: id }, { deadline: Date.now() + 28_000 }).then(
          (value) => ({ status: 'fulfilled' as const, value }),
          (reason: unknown) => ({ status: 'rejected' as const, reason }),
        ),
      );
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    const answer = await sweeping;
    const outcomes = await Promise.all(callerResults);

    expect(answer).toMatchObject({ summary: { resends: 12, errors: 0 } });
    expect(outcomes.length).toBeGreaterThan(5);
    expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([]);
    expect(h.simulator.requests.filter((r) => r.method === 'PUT' && (r.orderId ?? 0) >= 7000).length).toBe(
      outcomes.length,
    );
    const isSweep = (r: { orderId?: number | undefined }) => r.orderId === undefined || r.orderId < 7000;
    for (const request of h.simulator.requests) {
      const window = h.simulator.requests.filter(
        (r) => r.receivedAt <= request.receivedAt && r.receivedAt > request.receivedAt - 5_000,
      );
      expect(window.filter(isSweep).length).toBeLessThanOrEqual(10);
      expect(window.length).toBeLessThanOrEqual(20);
    }
  }, 120_000);
});
