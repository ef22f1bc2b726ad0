/**
 * Deliveries happen once (docs/contract.md §6), through the real handler against dynalite (the
 * state table, reached by the real SDK), the DigiCert simulator and the Secrets Manager stand-in.
 * The simulator's request records are the proof of how many emails DigiCert was asked to send.
 */
import { randomUUID } from 'node:crypto';
import { ScanCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type EventCaller,
  fakeContext,
  type HttpEventOptions,
  httpV1Event,
  httpV2Event,
  lambdaContext,
} from '../../dev/lambda-events.js';
import { BatchError } from '../../functions/lib/errors.js';
import type { BatchResult } from '../../functions/resend/batch-result.js';
import type { Handler } from '../../functions/resend-dcv-emails/handler.js';
import type { HttpResponse } from '../../functions/triggers/api-gateway.js';
import { type Dynalite, startDynaliteForSdk } from '../support/dynalite.js';
import { CANARY_KEY, type Harness, startHarness } from '../support/harness.js';
import { closedPort } from '../support/ports.js';
import { startWireFaultProxy, type WireFaultProxy } from '../support/wire-faults.js';

let harness: Harness;
let db: Dynalite;
let stateEnv: Record<string, string>;

beforeAll(async () => {
  harness = await startHarness();
  db = await startDynaliteForSdk();
  stateEnv = { STATE_TABLE_NAME: db.tableName };
});
afterEach(() => {
  harness.reset();
});
afterAll(async () => {
  await Promise.all([harness.close(), db.close()]);
});

const BODY = {
  domain_approval_emails: [{ domain: 'example.com', email: 'admin@example.com' }],
  locale: 'en',
};

/** A new container (cold runtime) with the state table. */
const container = (extraEnv: Record<string, string> = {}): Handler =>
  // dynalite on a loaded test machine can take over the budget's 1 s per call: not an outage here.
  harness.handler({ ...stateEnv, ...extraEnv }, { sharedBudget: { callTimeoutMs: 15_000 } });

/** The same Lambda request id on every delivery, as Lambda keeps it across its async retries. */
const retryOf = (awsRequestId: string, remainingMs = 30_000): Context => {
  const deadline = Date.now() + remainingMs;
  return lambdaContext(awsRequestId, () => Math.max(0, deadline - Date.now()));
};

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the invocation to fail');
}

function put(handler: Handler, orderId: number, headers: Record<string, string>, body: unknown = BODY) {
  return handler(
    httpV2Event({ orderId: String(orderId), headers, body: JSON.stringify(body) }),
    fakeContext(),
  ) as Promise<HttpResponse>;
}

const errorsOf = (response: HttpResponse) =>
  JSON.parse(response.body).errors as { code: string; field?: string }[];

describe('a batch delivered again by Lambda', () => {
  it('sends each good order exactly once and does not re-send the order DigiCert refused, over three deliveries', async () => {
    const good = Array.from({ length: 20 }, (_, i) => ({ order_id: 8001 + i }));
    const refused = 8021;
    harness.simulator.script(refused, { kind: 'not_found' });
    const event = { orders: [...good, { order_id: refused }] };
    const requestId = randomUUID();

    const summaries: BatchResult[] = [];
    for (let delivery = 0; delivery < 3; delivery += 1) {
      const error = await failure(container()(event, retryOf(requestId)));
      expect(error).toBeInstanceOf(BatchError);
      summaries.push((error as BatchError).summary);
    }

    for (const { order_id } of good) expect(harness.simulator.requestsFor(order_id)).toHaveLength(1);
    expect(harness.simulator.requestsFor(refused)).toHaveLength(1);
    expect(harness.simulator.requests).toHaveLength(21);
    // Every delivery reports every order, the refused one with DigiCert's own answer.
    for (const summary of summaries) {
      expect(summary.results.filter((r) => r.status === 'failed')).toEqual([summary.results[20]]);
      expect(summary.sent).toBe(20);
      expect(summary.failed).toBe(1);
      expect(summary.results[20]).toMatchObject({
        order_id: refused,
        status: 'failed',
        error_type: 'DigiCertRequestError',
        code: 'not_found|order',
      });
    }
    expect(summaries[2]).toEqual(summaries[0]);
  });

  it('attempts only the orders without a recorded outcome when a partly failed batch is retried', async () => {
    harness.simulator.script(8102, { kind: 'maintenance' }, { kind: 'sent' });
    const event = { orders: [{ order_id: 8101 }, { order_id: 8102 }, { order_id: 8103 }] };
    const requestId = randomUUID();
    const once = { DIGICERT_MAX_ATTEMPTS: '1' };

    const first = await failure(container(once)(event, retryOf(requestId)));
    const second = await container(once)(event, retryOf(requestId));

    expect((first as BatchError).summary).toMatchObject({ sent: 2, failed: 1 });
    expect(second).toEqual({
      sent: 3,
      failed: 0,
      results: [
        { order_id: 8101, status: 'sent' },
        { order_id: 8102, status: 'sent' },
        { order_id: 8103, status: 'sent' },
      ],
    });
    expect(harness.simulator.requestsFor(8101)).toHaveLength(1);
    expect(harness.simulator.requestsFor(8102)).toHaveLength(2);
    expect(harness.simulator.requestsFor(8103)).toHaveLength(1);
  });

  it('treats an EventBridge event delivered twice (same event id, new request ids) as one delivery', async () => {
    const event = {
      version: '0',
      id: randomUUID(),
      'detail-type': 'DCV resend requested',
      source: 'com.example.certificates',
      detail: { order_id: 8201 },
    };

    const first = await container()(event, fakeContext());
    const second = await container()(event, fakeContext());

    expect(first).toEqual({ order_id: 8201, status: 'sent' });
    expect(second).toEqual(first);
    expect(harness.simulator.requestsFor(8201)).toHaveLength(1);
  });
});

describe('direct invocations naming their delivery with idempotency_key', () => {
  it('returns the same result without calling DigiCert again', async () => {
    const payload = { order_id: 8301, ...BODY, idempotency_key: `direct-${randomUUID()}` };

    const first = await container()(payload, fakeContext());
    const second = await container()(payload, fakeContext());

    expect(second).toEqual(first);
    expect(harness.simulator.requestsFor(8301)).toHaveLength(1);
    // The key is not a request field: DigiCert gets exactly the contract's body.
    expect(harness.simulator.requestsFor(8301)[0]?.body).toEqual(BODY);
  });

  it('throws the same DigiCertRequestError when the recorded answer was a refusal', async () => {
    harness.simulator.script(8302, { kind: 'not_found' });
    const payload = { order_id: 8302, idempotency_key: `direct-${randomUUID()}` };

    const first = await failure(container()(payload, fakeContext()));
    const second = await failure(container()(payload, fakeContext()));

    expect(first).toMatchObject({ name: 'DigiCertRequestError', status: 404 });
    expect(second).toMatchObject({ name: 'DigiCertRequestError', status: 404 });
    expect((second as Error).message).toBe((first as Error).message);
    expect(harness.simulator.requestsFor(8302)).toHaveLength(1);
  });

  it('refuses the same key for a batch with other orders with a ValidationError, calling DigiCert for neither', async () => {
    const key = `direct-${randomUUID()}`;
    await container()({ idempotency_key: key, orders: [{ order_id: 8311 }] }, fakeContext());

    const error = await failure(
      container()({ idempotency_key: key, orders: [{ order_id: 8311 }, { order_id: 8312 }] }, fakeContext()),
    );

    expect(error).toMatchObject({
      name: 'ValidationError',
      issues: [{ field: 'idempotency_key', code: 'idempotency_key_reused' }],
    });
    expect(harness.simulator.requestsFor(8312)).toHaveLength(0);
    expect(harness.simulator.requestsFor(8311)).toHaveLength(1);
  });

  it('accepts idempotency_key only at the top level, not inside an order of a batch', async () => {
    const error = await failure(
      container()({ orders: [{ order_id: 8331, idempotency_key: 'inner' }] }, fakeContext()),
    );

    expect(error).toMatchObject({
      name: 'ValidationError',
      issues: [{ field: 'orders.0.idempotency_key', code: 'invalid_input' }],
    });
    expect(harness.simulator.requests).toHaveLength(0);
  });

  it.each([
    ['empty', ''],
    ['longer than 255 characters', 'k'.repeat(256)],
    ['holding a control character', 'key\u0007'],
    ['holding a space', 'my key'],
    ['not a string', 42],
  ])('rejects an idempotency_key that is %s, naming the field', async (_name, key) => {
    const error = await failure(container()({ order_id: 8321, idempotency_key: key }, fakeContext()));

    expect(error).toMatchObject({ name: 'ValidationError', issues: [{ field: 'idempotency_key' }] });
    expect(harness.simulator.requests).toHaveLength(0);
  });
});

describe('HTTP requests with an Idempotency-Key', () => {
  it('answers a repeat with the same status and body and idempotent-replayed: true, after one DigiCert call', async () => {
    const headers = { 'idempotency-key': `http-${randomUUID()}` };

    const first = await put(container(), 8401, headers);
    const second = await put(container(), 8401, headers);

    expect(first.statusCode).toBe(204);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(second.statusCode).toBe(204);
    expect(second.body).toBe(first.body);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(harness.simulator.requestsFor(8401)).toHaveLength(1);
  });

  it("replays DigiCert's refusal with the same status and body", async () => {
    harness.simulator.script(8402, { kind: 'not_found' });
    const headers = { 'idempotency-key': `http-${randomUUID()}` };

    const first = await put(container(), 8402, headers);
    const second = await put(container(), 8402, headers);

    expect(first.statusCode).toBe(404);
    expect(second.statusCode).toBe(404);
    expect(second.body).toBe(first.body);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(harness.simulator.requestsFor(8402)).toHaveLength(1);
  });

  it.each([
    ['a different body', 8403, { ...BODY, locale: 'de' }],
    ['a different order id', 8404, BODY],
  ])(
    'answers 422 idempotency_key_reused for the same key with %s, without calling DigiCert',
    async (_n, orderId, body) => {
      const headers = { 'idempotency-key': `http-${randomUUID()}` };
      await put(container(), 8403, headers);
      harness.simulator.reset();

      const response = await put(container(), orderId, headers, body);

      expect(response.statusCode).toBe(422);
      expect(errorsOf(response)).toEqual([
        { code: 'idempotency_key_reused', field: 'Idempotency-Key', message: expect.any(String) },
      ]);
      expect(harness.simulator.requests).toHaveLength(0);
    },
  );

  it('answers one of two concurrent requests under one key 204 and the other 409 with Retry-After', async () => {
    harness.simulator.script(8405, { kind: 'slow', delayMs: 300 });
    const headers = { 'idempotency-key': `http-${randomUUID()}` };

    const responses = await Promise.all([put(container(), 8405, headers), put(container(), 8405, headers)]);

    const statuses = responses.map((r) => r.statusCode).sort();
    expect(statuses).toEqual([204, 409]);
    const conflict = responses.find((r) => r.statusCode === 409) as HttpResponse;
    expect(errorsOf(conflict)[0]?.code).toBe('request_in_progress');
    expect(Number(conflict.headers['retry-after'])).toBeGreaterThan(0);
    expect(harness.simulator.requestsFor(8405)).toHaveLength(1);
  });

  it.each([
    ['empty', ''],
    ['longer than 255 characters', 'k'.repeat(256)],
    ['holding a control character', 'key\u0001'],
  ])('answers 400 naming the header when Idempotency-Key is %s', async (_name, key) => {
    const response = await put(container(), 8406, { 'idempotency-key': key });

    expect(response.statusCode).toBe(400);
    expect(errorsOf(response)).toEqual([
      { code: 'invalid_input', field: 'Idempotency-Key', message: expect.stringContaining('header') },
    ]);
    expect(harness.simulator.requests).toHaveLength(0);
  });

  it('treats every request without the header as a new delivery', async () => {
    await put(container(), 8407, {});
    const second = await put(container(), 8407, {});

    expect(second.headers['idempotent-replayed']).toBeUndefined();
    expect(harness.simulator.requestsFor(8407)).toHaveLength(2);
  });

  it('sends again once the record has expired (expiry is checked on read, not left to TTL deletion)', async () => {
    const headers = { 'idempotency-key': `http-${randomUUID()}` };
    await put(container(), 8408, headers);
    const { Items = [] } = await db.client.send(new ScanCommand({ TableName: db.tableName }));
    for (const item of Items) {
      await db.client.send(
        new UpdateItemCommand({
          TableName: db.tableName,
          Key: { id: item.id ?? { S: '' } },
          UpdateExpression: 'SET expiration = :past',
          ExpressionAttributeValues: { ':past': { N: String(Math.floor(Date.now() / 1000) - 1) } },
        }),
      );
    }

    const again = await put(container(), 8408, headers);

    expect(again.statusCode).toBe(204);
    expect(again.headers['idempotent-replayed']).toBeUndefined();
    expect(harness.simulator.requestsFor(8408)).toHaveLength(2);
  });
});

describe('an Idempotency-Key is the caller’s own', () => {
  const iam = (team: string): EventCaller => ({ iamUserArn: `arn:aws:iam::111122223333:role/team-${team}` });
  const jwt = (team: string): EventCaller => ({
    jwt: { iss: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_EXAMPLE', sub: `sub-team-${team}` },
  });
  const v2 = (options: HttpEventOptions) => httpV2Event(options);
  const v1 = (options: HttpEventOptions) => httpV1Event(options);

  it.each([
    ['HTTP API 2.0, IAM authorizer', v2, iam],
    ['HTTP API 2.0, JWT authorizer', v2, jwt],
    ['REST API 1.0, IAM authorization', v1, iam],
    ['REST API 1.0, Cognito authorizer', v1, jwt],
  ])('keeps callers apart and replays only to the same caller (%s)', async (_name, event, team) => {
    const key = { 'idempotency-key': `order-run-${randomUUID()}` };
    const send = (caller: EventCaller, orderId: number) =>
      container()(
        event({ orderId: String(orderId), headers: key, body: JSON.stringify(BODY), caller }),
        fakeContext(),
      ) as Promise<HttpResponse>;

    const a = await send(team('a'), 8601);
    const b = await send(team('b'), 8601);
    const c = await send(team('c'), 8602);
    const aAgain = await send(team('a'), 8601);

    expect(a.statusCode).toBe(204);
    expect(b.statusCode).toBe(204);
    expect(b.headers['idempotent-replayed']).toBeUndefined();
    expect(c.statusCode).toBe(204);
    expect(aAgain.statusCode).toBe(204);
    expect(aAgain.headers['idempotent-replayed']).toBe('true');
    expect(harness.simulator.requestsFor(8601)).toHaveLength(2);
    expect(harness.simulator.requestsFor(8602)).toHaveLength(1);
  });

  it('stores no caller identity in any record', async () => {
    const arn = `arn:aws:iam::111122223333:role/secret-team-${randomUUID()}`;
    await container()(
      httpV2Event({
        orderId: '8603',
        headers: { 'idempotency-key': `k-${randomUUID()}` },
        body: JSON.stringify(BODY),
        caller: { iamUserArn: arn },
      }),
      fakeContext(),
    );

    const { Items = [] } = await db.client.send(new ScanCommand({ TableName: db.tableName }));
    expect(Items.length).toBeGreaterThan(0);
    expect(JSON.stringify(Items)).not.toContain('secret-team');
  });
});

describe('DigiCert answered and the state table failed to record it (docs/contract.md §6)', () => {
  let proxy: WireFaultProxy;
  beforeAll(async () => {
    proxy = await startWireFaultProxy(db.endpoint);
  });
  afterAll(async () => {
    await proxy.close();
  });

  /** A container whose state table is reached through the proxy. */
  const faulty = (): Handler =>
    harness.handler(stateEnv, {
      stateTableEndpoint: proxy.endpoint,
      sharedBudget: { callTimeoutMs: 15_000 },
    });
  /** The update that marks a record COMPLETED (the first write after DigiCert's answer). */
  const completedUpdates = (times: number) =>
    proxy.fail({ operation: 'UpdateItem', bodyIncludes: '"COMPLETED"', times });

  it('retries recording the answer within the invocation, so a redelivery replays it without a second send', async () => {
    // Two whole calls of the SDK's 3 attempts each fail; the third call records it.
    completedUpdates(6);
    const requestId = randomUUID();

    const sent = await faulty()({ order_id: 8802 }, retryOf(requestId, 10_000));
    const again = await container()({ order_id: 8802 }, retryOf(requestId, 10_000));

    expect(sent).toEqual({ order_id: 8802, status: 'sent' });
    expect(again).toEqual(sent);
    expect(harness.simulator.requestsFor(8802)).toHaveLength(1);
    expect(proxy.calls.filter((call) => call.failed)).toHaveLength(6);
  });

  it('keeps the delivery in progress when the answer cannot be recorded at all: redeliveries within and after the deadline get 409, and nothing is sent twice', async () => {
    completedUpdates(Number.POSITIVE_INFINITY);
    const requestId = randomUUID();
    const holderMs = 2_000;
    const holderDeadline = Date.now() + holderMs;

    const sent = await faulty()({ order_id: 8803 }, retryOf(requestId, holderMs));
    const within = await failure(container()({ order_id: 8803 }, retryOf(requestId)));
    while (Date.now() <= holderDeadline + 100) await new Promise((resolve) => setTimeout(resolve, 50));
    const after = await failure(container()({ order_id: 8803 }, retryOf(requestId)));

    expect(sent).toEqual({ order_id: 8803, status: 'sent' });
    for (const redelivery of [within, after]) {
      expect(redelivery).toMatchObject({ name: 'UpstreamError' });
      expect((redelivery as Error).message).toContain('request_in_progress');
    }
    expect(harness.simulator.requestsFor(8803)).toHaveLength(1);
    const warning = harness.logs.find((line) => line.includes('could not be recorded'));
    expect(warning).toContain('"level":"WARN"');
    expect(warning).toContain('"order_id":8803');
    expect(warning).toContain('stays in progress');
    expect(warning).not.toContain(requestId);
  });
});

describe('a retry after the holder of a delivery died (docs/contract.md §6)', () => {
  it("takes over the orders the dead holder claimed once their claim lapses, long before the holder's invocation deadline", async () => {
    // The holder: its own DigiCert call outlives its 1.5 s claim, and the proxy swallows its
    // cleanup (every DeleteItem fails), so its claim stays behind as a crashed process leaves it.
    const proxy = await startWireFaultProxy(db.endpoint);
    proxy.fail({ operation: 'DeleteItem', times: Number.POSITIVE_INFINITY });
    harness.simulator.script(8901, { kind: 'slow', delayMs: 3_000 }, { kind: 'sent' });
    const requestId = randomUUID();
    const claimMs = 1_500;
    const holder = harness.handler(
      { ...stateEnv, DIGICERT_MAX_ATTEMPTS: '1' },
      {
        stateTableEndpoint: proxy.endpoint,
        orderClaimMs: claimMs,
        sharedBudget: { callTimeoutMs: 15_000 },
      },
    );
    const started = Date.now();
    try {
      // Lambda's 5-minute timeout: the invocation's deadline is far away.
      await failure(holder({ orders: [{ order_id: 8901 }] }, retryOf(requestId, 300_000)));
      while (Date.now() <= started + claimMs + 100) await new Promise((resolve) => setTimeout(resolve, 50));

      // Lambda's retry: another container, the same request id.
      const retried = await harness.handler(stateEnv, {
        orderClaimMs: claimMs,
        sharedBudget: { callTimeoutMs: 15_000 },
      })({ orders: [{ order_id: 8901 }] }, retryOf(requestId, 300_000));

      expect(retried).toEqual({ sent: 1, failed: 0, results: [{ order_id: 8901, status: 'sent' }] });
      expect(proxy.calls.some((call) => call.operation === 'DeleteItem' && call.failed)).toBe(true);
      expect(harness.simulator.requestsFor(8901)).toHaveLength(2);
    } finally {
      await proxy.close();
    }
  });
});

describe('what the state table holds', () => {
  it('keeps neither the delivery id nor the API key in any record', async () => {
    const key = `secret-looking-delivery-${randomUUID()}`;
    harness.simulator.script(8502, { kind: 'not_found' });
    await put(container(), 8501, { 'idempotency-key': key });
    await put(container(), 8502, { 'idempotency-key': `${key}-2` });
    await failure(
      container()({ idempotency_key: key, orders: [{ order_id: 8503 }] }, fakeContext()).then(() => {
        throw new Error('sent');
      }),
    );

    const { Items = [] } = await db.client.send(new ScanCommand({ TableName: db.tableName }));
    const stored = JSON.stringify(Items);
    expect(Items.length).toBeGreaterThan(0);
    expect(stored).not.toContain(key);
    expect(stored).not.toContain(CANARY_KEY);
    expect(Items.every((item) => item.expiration?.N !== undefined)).toBe(true);
  });
});

describe('without the state table', () => {
  it('keeps today’s behaviour when STATE_TABLE_NAME is unset: a repeated key is sent again', async () => {
    const headers = { 'idempotency-key': `http-${randomUUID()}` };

    await put(harness.handler(), 8601, headers);
    const second = await put(harness.handler(), 8601, headers);

    expect(second.statusCode).toBe(204);
    expect(second.headers['idempotent-replayed']).toBeUndefined();
    expect(harness.simulator.requestsFor(8601)).toHaveLength(2);
  });

  it('answers 503 state_unavailable and fails a batch with UpstreamError for every order, without calling DigiCert, when the table cannot be reached', async () => {
    const unreachable = { stateTableEndpoint: `http://127.0.0.1:${await closedPort()}` };
    const handler = harness.handler(stateEnv, unreachable);

    const response = await put(handler, 8701, { 'idempotency-key': `http-${randomUUID()}` });
    const error = await failure(handler({ orders: [{ order_id: 8702 }, { order_id: 8703 }] }, fakeContext()));

    expect(response.statusCode).toBe(503);
    expect(errorsOf(response)[0]?.code).toBe('state_unavailable');
    expect((error as BatchError).summary.results).toEqual([
      expect.objectContaining({ order_id: 8702, error_type: 'UpstreamError', code: 'state_unavailable' }),
      expect.objectContaining({ order_id: 8703, error_type: 'UpstreamError', code: 'state_unavailable' }),
    ]);
    expect(harness.simulator.requests).toHaveLength(0);
    expect(harness.secrets.calls).toHaveLength(0);
  });
});
