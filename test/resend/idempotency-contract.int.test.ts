/**
 * The contract audit of idempotency with a state table (docs/contract.md §6): the deployable
 * bundle on dynalite, called over HTTP, directly, through EventBridge and with Lambda's retries
 * (test/support/contract-audit.ts says how and why).
 */
import { randomUUID } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { type BundleHandler, context, eventBridge, v2 } from '../support/audit-events.js';
import { KEY } from '../support/audit-fakes.js';
import {
  detailOf,
  errorOf,
  expectSent,
  header,
  http,
  thrown,
  useContractAudit,
  waitFor,
} from '../support/contract-audit.js';

const audit = useContractAudit({ dynamo: true });
const { fake } = audit;

describe('idempotency with a state table (docs/contract.md §6)', () => {
  let stateful: BundleHandler;
  const json = { 'content-type': 'application/json' };
  beforeAll(async () => {
    stateful = await audit.container({
      STATE_TABLE_NAME: audit.dynamo.tableName,
      DIGICERT_MAX_ATTEMPTS: '1',
    });
  });

  it('replays a repeated Idempotency-Key with the same answer, marked, without calling DigiCert', async () => {
    const key = randomUUID();
    const event = () => v2({ orderId: '501', headers: { ...json, 'idempotency-key': key }, body: '{}' });
    const first = await http(stateful, event());
    expectSent(first);
    expect(header(first, 'idempotent-replayed')).toBeUndefined();
    const again = await http(stateful, event());
    expectSent(again);
    expect(header(again, 'idempotent-replayed')).toBe('true');
    expect(fake.to(501)).toHaveLength(1);
  });

  it('replays a recorded DigiCert refusal with the same status and body', async () => {
    const key = randomUUID();
    fake.script(502, {
      status: 404,
      body: JSON.stringify({ errors: [{ code: 'not_found|order', message: 'gone' }] }),
    });
    const event = () => v2({ orderId: '502', headers: { ...json, 'idempotency-key': key }, body: '{}' });
    const first = await http(stateful, event());
    errorOf(first, 404, 'not_found|order');
    const again = await http(stateful, event());
    expect({ status: again.statusCode, body: again.body }).toEqual({ status: 404, body: first.body });
    expect(header(again, 'idempotent-replayed')).toBe('true');
    expect(fake.to(502)).toHaveLength(1);
  });

  it('refuses the same key with another body: 422 idempotency_key_reused', async () => {
    const key = randomUUID();
    expectSent(
      await http(stateful, v2({ orderId: '503', headers: { ...json, 'idempotency-key': key }, body: '{}' })),
    );
    const reused = await http(
      stateful,
      v2({ orderId: '503', headers: { ...json, 'idempotency-key': key }, body: '{"locale":"fr"}' }),
    );
    errorOf(reused, 422, 'idempotency_key_reused');
    expect(fake.to(503)).toHaveLength(1);
  });

  it('answers 409 request_in_progress with Retry-After while the same delivery is running', async () => {
    const key = randomUUID();
    let release = (): void => undefined;
    fake.script(504, {
      status: 204,
      hold: new Promise<void>((r) => {
        release = r;
      }),
    });
    const event = () => v2({ orderId: '504', headers: { ...json, 'idempotency-key': key }, body: '{}' });
    const first = http(stateful, event());
    await waitFor(() => fake.to(504).length === 1);
    const during = await http(stateful, event());
    release();
    errorOf(during, 409, 'request_in_progress');
    expect(header(during, 'retry-after')).toMatch(/^[0-9]+$/);
    expectSent(await first);
    expect(fake.to(504)).toHaveLength(1);
  });

  it('answers 503 state_unavailable when the table cannot be used, without calling DigiCert', async () => {
    const handler = await audit.container({
      STATE_TABLE_NAME: 'audit-no-such-table',
      DIGICERT_MAX_ATTEMPTS: '1',
    });
    const response = await http(
      handler,
      v2({ orderId: '505', headers: { ...json, 'idempotency-key': randomUUID() }, body: '{}' }),
    );
    errorOf(response, 503, 'state_unavailable');
    expect(fake.to(505)).toHaveLength(0);
  });

  it('sends a direct payload once per idempotency_key, and refuses the key with another payload', async () => {
    const key = randomUUID();
    await expect(stateful({ order_id: 510, idempotency_key: key }, context())).resolves.toEqual({
      order_id: 510,
      status: 'sent',
    });
    await expect(stateful({ order_id: 510, idempotency_key: key }, context())).resolves.toEqual({
      order_id: 510,
      status: 'sent',
    });
    expect(fake.to(510)).toHaveLength(1);
    detailOf(await thrown(stateful({ order_id: 511, idempotency_key: key }, context())), 'ValidationError');
    expect(fake.to(511)).toHaveLength(0);
  });

  it('sends an EventBridge event once per event id, and a Lambda retry once per request id', async () => {
    const id = randomUUID();
    await stateful(eventBridge({ order_id: 512 }, id), context());
    await stateful(eventBridge({ order_id: 512 }, id), context());
    expect(fake.to(512)).toHaveLength(1);
    const requestId = randomUUID();
    await stateful({ order_id: 513 }, context(25_000, requestId));
    await stateful({ order_id: 513 }, context(25_000, requestId));
    expect(fake.to(513)).toHaveLength(1);
  });

  it('replays a recorded refusal to a direct caller as the same error, without calling DigiCert', async () => {
    const requestId = randomUUID();
    fake.script(514, {
      status: 403,
      body: JSON.stringify({ errors: [{ code: 'access_denied|missing_permission', message: 'no' }] }),
    });
    const first = await thrown(stateful({ order_id: 514 }, context(25_000, requestId)));
    const again = await thrown(stateful({ order_id: 514 }, context(25_000, requestId)));
    expect(again.name).toBe('DigiCertRequestError');
    expect(JSON.parse(again.message)).toMatchObject({
      code: (JSON.parse(first.message) as { code: string }).code,
      status: 403,
    });
    expect(fake.to(514)).toHaveLength(1);
  });

  it('retries only the orders of a batch without a recorded outcome', async () => {
    const requestId = randomUUID();
    fake.script(516, { status: 500, body: '' });
    const batch = { orders: [{ order_id: 515 }, { order_id: 516 }] };
    expect((await thrown(stateful(batch, context(25_000, requestId)))).name).toBe('BatchError');
    await expect(stateful(batch, context(25_000, requestId))).resolves.toMatchObject({ sent: 2, failed: 0 });
    expect(fake.to(515)).toHaveLength(1);
    expect(fake.to(516)).toHaveLength(2);
  });

  it('treats requests without an Idempotency-Key as new deliveries, and a key reused for another order as 422', async () => {
    expectSent(await http(stateful, v2({ orderId: '520', headers: json, body: '{}' })));
    expectSent(await http(stateful, v2({ orderId: '520', headers: json, body: '{}' })));
    expect(fake.to(520)).toHaveLength(2);
    const key = randomUUID();
    expectSent(
      await http(stateful, v2({ orderId: '521', headers: { ...json, 'idempotency-key': key }, body: '{}' })),
    );
    const other = await http(
      stateful,
      v2({ orderId: '522', headers: { ...json, 'idempotency-key': key }, body: '{}' }),
    );
    errorOf(other, 422, 'idempotency_key_reused');
    expect(fake.to(522)).toHaveLength(0);
  });

  it('tells a direct caller which code refused a reused idempotency_key, a running one and an unreachable table', async () => {
    const key = randomUUID();
    await stateful({ order_id: 523, idempotency_key: key }, context());
    const reused = detailOf(
      await thrown(stateful({ order_id: 523, locale: 'de', idempotency_key: key }, context())),
      'ValidationError',
    );
    expect(reused.code).toBe('idempotency_key_reused');

    const running = randomUUID();
    let release = (): void => undefined;
    fake.script(524, {
      status: 204,
      hold: new Promise<void>((r) => {
        release = r;
      }),
    });
    const first = stateful({ order_id: 524, idempotency_key: running }, context());
    await waitFor(() => fake.to(524).length === 1);
    const during = await thrown(stateful({ order_id: 524, idempotency_key: running }, context()));
    release();
    expect(detailOf(during, 'UpstreamError').code).toBe('request_in_progress');
    await expect(first).resolves.toEqual({ order_id: 524, status: 'sent' });

    const noTable = await audit.container({
      STATE_TABLE_NAME: 'audit-no-such-table',
      DIGICERT_MAX_ATTEMPTS: '1',
    });
    const unavailable = detailOf(await thrown(noTable({ order_id: 525 }, context())), 'UpstreamError');
    expect(unavailable.code).toBe('state_unavailable');
    expect(fake.to(525)).toHaveLength(0);
  });

  it('does not record an attempt DigiCert never answered or answered 5xx: the same key tries again', async () => {
    const handler = await audit.container({
      STATE_TABLE_NAME: audit.dynamo.tableName,
      DIGICERT_TIMEOUT_MS: '300',
      DIGICERT_MAX_ATTEMPTS: '1',
    });
    let release = (): void => undefined;
    const held = new Promise<void>((r) => {
      release = r;
    });
    fake.script(530, { status: 204, hold: held }, { status: 500, body: 'oops' });
    const key = randomUUID();
    const event = () => v2({ orderId: '530', headers: { ...json, 'idempotency-key': key }, body: '{}' });
    errorOf(await http(handler, event()), 504, 'upstream_timeout');
    release();
    errorOf(await http(handler, event()), 502, 'upstream_unavailable');
    const third = await http(handler, event());
    expectSent(third);
    expect(header(third, 'idempotent-replayed')).toBeUndefined();
    expect(fake.to(530)).toHaveLength(3);
  });

  it('keeps the API key out of the state table', async () => {
    const items = await audit.dynamo.client.send(new ScanCommand({ TableName: audit.dynamo.tableName }));
    expect((items.Items ?? []).length).toBeGreaterThan(0);
    expect(JSON.stringify(items.Items)).not.toContain(KEY);
    // §4: TTL attribute `expiration`, epoch seconds, IDEMPOTENCY_TTL_SECONDS (86400 by default) ahead.
    const day = Math.floor(Date.now() / 1000) + 86_400;
    const expirations = (items.Items ?? []).map((item) => Number(item.expiration?.N));
    expect(expirations.some((e) => Math.abs(e - day) < 600)).toBe(true);
  });
});

describe('the API key (docs/contract.md §5)', () => {
  it('appears in no response, thrown error, log line or stdout/stderr write of this file', () => {
    const { outputs, written } = audit.seen();
    expect(outputs.length).toBeGreaterThan(28);
    expect(written.length).toBeGreaterThan(0);
    for (const text of [...outputs, ...written]) expect(text).not.toContain(KEY);
  });
});
