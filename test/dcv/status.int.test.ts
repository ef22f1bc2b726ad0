/**
 * An order's DCV status (docs/contract.md §10) end to end: the real handler, the DigiCert simulator's
 * order book and the Secrets Manager stand-in; HTTP (`GET /order/certificate/{order_id}/dcv`) and
 * the direct action `{"action":"dcv-status"}`.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type SimulatedOrder, stuckOrders } from '../../dev/digicert-simulator.js';
import { fakeContext, httpV2Event } from '../../dev/lambda-events.js';
import type { RateLimiter } from '../../functions/resend/ports.js';
import type { HttpResponse } from '../../functions/triggers/api-gateway.js';
import { CANARY_KEY, type Harness, SECRET_NAME, startHarness } from '../support/harness.js';

const VIEW_ONLY_KEY = 'view-only-key-5b1f0c9e';
const HOUR = 3_600_000;
const now = Date.now();

const EMAIL_ORDER: SimulatedOrder = {
  id: 7001,
  status: 'pending',
  dnsNames: ['example.com', 'www.example.com'],
  dcvMethod: 'email',
  createdAt: now - 142.5 * HOUR,
  validated: ['www.example.com'],
};
const TOKEN_ORDER: SimulatedOrder = {
  id: 7002,
  status: 'pending',
  dnsNames: ['shop.example.com'],
  dcvMethod: 'dns-txt-token',
  createdAt: Date.parse('2026-11-20T08:00:00Z'),
  randomValue: { value: 'fdy6m0wy5lq063sz4h0r6qmdt722gyfc', expiresAt: Date.parse('2026-12-20T08:00:00Z') },
};
const ISSUED_ORDER: SimulatedOrder = {
  id: 7003,
  status: 'issued',
  dnsNames: ['www.example.org'],
  dcvMethod: 'dns-cname-token',
  createdAt: now - 40 * 24 * HOUR,
  validated: ['www.example.org'],
};

let h: Harness;

beforeAll(async () => {
  h = await startHarness({
    simulator: { orders: [EMAIL_ORDER, TOKEN_ORDER, ISSUED_ORDER], viewOnlyKeys: [VIEW_ONLY_KEY] },
  });
});
afterAll(async () => {
  await h.close();
});
beforeEach(() => h.reset());

async function get(orderId: string, env: Record<string, string> = {}, limiter?: RateLimiter) {
  const event = httpV2Event({ method: 'GET', orderId, path: `/order/certificate/${orderId}/dcv` });
  const response = await h.handler(env, limiter ? { limiter } : {})(event, fakeContext());
  if (!('statusCode' in response)) throw new Error('expected an HTTP response');
  return response as HttpResponse;
}

const errorsOf = (response: HttpResponse) =>
  (JSON.parse(response.body) as { errors: { code: string; message: string; field?: string }[] }).errors;

describe('GET /order/certificate/{order_id}/dcv', () => {
  it('answers 200 with exactly the documented fields', async () => {
    const response = await get('7001');

    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/json');
    const body = JSON.parse(response.body) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(
      [
        'order_id',
        'order_status',
        'dcv_method',
        'created_at',
        'pending_hours',
        'domains',
        'random_value_expires_at',
        'email_dcv_sunset',
      ].sort(),
    );
    expect(body).toMatchObject({
      order_id: 7001,
      order_status: 'pending',
      dcv_method: 'email',
      created_at: new Date(Math.floor(EMAIL_ORDER.createdAt / 1000) * 1000)
        .toISOString()
        .replace('.000Z', 'Z'),
      domains: [
        { name: 'example.com', status: 'pending', method: 'email' },
        { name: 'www.example.com', status: 'approved', method: 'email' },
      ],
      random_value_expires_at: null,
      email_dcv_sunset: '2028-03-15',
    });
    expect(body.pending_hours).toBeCloseTo(142.5, 0);
  });

  it("reads the order, then its validation, from DigiCert's own paths with the key", async () => {
    await get('7001');

    expect(h.simulator.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /services/v2/order/certificate/7001',
      'GET /services/v2/order/certificate/7001/validation',
    ]);
    expect(h.simulator.requests.every((r) => r.headers['x-dc-devkey'] === CANARY_KEY)).toBe(true);
  });

  it("gives a token's random value expiry, and no pending hours for an order no longer pending", async () => {
    const token = JSON.parse((await get('7002')).body) as Record<string, unknown>;
    const issued = JSON.parse((await get('7003')).body) as Record<string, unknown>;

    expect(token).toMatchObject({
      dcv_method: 'dns-txt-token',
      created_at: '2026-11-20T08:00:00Z',
      random_value_expires_at: '2026-12-20T08:00:00Z',
    });
    expect(issued).toMatchObject({ order_status: 'issued', pending_hours: null });
  });

  it('answers 404 order_not_found when DigiCert does not know the order, after one request', async () => {
    const response = await get('99999');

    expect(response.statusCode).toBe(404);
    expect(errorsOf(response)).toEqual([
      { code: 'order_not_found', message: 'DigiCert has no order 99999 in this account' },
    ]);
    expect(h.simulator.received).toBe(1);
  });

  it.each([['abc'], ['0'], ['1234567890123']])(
    'answers 400 invalid_order_id for %s without calling DigiCert',
    async (id) => {
      const response = await get(id);

      expect(response.statusCode).toBe(400);
      expect(errorsOf(response)[0]).toMatchObject({ code: 'invalid_order_id', field: 'order_id' });
      expect(h.simulator.received).toBe(0);
    },
  );

  it.each<[string, Parameters<Harness['simulator']['script']>[1], number, string]>([
    ['5xx', { kind: 'server_error' }, 502, 'upstream_unavailable'],
    ['maintenance', { kind: 'maintenance' }, 502, 'upstream_unavailable'],
    ['429', { kind: 'rate_limited' }, 429, 'request_limit_exceeded'],
    ['403', { kind: 'forbidden' }, 403, 'access_denied|missing_permission'],
  ])('maps DigiCert %s as the resend route does', async (_name, behaviour, status, code) => {
    h.simulator.script(7001, behaviour);

    const response = await get('7001');

    expect(response.statusCode).toBe(status);
    expect(errorsOf(response)[0]?.code).toBe(code);
  });

  it('retries a 5xx as the resend does: four requests, then 502', async () => {
    h.simulator.script(7001, { kind: 'server_error' });

    const response = await get('7001');

    expect(response.statusCode).toBe(502);
    expect(h.simulator.requestsFor(7001)).toHaveLength(4);
  });

  it('recovers when DigiCert fails once, then answers', async () => {
    h.simulator.script(7001, { kind: 'maintenance' }, { kind: 'sent' });

    const response = await get('7001');

    expect(response.statusCode).toBe(200);
    expect(h.simulator.requestsFor(7001)).toHaveLength(3);
  });

  it('answers 502 naming the missing field when DigiCert answers 200 without one, without retrying', async () => {
    h.simulator.script(7001, {
      kind: 'custom',
      status: 200,
      body: JSON.stringify({ id: 7001, date_created: '2026-12-01T10:00:00+00:00' }),
    });
    const event = httpV2Event({ method: 'GET', orderId: '7001', path: '/order/certificate/7001/dcv' });

    const response = await h.handler()(event, fakeContext());

    expect(response).toMatchObject({ statusCode: 502 });
    expect(h.simulator.requestsFor(7001)).toHaveLength(1);
    expect(h.logs.join('\n')).toContain('DigiCert answered 200 with no `status`');
  });

  it('answers 405 with Allow: GET for another method', async () => {
    const event = httpV2Event({ method: 'PUT', orderId: '7001', path: '/order/certificate/7001/dcv' });

    const response = (await h.handler()(event, fakeContext())) as HttpResponse;

    expect(response.statusCode).toBe(405);
    expect(response.headers.allow).toBe('GET');
  });

  it('takes one slot of the rate budget per DigiCert request', async () => {
    let acquired = 0;
    let released = 0;
    const counting: RateLimiter = {
      acquire: () => {
        acquired += 1;
        return Promise.resolve(true);
      },
      release: () => {
        released += 1;
      },
    };
    h.simulator.script(7001, { kind: 'server_error' }, { kind: 'sent' });

    const response = await get('7001', {}, counting);

    expect(response.statusCode).toBe(200);
    expect(acquired).toBe(h.simulator.received);
    expect(acquired).toBe(3);
    expect(released).toBe(acquired);
  });

  it('answers 429 without calling DigiCert when the budget has no slot before the deadline', async () => {
    const empty: RateLimiter = { acquire: () => Promise.resolve(false) };

    const response = await get('7001', {}, empty);

    expect(response.statusCode).toBe(429);
    expect(response.headers['retry-after']).toBeDefined();
    expect(h.simulator.received).toBe(0);
  });

  it('says in Retry-After when the budget’s slot really frees, as the resend route does', async () => {
    const full: RateLimiter & { retryAt(): number } = {
      acquire: () => Promise.resolve(false),
      retryAt: () => Date.now() + 41_500,
    };

    const response = await get('7001', {}, full);

    expect(response.statusCode).toBe(429);
    expect(response.headers['retry-after']).toBe('42');
  });
});

describe('a view-only key (DigiCert role 102)', () => {
  it('may read the status, and its resend gets DigiCert 403', async () => {
    h.secrets.setSecret(SECRET_NAME, VIEW_ONLY_KEY);
    const handler = h.handler();
    let read: HttpResponse;
    let resend: HttpResponse;
    try {
      read = (await handler(
        httpV2Event({ method: 'GET', orderId: '7001', path: '/order/certificate/7001/dcv' }),
        fakeContext(),
      )) as HttpResponse;
      resend = (await handler(httpV2Event({ orderId: '7001' }), fakeContext())) as HttpResponse;
    } finally {
      h.secrets.setSecret(SECRET_NAME, CANARY_KEY);
    }

    expect(read.statusCode).toBe(200);
    expect(resend.statusCode).toBe(403);
    expect(errorsOf(resend)[0]?.code).toBe('access_denied|missing_permission');
  });
});

describe('the direct action dcv-status', () => {
  it('answers the same document as the route', async () => {
    const direct = await h.handler()({ action: 'dcv-status', order_id: 7001 }, fakeContext());
    const http = JSON.parse((await get('7001')).body) as Record<string, unknown>;

    expect(direct).toEqual({ ...http, pending_hours: expect.any(Number) });
  });

  it('reads the action from an EventBridge event detail, the order id as a digit string', async () => {
    const event = {
      version: '0',
      id: 'evt-1',
      'detail-type': 'dcv status',
      source: 'ops',
      detail: { action: 'dcv-status', order_id: '7002' },
    };

    await expect(h.handler()(event, fakeContext())).resolves.toMatchObject({ order_id: 7002 });
  });

  it('fails with DigiCertRequestError whose JSON message says order_not_found and 404', async () => {
    const failure = h.handler()({ action: 'dcv-status', order_id: 99999 }, fakeContext());

    await expect(failure).rejects.toMatchObject({ name: 'DigiCertRequestError' });
    const detail = JSON.parse(((await failure.catch((e: unknown) => e)) as Error).message) as Record<
      string,
      unknown
    >;
    expect(detail).toMatchObject({ code: 'order_not_found', status: 404 });
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['an unknown action', { action: 'dcv-stats', order_id: 1 }, 'action'],
    ['a missing order id', { action: 'dcv-status' }, 'order_id'],
    [
      'an unknown field',
      { action: 'dcv-status', order_id: 1, domain_approval_emails: [] },
      'domain_approval_emails',
    ],
  ])('refuses %s with ValidationError naming the field, before DigiCert', async (_name, payload, field) => {
    const error = await h
      .handler()(payload, fakeContext())
      .then(
        () => new Error('expected a failure'),
        (thrown: unknown) => thrown as Error,
      );

    expect(error).toMatchObject({ name: 'ValidationError' });
    const detail = JSON.parse(error.message) as { errors: { field: string }[] };
    expect(detail.errors.map((e) => e.field)).toContain(field);
    expect(h.simulator.received).toBe(0);
  });

  it('still refuses an unknown field in a resend payload', async () => {
    const failure = h.handler()({ order_id: 7001, domain_aproval_emails: [] }, fakeContext());

    await expect(failure).rejects.toMatchObject({ name: 'ValidationError' });
    expect(h.simulator.received).toBe(0);
  });
});

describe('the pending orders, page by page (for the sweep)', () => {
  it('reads every page of a book of thousands through the budget, and each listed order once', async () => {
    h.simulator.addOrders(stuckOrders(2_500, { now }));
    let acquired = 0;
    const counting: RateLimiter = {
      acquire: () => {
        acquired += 1;
        return Promise.resolve(true);
      },
    };
    // The sweep's own share of the budget must not be what this test waits for.
    const runtime = h.runtime(
      { DIGICERT_RATE_LIMIT_PER_5S: '1000000', DIGICERT_RATE_LIMIT_PER_3MIN: '1000000' },
      { limiter: counting },
    );

    const plan = await runtime.sweep.start({ dryRun: true }, { deadline: Date.now() + 120_000 });

    // The two pending orders of the harness's book, and the 2,500 seeded; the issued one is not listed.
    if (!plan.dry_run) throw new Error('expected a dry run');
    expect(plan.complete).toBe(true);
    expect(new Set(plan.orders.map((order) => order.order_id)).size).toBe(2_502);
    // Three pages of 1,000, then one read per order.
    expect(acquired).toBe(3 + 2_502);
    expect(h.simulator.requests[0]?.path).toBe(
      '/services/v2/order/certificate?filters%5Bstatus%5D=pending&offset=0&limit=1000',
    );
  }, 60_000);
});
