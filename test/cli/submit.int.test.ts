/**
 * `dcv-resend submit` against a real SQS-compatible server on 127.0.0.1 (local-aws-sqs): the CLI's
 * own code path (`main`), with its output captured.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../cli/exit-codes.js';
import type { Io } from '../../cli/io.js';
import { main } from '../../cli/main.js';
import { EventSourcePoller, type LocalQueues, queueDepth, startLocalQueues } from '../../dev/local-queue.js';
import { pointSqsAt } from '../../dev/sdk-endpoint.js';
import { createHandler } from '../../functions/resend-dcv-emails/handler.js';
import { startDynaliteForSdk } from '../support/dynalite.js';
import { startHarness } from '../support/harness.js';

const dir = mkdtempSync(join(tmpdir(), 'dcv-submit-'));
let queues: LocalQueues;

beforeAll(async () => {
  queues = await startLocalQueues();
});

afterAll(async () => {
  await queues.close();
});

function captured(env: NodeJS.ProcessEnv = {}): Io & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: (text) => out.push(text),
    stderr: (text) => err.push(text),
    env,
    readStdin: () => Promise.resolve(''),
    interactive: false,
  };
}

function ordersFile(name: string, lines: readonly unknown[]): string {
  const path = join(dir, name);
  writeFileSync(path, `${lines.map((line) => JSON.stringify(line)).join('\n')}\n`);
  return path;
}

async function drainBodies(): Promise<unknown[]> {
  const bodies: unknown[] = [];
  for (;;) {
    const { Messages = [] } = await queues.client.send(
      new ReceiveMessageCommand({
        QueueUrl: queues.ordersQueueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 60,
      }),
    );
    if (Messages.length === 0) return bodies;
    bodies.push(...Messages.map((m) => JSON.parse(m.Body ?? 'null') as unknown));
  }
}

describe('dcv-resend submit', () => {
  it('queues 250 orders in three messages of at most 100 and says how long the budget needs to drain them', async () => {
    const file = ordersFile(
      'many.ndjson',
      Array.from({ length: 250 }, (_, i) => ({ order_id: i + 1 })),
    );
    const io = captured();

    const code = await main(['submit', '--file', file, '--queue-url', queues.ordersQueueUrl, '--json'], io);

    expect(code).toBe(EXIT.ok);
    expect(JSON.parse(io.out.join(''))).toMatchObject({ orders: 250, messages: 3, drainSeconds: 50 });
    const bodies = (await drainBodies()) as { orders: { order_id: number }[] }[];
    expect(bodies.map((b) => b.orders.length).sort()).toEqual([100, 100, 50]);
    expect(new Set(bodies.flatMap((b) => b.orders.map((o) => o.order_id))).size).toBe(250);
  });

  it('takes the queue from ORDERS_QUEUE_URL and prints the count in words', async () => {
    const file = ordersFile('two.ndjson', [{ order_id: 1 }, { order_id: 2 }]);
    const io = captured({ ORDERS_QUEUE_URL: queues.ordersQueueUrl });

    const code = await main(['submit', '--file', file], io);

    expect(code).toBe(EXIT.ok);
    expect(io.out.join('')).toMatch(/2 orders queued in 1 message; the key's budget needs about 1 s/);
    expect(await drainBodies()).toEqual([
      {
        idempotency_key: expect.stringMatching(/^dcv-resend-submit-[0-9a-f]{64}$/),
        orders: [{ order_id: 1 }, { order_id: 2 }],
      },
    ]);
  });

  it('queues nothing when one order is invalid, naming its line, and exits 3', async () => {
    const file = ordersFile('bad.ndjson', [
      { order_id: 1 },
      { order_id: 2, locale: 'english!' },
      { order_id: 1 },
    ]);
    const io = captured();
    const before = await queueDepth(queues.client, queues.ordersQueueUrl);

    const code = await main(['submit', '--file', file, '--queue-url', queues.ordersQueueUrl], io);

    expect(code).toBe(EXIT.invalid);
    expect(io.err.join('')).toContain('bad.ndjson:2');
    expect(io.err.join('')).toContain('bad.ndjson:3');
    expect(await queueDepth(queues.client, queues.ordersQueueUrl)).toEqual(before);
  });

  it('exits 2 with the way to find the queue when no URL is given', async () => {
    const file = ordersFile('one.ndjson', [{ order_id: 1 }]);
    const io = captured();

    const code = await main(['submit', '--file', file], io);

    expect(code).toBe(EXIT.usage);
    expect(io.err.join('')).toContain("OutputKey=='OrdersQueueUrl'");
  });
});

describe('dcv-resend submit, drained by a consumer with the state table', () => {
  it('sends each order once when the same file is submitted twice (docs/contract.md §8)', async () => {
    const [harness, dynamo, q] = await Promise.all([
      startHarness(),
      startDynaliteForSdk(),
      startLocalQueues({ visibilityTimeoutSeconds: 30 }),
    ]);
    pointSqsAt(q.endpoint);
    const runtime = harness.runtime({
      FAILURE_QUEUE_URL: q.failureQueueUrl,
      STATE_TABLE_NAME: dynamo.tableName,
    });
    const poller = new EventSourcePoller({
      client: q.client,
      queueUrl: q.ordersQueueUrl,
      handler: createHandler(() => runtime),
      waitSeconds: 0,
      // One message per invocation, one after another: a copy received while its twin is still
      // being sent would be answered "in progress" and come back after the visibility timeout,
      // which only makes the test slower.
      batchSize: 1,
    });
    try {
      // 101 orders: two messages with keys of their own, both repeated by the second submit.
      const ids = Array.from({ length: 101 }, (_, i) => 7_000 + i);
      const file = ordersFile(
        'twice.ndjson',
        ids.map((order_id) => ({ order_id })),
      );
      const args = ['submit', '--file', file, '--queue-url', q.ordersQueueUrl];

      expect(await main(args, captured())).toBe(EXIT.ok);
      expect(await main(args, captured())).toBe(EXIT.ok);
      poller.start();
      const end = Date.now() + 60_000;
      for (;;) {
        const depth = await queueDepth(q.client, q.ordersQueueUrl);
        if (depth.visible === 0 && depth.inFlight === 0) break;
        if (Date.now() > end) throw new Error('the queue was not drained in 60 s');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }

      const counts = new Map<number | undefined, number>();
      for (const r of harness.simulator.requests) counts.set(r.orderId, (counts.get(r.orderId) ?? 0) + 1);
      expect([...counts.keys()].sort()).toEqual(ids);
      expect([...counts.values()].every((count) => count === 1)).toBe(true);
    } finally {
      await poller.stop();
      await Promise.all([q.close(), dynamo.close(), harness.close()]);
    }
  }, 90_000);
});
