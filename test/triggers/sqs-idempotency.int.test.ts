/**
 * The bulk queue's deliveries against the state table (docs/contract.md §6, §8), through dynalite,
 * local-aws-sqs and the simulator:
 *
 * - a consumer killed mid-message (its process ended with SIGKILL): after the visibility timeout
 *   the message is redelivered and only the unsent orders are sent;
 * - a refused order is in the failure queue once, however often its message comes back, also when
 *   the failure queue could not be written on the receive that got the refusal (a proxy in front
 *   of local-aws-sqs fails the write).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { submitOrders } from '../../cli/queue-submit.js';
import { EventSourcePoller, type LocalQueues, queueDepth, startLocalQueues } from '../../dev/local-queue.js';
import { pointSqsAt } from '../../dev/sdk-endpoint.js';
import { isRecord } from '../../functions/lib/is-record.js';
import { createHandler } from '../../functions/resend-dcv-emails/handler.js';
import { type Dynalite, startDynaliteForSdk } from '../support/dynalite.js';
import { CANARY_KEY, type Harness, startHarness } from '../support/harness.js';
import { startWireFaultProxy, type WireFaultProxy } from '../support/wire-faults.js';

let harness: Harness;
let dynamo: Dynalite;
let queues: LocalQueues | undefined;
let child: ChildProcess | undefined;
const pollers: EventSourcePoller[] = [];
const proxies: WireFaultProxy[] = [];

beforeAll(async () => {
  harness = await startHarness();
  dynamo = await startDynaliteForSdk();
});

afterEach(async () => {
  child?.kill('SIGKILL');
  child = undefined;
  await Promise.all(pollers.splice(0).map((poller) => poller.stop()));
  await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
  await queues?.close();
  queues = undefined;
  harness.reset();
});

afterAll(async () => {
  await Promise.all([harness.close(), dynamo.close()]);
});

async function until(condition: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function readAll(q: LocalQueues, url: string): Promise<Record<string, unknown>[]> {
  const bodies: Record<string, unknown>[] = [];
  for (;;) {
    const { Messages = [] } = await q.client.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 60 }),
    );
    if (Messages.length === 0) return bodies;
    bodies.push(...Messages.map((m) => JSON.parse(m.Body ?? 'null') as unknown).filter(isRecord));
  }
}

function consumer(q: LocalQueues, extraEnv: Record<string, string> = {}): EventSourcePoller {
  const runtime = harness.runtime({
    FAILURE_QUEUE_URL: q.failureQueueUrl,
    STATE_TABLE_NAME: dynamo.tableName,
    ...extraEnv,
  });
  const poller = new EventSourcePoller({
    client: q.client,
    queueUrl: q.ordersQueueUrl,
    handler: createHandler(() => runtime),
    waitSeconds: 0,
  }).start();
  pollers.push(poller);
  return poller;
}

describe('the bulk queue with the state table (issue 13)', () => {
  it('sends only the unsent orders of a message whose consumer was killed mid-message, after the visibility timeout', async () => {
    // As AWS requires, the message stays invisible longer than an invocation may run (the child's
    // local invocations get 10 s): the killed invocation's in-progress records expire before the
    // message comes back.
    const q = await startLocalQueues({ visibilityTimeoutSeconds: 12 });
    queues = q;
    pointSqsAt(q.endpoint);
    const orders = Array.from({ length: 20 }, (_, i) => ({ order_id: 500 + i }));
    await submitOrders(q.client, q.ordersQueueUrl, orders);
    // A consumer in its own process, slowed to about one order a second so that it dies mid-message.
    child = spawn(process.execPath, ['--import', 'tsx', 'dev/local-queue.ts', '--consume'], {
      env: {
        ...process.env,
        AWS_ENDPOINT_URL_SQS: q.endpoint,
        AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
        ORDERS_QUEUE_URL: q.ordersQueueUrl,
        FAILURE_QUEUE_URL: q.failureQueueUrl,
        STATE_TABLE_NAME: dynamo.tableName,
        DIGICERT_API_KEY: CANARY_KEY,
        DIGICERT_BASE_URL: harness.simulator.baseUrl,
        DIGICERT_RATE_LIMIT_PER_5S: '5',
      },
      stdio: 'ignore',
    });
    // Killed mid-message: its first 5 orders answered and recorded (the budget lets the next 5 go
    // only a window after those answers), the other 15 claimed but not sent. An order DigiCert had
    // answered but the process had not yet recorded may go again (docs/contract.md §6); the pause
    // before the kill leaves the first answers time to be recorded.
    await until(() => harness.simulator.requests.length >= 5);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    child.kill('SIGKILL');
    const sentBeforeKill = new Set(harness.simulator.requests.map((r) => r.orderId));

    consumer(q);
    await until(async () => {
      const depth = await queueDepth(q.client, q.ordersQueueUrl);
      return depth.visible === 0 && depth.inFlight === 0;
    }, 60_000);

    const counts = new Map<number | undefined, number>();
    for (const r of harness.simulator.requests) counts.set(r.orderId, (counts.get(r.orderId) ?? 0) + 1);
    expect([...counts.keys()].sort()).toEqual(orders.map((o) => o.order_id).sort());
    const repeated = [...counts.entries()].filter(([, count]) => count > 1).map(([id]) => id);
    // Only an order DigiCert was answering when the process died may go again (docs/contract.md §6).
    expect(repeated.length).toBeLessThanOrEqual(1);
    expect(repeated.every((id) => sentBeforeKill.has(id))).toBe(true);
  }, 90_000);

  it('writes a refusal to the failure queue once while the 503 order is retried into the dead-letter queue, sending nothing twice', async () => {
    const q = await startLocalQueues({ visibilityTimeoutSeconds: 1, maxReceiveCount: 3 });
    queues = q;
    pointSqsAt(q.endpoint);
    harness.simulator.script(41, { kind: 'forbidden' });
    harness.simulator.script(42, { kind: 'maintenance' });
    harness.simulator.script(43, { kind: 'sent' });
    await submitOrders(q.client, q.ordersQueueUrl, [{ order_id: 41 }, { order_id: 42 }, { order_id: 43 }]);

    consumer(q, { DIGICERT_MAX_ATTEMPTS: '1' });
    await until(async () => (await queueDepth(q.client, q.deadLetterQueueUrl)).visible === 1);

    expect(harness.simulator.requestsFor(41)).toHaveLength(1);
    expect(harness.simulator.requestsFor(43)).toHaveLength(1);
    expect(harness.simulator.requestsFor(42)).toHaveLength(3);
    const records = await readAll(q, q.failureQueueUrl);
    expect(records).toEqual([expect.objectContaining({ kind: 'order', orderId: 41, status: 403 })]);
  });

  it('writes a refusal whose failure record could not be written on the redelivery, once overall', async () => {
    const q = await startLocalQueues({ visibilityTimeoutSeconds: 1, maxReceiveCount: 5 });
    queues = q;
    // The function's failure-queue writes go through the proxy (the SDK sends to the queue URL's
    // host); the poller and the test talk to local-aws-sqs directly. The first write fails on every
    // one of the SDK's 3 attempts.
    const proxy = await startWireFaultProxy(q.endpoint);
    proxies.push(proxy);
    pointSqsAt(proxy.endpoint);
    proxy.fail({ operation: 'SendMessageBatch', times: 3 });
    harness.simulator.script(41, { kind: 'forbidden' });
    await submitOrders(q.client, q.ordersQueueUrl, [{ order_id: 41 }, { order_id: 43 }]);

    const poller = consumer(q, { FAILURE_QUEUE_URL: q.failureQueueUrl.replace(q.endpoint, proxy.endpoint) });
    await until(async () => {
      const depth = await queueDepth(q.client, q.ordersQueueUrl);
      return depth.visible === 0 && depth.inFlight === 0;
    });
    await poller.stop();

    expect(proxy.calls.filter((call) => call.failed)).toHaveLength(3);
    expect(poller.invocations).toBeGreaterThanOrEqual(2);
    expect(harness.simulator.requestsFor(41)).toHaveLength(1);
    expect(harness.simulator.requestsFor(43)).toHaveLength(1);
    const records = await readAll(q, q.failureQueueUrl);
    expect(records).toEqual([expect.objectContaining({ kind: 'order', orderId: 41, status: 403 })]);
    expect((await queueDepth(q.client, q.deadLetterQueueUrl)).visible).toBe(0);
  });
});
