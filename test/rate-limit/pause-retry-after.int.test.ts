/**
 * The 429 pause and the caller's Retry-After (docs/contract.md §7), end to end: the real handler
 * and runtime, the DigiCert simulator, and the shared budget on dynalite. One 429 pauses every
 * container for at most 180 s whatever DigiCert's Retry-After, and a caller refused during a pause
 * is told when it really ends.
 */
import { BatchWriteItemCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fakeContext, httpV2Event } from '../../dev/lambda-events.js';
import type { Handler } from '../../functions/resend-dcv-emails/handler.js';
import { type Dynalite, startDynalite } from '../support/dynalite.js';
import { type Harness, startHarness } from '../support/harness.js';

let h: Harness;
let db: Dynalite;

beforeAll(async () => {
  [h, db] = await Promise.all([startHarness(), startDynalite()]);
});
afterAll(async () => {
  await Promise.all([h.close(), db.close()]);
});
beforeEach(() => h.reset());

/** A fresh container (its own runtime and budget) on `table`. */
function container(table: string): Handler {
  return h.handler(
    { STATE_TABLE_NAME: table, DIGICERT_MAX_ATTEMPTS: '1' },
    {
      stateTableEndpoint: {
        url: db.endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'AKIDLOCALSTANDIN', secretAccessKey: 'local-stand-in-secret' },
      },
    },
  );
}

async function put(handler: Handler, orderId: number) {
  const response = await handler(httpV2Event({ orderId: String(orderId), body: '{}' }), fakeContext(3_000));
  if (!('statusCode' in response)) throw new Error('expected an HTTP response');
  return response;
}

/** The pause on the table, once the container's write (which does not hold up the answer) has landed. */
async function writtenPause(table: string): Promise<number> {
  await expect.poll(() => storedPause(table), { timeout: 2_000 }).toBeGreaterThan(0);
  return storedPause(table);
}

async function storedPause(table: string): Promise<number> {
  const { Item } = await db.client.send(
    new GetItemCommand({ TableName: table, Key: { id: { S: 'rate-budget#tickets' } }, ConsistentRead: true }),
  );
  return Number(Item?.paused_until?.N ?? '0');
}

describe('one 429 from DigiCert pauses every container for at most 180 s', () => {
  it('pauses for 180 s, not a day, when DigiCert answers 429 with Retry-After 86400', async () => {
    const table = await db.createTable();
    h.simulator.script(801, { kind: 'rate_limited', retryAfter: '86400' });

    const before = Date.now();
    const response = await put(container(table), 801);

    expect(response.statusCode).toBe(429);
    expect(Number(response.headers?.['retry-after'])).toBeLessThanOrEqual(180);
    expect(Number(response.headers?.['retry-after'])).toBeGreaterThanOrEqual(179);
    const pausedUntil = await writtenPause(table);
    expect(pausedUntil).toBeGreaterThanOrEqual(before + 179_000);
    expect(pausedUntil).toBeLessThanOrEqual(Date.now() + 180_000);
  });

  it('tells a caller of a fresh container the remaining pause as Retry-After, over HTTP and directly', async () => {
    const table = await db.createTable();
    h.simulator.script(802, { kind: 'rate_limited', retryAfter: '40' });
    await put(container(table), 802);
    const pausedUntil = await writtenPause(table);
    const remaining = () => (pausedUntil - Date.now()) / 1000;

    const fresh = container(table);
    const response = await put(fresh, 803);
    const expectedHttp = remaining();
    const direct = await fresh({ order_id: 804 }, fakeContext(3_000)).then(
      () => undefined,
      (error: unknown) => error,
    );
    const expectedDirect = remaining();

    expect(response.statusCode).toBe(429);
    expect(Math.abs(Number(response.headers?.['retry-after']) - expectedHttp)).toBeLessThanOrEqual(1);
    expect(direct).toBeInstanceOf(Error);
    const detail = JSON.parse((direct as Error).message) as { code: string; retry_after: number };
    expect(detail.code).toBe('request_limit_exceeded');
    expect(Math.abs(detail.retry_after - expectedDirect)).toBeLessThanOrEqual(1);
    expect(h.simulator.requests.filter((r) => r.orderId === 803 || r.orderId === 804)).toEqual([]);
  });

  it('reads a stored pause longer than 180 s (written before the cap) as 180 s, and rewrites it', async () => {
    const table = await db.createTable();
    const aDayAhead = Date.now() + 86_400_000;
    // Where a pause is kept: on the ticket item and on every item a container may pick (at most 256).
    const ids = ['rate-budget#tickets', ...Array.from({ length: 256 }, (_, i) => `rate-budget#slot#${i}`)];
    for (let i = 0; i < ids.length; i += 25) {
      await db.client.send(
        new BatchWriteItemCommand({
          RequestItems: {
            [table]: ids.slice(i, i + 25).map((id) => ({
              PutRequest: { Item: { id: { S: id }, paused_until: { N: String(aDayAhead) } } },
            })),
          },
        }),
      );
    }

    const response = await put(container(table), 805);

    expect(response.statusCode).toBe(429);
    expect(Number(response.headers?.['retry-after'])).toBeLessThanOrEqual(180);
    await expect.poll(() => storedPause(table), { timeout: 2_000 }).toBeLessThanOrEqual(Date.now() + 180_000);
  });
});
