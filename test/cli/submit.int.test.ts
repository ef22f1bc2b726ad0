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
import { type LocalQueues, queueDepth, startLocalQueues } from '../../dev/local-queue.js';

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
    expect(await drainBodies()).toEqual([{ orders: [{ order_id: 1 }, { order_id: 2 }] }]);
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
