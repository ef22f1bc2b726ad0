/**
 * The bulk queue end to end (docs/contract.md §8): orders written with `submit`'s own code to a real
 * SQS-compatible server (local-aws-sqs on 127.0.0.1), drained by pollers that feed the real handler
 * SQS events as Lambda's event source mapping does, against the DigiCert simulator. The properties
 * that need the state table (a redelivered message sends only its unsent orders; a refusal is
 * recorded once across redeliveries) are in queue-idempotency.pending.ts.
 */
import { ReceiveMessageCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { submitOrders } from '../../cli/queue-submit.js';
import { EventSourcePoller, type LocalQueues, queueDepth, startLocalQueues } from '../../dev/local-queue.js';
import { pointSqsAt } from '../../dev/sdk-endpoint.js';
import { DIGICERT_RATE_LIMITS, RATE_LIMIT_WINDOWS_MS } from '../../functions/app/contract.js';
import { isRecord } from '../../functions/lib/is-record.js';
import { createHandler } from '../../functions/resend-dcv-emails/handler.js';
import { CANARY_KEY, type Harness, startHarness } from '../support/harness.js';
import { scaledLimiter } from '../support/limiters.js';
import { maxInAnyWindow } from '../support/windows.js';

/** Every window a hundred times shorter: "90 per 5 s" becomes "90 per 50 ms". */
const SCALE = 0.01;
const BUDGET = [
  { limit: 90, windowMs: RATE_LIMIT_WINDOWS_MS.per5Seconds },
  { limit: 900, windowMs: RATE_LIMIT_WINDOWS_MS.per3Minutes },
];

let harness: Harness;
let queues: LocalQueues | undefined;
const pollers: EventSourcePoller[] = [];

beforeAll(async () => {
  harness = await startHarness({
    simulator: {
      // DigiCert's own limits, scaled like the consumers' budget: a 429 means the budget was exceeded.
      rateLimits: [
        { limit: DIGICERT_RATE_LIMITS.per5Seconds, windowMs: RATE_LIMIT_WINDOWS_MS.per5Seconds * SCALE },
        { limit: DIGICERT_RATE_LIMITS.per3Minutes, windowMs: RATE_LIMIT_WINDOWS_MS.per3Minutes * SCALE },
      ],
    },
  });
});

afterEach(async () => {
  await Promise.all(pollers.splice(0).map((poller) => poller.stop()));
  await queues?.close();
  queues = undefined;
  harness.reset();
});

afterAll(async () => {
  await harness.close();
});

async function freshQueues(options: Parameters<typeof startLocalQueues>[0] = {}): Promise<LocalQueues> {
  queues = await startLocalQueues(options);
  pointSqsAt(queues.endpoint);
  return queues;
}

/** Consumers around fresh runtimes (one container each) that share one limiter, as the shared budget does. */
function consumers(
  count: number,
  q: LocalQueues,
  extraEnv: Record<string, string> = {},
): EventSourcePoller[] {
  const limiter = scaledLimiter(BUDGET, SCALE);
  for (let i = 0; i < count; i += 1) {
    const runtime = harness.runtime({ FAILURE_QUEUE_URL: q.failureQueueUrl, ...extraEnv }, { limiter });
    pollers.push(
      new EventSourcePoller({
        client: q.client,
        queueUrl: q.ordersQueueUrl,
        handler: createHandler(() => runtime),
        waitSeconds: 0,
      }).start(),
    );
  }
  return pollers;
}

async function until(condition: () => Promise<boolean> | boolean, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function drained(q: LocalQueues, url = q.ordersQueueUrl): Promise<boolean> {
  const depth = await queueDepth(q.client, url);
  return depth.visible === 0 && depth.inFlight === 0;
}

/** Every message of a queue (the failure queue or the dead-letter queue), read once. */
async function readAll(q: LocalQueues, url: string): Promise<unknown[]> {
  const bodies: unknown[] = [];
  for (;;) {
    const { Messages = [] } = await q.client.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        VisibilityTimeout: 60,
      }),
    );
    if (Messages.length === 0) return bodies;
    bodies.push(...Messages.map((m) => JSON.parse(m.Body ?? 'null') as unknown));
  }
}

const orders = (count: number, first = 1) =>
  Array.from({ length: count }, (_, i) => ({ order_id: first + i }));

describe('the bulk queue drained by the function', () => {
  it('sends each of 2,000 submitted orders exactly once with three consumers, without a 429 and within every window', async () => {
    const q = await freshQueues();
    const submitted = await submitOrders(q.client, q.ordersQueueUrl, orders(2_000));
    expect(submitted).toMatchObject({ orders: 2_000, messages: 20 });

    consumers(3, q);
    await until(() => drained(q));

    const requests = harness.simulator.requests;
    const perOrder = new Map<number | undefined, number>();
    for (const request of requests) perOrder.set(request.orderId, (perOrder.get(request.orderId) ?? 0) + 1);
    expect(perOrder.size).toBe(2_000);
    expect([...perOrder.values()].every((count) => count === 1)).toBe(true);
    expect(requests.length).toBe(2_000);
    const times = requests.map((request) => request.receivedAt);
    for (const { limit, windowMs } of BUDGET) {
      expect(maxInAnyWindow(times, windowMs * SCALE)).toBeLessThanOrEqual(limit);
    }
    expect(await readAll(q, q.failureQueueUrl)).toEqual([]);
    expect(await readAll(q, q.deadLetterQueueUrl)).toEqual([]);
  });

  it('writes malformed messages to the failure queue with their reason, never retries them, and leaves the rest of the batch alone', async () => {
    const q = await freshQueues({ visibilityTimeoutSeconds: 1 });
    await q.client.send(
      new SendMessageBatchCommand({
        QueueUrl: q.ordersQueueUrl,
        Entries: [
          { Id: 'not-json', MessageBody: '{"orders": [' },
          { Id: 'wrong-shape', MessageBody: JSON.stringify({ order: 5 }) },
          { Id: 'too-many', MessageBody: JSON.stringify({ orders: orders(101, 1_000) }) },
          { Id: 'good', MessageBody: JSON.stringify({ orders: orders(3, 7) }) },
        ],
      }),
    );
    const receives: number[] = [];
    const runtime = harness.runtime({ FAILURE_QUEUE_URL: q.failureQueueUrl });
    pollers.push(
      new EventSourcePoller({
        client: q.client,
        queueUrl: q.ordersQueueUrl,
        handler: createHandler(() => runtime),
        batchSize: 10,
        waitSeconds: 0,
        onInvocation: (event) =>
          receives.push(...event.Records.map((r) => Number(r.attributes.ApproximateReceiveCount))),
      }).start(),
    );
    await until(() => drained(q));
    // Longer than the visibility timeout: anything kept would have come back by now.
    await new Promise((resolve) => setTimeout(resolve, 1_500));

    expect(receives).toHaveLength(4);
    expect(receives.every((count) => count === 1)).toBe(true);
    expect(harness.simulator.requests.map((r) => r.orderId).sort()).toEqual([7, 8, 9]);
    const records = (await readAll(q, q.failureQueueUrl)).filter(isRecord);
    expect(records).toHaveLength(3);
    for (const record of records) {
      expect(record).toMatchObject({ source: 'dcv-resend', kind: 'message', errorType: 'ValidationError' });
    }
    const byBody = (prefix: string) =>
      records.find((r) => typeof r.body === 'string' && r.body.startsWith(prefix));
    expect(byBody('{"orders": [')).toMatchObject({ code: 'invalid_json' });
    expect(byBody('{"order":')).toMatchObject({ message: expect.stringContaining('Unrecognised payload') });
    expect(byBody('{"orders":[{"order_id":1000')).toMatchObject({
      errors: [expect.objectContaining({ field: 'orders', message: expect.stringContaining('at most 100') })],
    });
    expect(await readAll(q, q.deadLetterQueueUrl)).toEqual([]);
  });

  it('records a refused order in the failure queue, retries an order DigiCert keeps answering 503 until the dead-letter queue, and sends nothing', async () => {
    const q = await freshQueues({ visibilityTimeoutSeconds: 1, maxReceiveCount: 3 });
    harness.simulator.script(41, { kind: 'forbidden' });
    harness.simulator.script(42, { kind: 'maintenance' });
    await submitOrders(q.client, q.ordersQueueUrl, [{ order_id: 41 }, { order_id: 42 }]);
    const answers: unknown[] = [];
    const runtime = harness.runtime({ FAILURE_QUEUE_URL: q.failureQueueUrl, DIGICERT_MAX_ATTEMPTS: '1' });
    pollers.push(
      new EventSourcePoller({
        client: q.client,
        queueUrl: q.ordersQueueUrl,
        handler: createHandler(() => runtime),
        waitSeconds: 0,
        onInvocation: (_event, answer) => answers.push(answer),
      }).start(),
    );

    await until(async () => (await queueDepth(q.client, q.deadLetterQueueUrl)).visible === 1, 30_000);

    expect(answers).toHaveLength(3);
    for (const answer of answers) {
      expect(answer).toEqual({ batchItemFailures: [{ itemIdentifier: expect.any(String) }] });
    }
    expect(harness.simulator.requestsFor(42)).toHaveLength(3);
    const records = (await readAll(q, q.failureQueueUrl)).filter(isRecord);
    expect(records.length).toBeGreaterThanOrEqual(1);
    expect(records[0]).toMatchObject({
      source: 'dcv-resend',
      kind: 'order',
      orderId: 41,
      order: { order_id: 41 },
      errorType: 'DigiCertRequestError',
      status: 403,
    });
    expect(records.every((record) => record.orderId === 41)).toBe(true);
    const [dead] = await readAll(q, q.deadLetterQueueUrl);
    expect(dead).toEqual({ orders: [{ order_id: 41 }, { order_id: 42 }] });
    expect(JSON.stringify(records)).not.toContain(CANARY_KEY);
  });
});
