/**
 * The DigiCert simulator's DNS DCV routes (docs/contract.md §12): `dcv-method` and
 * `dcv-random-value` change and read the order book, and `check-dcv` really resolves the TXT or
 * CNAME through a dns2 server, as DigiCert resolves the public DNS.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DigiCertSimulator, type SimulatedOrder } from '../../dev/digicert-simulator.js';
import { type DnsZone, LocalDnsServer } from '../support/dns-server.js';
import { CANARY_KEY } from '../support/harness.js';

const VIEW_ONLY_KEY = 'VIEWONLY-dcv-0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const VALUE = 'fdy6m0wy5lq063sz4h0r6qmdt722gyfc';
const DAY_MS = 86_400_000;
const TXT_ORDER: SimulatedOrder = {
  id: 42,
  status: 'pending',
  dnsNames: ['example.com', 'www.example.com'],
  dcvMethod: 'dns-txt-token',
  createdAt: Date.now() - DAY_MS,
  randomValue: { value: VALUE, expiresAt: Date.now() + 10 * DAY_MS },
};

let simulator: DigiCertSimulator;
let dns: LocalDnsServer;

beforeAll(async () => {
  dns = await LocalDnsServer.start();
  simulator = await DigiCertSimulator.start({
    validKeys: [CANARY_KEY],
    viewOnlyKeys: [VIEW_ONLY_KEY],
    dnsServers: [dns.address],
  });
});
afterAll(async () => {
  await simulator.close();
  await dns.close();
});
beforeEach(() => {
  simulator.reset();
  dns.setZone({});
  dns.queries.length = 0;
});

async function put(orderId: number, route: string, body?: unknown, key = CANARY_KEY) {
  const response = await fetch(`${simulator.baseUrl}/order/certificate/${orderId}/${route}`, {
    method: 'PUT',
    headers: { 'x-dc-devkey': key, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

const checkWith = (zone: DnsZone, order: SimulatedOrder = TXT_ORDER) => {
  dns.setZone(zone);
  simulator.addOrders([order]);
  return put(order.id, 'check-dcv');
};

describe('check-dcv with dns-txt-token', () => {
  it('validates and issues the order when every domain has the TXT at its name', async () => {
    const answer = await checkWith({ txt: { 'example.com': [[VALUE]], 'www.example.com': [[VALUE]] } });

    expect(answer).toEqual({
      status: 200,
      body: {
        order_status: 'issued',
        certificate_id: 100_000_042,
        dcv_status: 'valid',
        dns_name_validations: [
          { dns_name: 'example.com', status: 'approved' },
          { dns_name: 'www.example.com', status: 'approved' },
        ],
      },
    });
    expect(simulator.order(42)).toMatchObject({ status: 'issued', validated: TXT_ORDER.dnsNames });
    expect(dns.queries).toContain('TXT example.com');
  });

  it('finds the value at _dnsauth.<name>, beside other TXT values and split into chunks', async () => {
    const answer = await checkWith({
      txt: {
        'example.com': [['v=spf1 -all']],
        '_dnsauth.example.com': [['google-site-verification=x'], [VALUE.slice(0, 10), VALUE.slice(10)]],
        '_dnsauth.www.example.com': [[VALUE]],
      },
    });

    expect(answer).toMatchObject({ status: 200, body: { dcv_status: 'valid' } });
  });

  it('validates a wildcard and its base name with one TXT at the base name', async () => {
    const order = { ...TXT_ORDER, dnsNames: ['*.example.com', 'example.com'] };

    const answer = await checkWith({ txt: { 'example.com': [[VALUE]] } }, order);

    expect(answer.status).toBe(200);
    expect(dns.queries).not.toContain('TXT *.example.com');
  });

  it("answers DigiCert's 400 invalid_dns_txt, and validates the domains it found, when one is missing", async () => {
    const answer = await checkWith({ txt: { 'example.com': [[VALUE]], 'www.example.com': [['other']] } });

    expect(answer).toEqual({
      status: 400,
      body: {
        errors: [
          { code: 'invalid_dns_txt', message: 'Could not find a valid TXT record for one or more domains.' },
        ],
      },
    });
    expect(simulator.order(42)).toMatchObject({ status: 'pending', validated: ['example.com'] });
  });

  it('does not take a CNAME for the TXT method', async () => {
    const answer = await checkWith({
      cname: {
        '_dnsauth.example.com': `${VALUE}.dcv.digicert.com`,
        '_dnsauth.www.example.com': `${VALUE}.dcv.digicert.com`,
      },
    });

    expect(answer).toMatchObject({ status: 400, body: { errors: [{ code: 'invalid_dns_txt' }] } });
  });

  it('answers a distinct code when the random value expired, without looking DNS up', async () => {
    const expired = { ...TXT_ORDER, randomValue: { value: VALUE, expiresAt: Date.now() - 1 } };

    const answer = await checkWith({ txt: { 'example.com': [[VALUE]] } }, expired);

    expect(answer).toMatchObject({ status: 400, body: { errors: [{ code: 'random_value_expired' }] } });
    expect(dns.queries).toEqual([]);
  });
});

describe('check-dcv with dns-cname-token', () => {
  const cnameOrder: SimulatedOrder = { ...TXT_ORDER, dcvMethod: 'dns-cname-token' };

  it('validates the order when _dnsauth.<name> points at <random>.dcv.digicert.com', async () => {
    const answer = await checkWith(
      {
        cname: {
          '_dnsauth.example.com': `${VALUE}.dcv.digicert.com`,
          '_dnsauth.www.example.com': `${VALUE}.dcv.digicert.com.`,
        },
      },
      cnameOrder,
    );

    expect(answer).toMatchObject({ status: 200, body: { order_status: 'issued', dcv_status: 'valid' } });
    expect(dns.queries).toContain('CNAME _dnsauth.example.com');
  });

  it('answers invalid_dns_cname when a CNAME points elsewhere', async () => {
    const answer = await checkWith(
      {
        cname: {
          '_dnsauth.example.com': `${VALUE}.dcv.digicert.com`,
          '_dnsauth.www.example.com': 'somewhere.example.net',
        },
      },
      cnameOrder,
    );

    expect(answer).toMatchObject({ status: 400, body: { errors: [{ code: 'invalid_dns_cname' }] } });
  });
});

describe('dcv-method', () => {
  const emailOrder: SimulatedOrder = { ...TXT_ORDER, dcvMethod: 'email', randomValue: undefined };

  it('gives a token method a fresh value of 32 lowercase letters and digits, valid 30 days', async () => {
    simulator.addOrders([emailOrder]);
    const before = Date.now();

    const answer = await put(42, 'dcv-method', { dcv_method: 'dns-cname-token' });

    const body = answer.body as { dcv_random_value: string; expiration_date: string };
    expect(answer.status).toBe(200);
    expect(body.dcv_random_value).toMatch(/^[a-z0-9]{32}$/);
    const expires = Date.parse(body.expiration_date);
    expect(expires).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 30 * DAY_MS);
    expect(expires).toBeLessThanOrEqual(Date.now() + 30 * DAY_MS);
    expect(simulator.order(42)).toMatchObject({
      dcvMethod: 'dns-cname-token',
      randomValue: { value: body.dcv_random_value },
    });
  });

  it('answers 204 for email', async () => {
    simulator.addOrders([TXT_ORDER]);

    const answer = await put(42, 'dcv-method', { dcv_method: 'email' });

    expect(answer).toEqual({ status: 204, body: undefined });
    expect(simulator.order(42)?.dcvMethod).toBe('email');
  });

  it.each([
    ['a DV order', 'ssl_dv_geotrust', 400],
    ['an OV order', 'ssl_basic', 200],
  ])('answers http-token-dynamic on %s with %i', async (_name, productNameId, status) => {
    simulator.addOrders([{ ...emailOrder, productNameId }]);

    const answer = await put(42, 'dcv-method', { dcv_method: 'http-token-dynamic' });

    expect(answer.status).toBe(status);
  });

  it('refuses a method DigiCert does not know', async () => {
    simulator.addOrders([emailOrder]);

    const answer = await put(42, 'dcv-method', { dcv_method: 'carrier-pigeon' });

    expect(answer).toMatchObject({ status: 400, body: { errors: [{ code: 'invalid_dcv_method' }] } });
  });
});

describe('the DNS DCV routes, like every route', () => {
  it.each([
    ['dcv-method', { dcv_method: 'dns-txt-token' }],
    ['dcv-random-value', undefined],
    ['check-dcv', undefined],
  ])('answer 403 to a view-only key (%s), and change nothing', async (route, body) => {
    simulator.addOrders([TXT_ORDER]);

    const answer = await put(42, route, body, VIEW_ONLY_KEY);

    expect(answer).toMatchObject({
      status: 403,
      body: { errors: [{ code: 'access_denied|missing_permission' }] },
    });
    expect(simulator.order(42)).toEqual(TXT_ORDER);
  });

  it('answer 404 for an order not in the book', async () => {
    const answer = await put(7, 'dcv-random-value');

    expect(answer).toMatchObject({ status: 404, body: { errors: [{ code: 'not_found|order' }] } });
  });

  it('are recorded with their order id', async () => {
    simulator.addOrders([TXT_ORDER]);

    await put(42, 'dcv-random-value');

    expect(simulator.requestsFor(42)).toMatchObject([
      { method: 'PUT', path: '/services/v2/order/certificate/42/dcv-random-value' },
    ]);
  });

  it("follow a route's script before the book, then the book again on a scripted sent", async () => {
    simulator.addOrders([TXT_ORDER]);
    simulator.scriptDcv(42, 'dcv-random-value', { kind: 'server_error' }, { kind: 'sent' });

    const first = await put(42, 'dcv-random-value');
    const second = await put(42, 'dcv-random-value');

    expect(first.status).toBe(500);
    expect(second).toEqual({
      status: 200,
      body: { dcv_random_value: VALUE, expiration_date: expect.any(String) },
    });
  });
});

describe('rate limits on the DNS DCV routes', () => {
  it("answer 429 over the key's limit", async () => {
    const limited = await DigiCertSimulator.start({
      validKeys: [CANARY_KEY],
      orders: [TXT_ORDER],
      rateLimits: [{ limit: 1, windowMs: 60_000 }],
    });
    try {
      const call = () =>
        fetch(`${limited.baseUrl}/order/certificate/42/dcv-random-value`, {
          method: 'PUT',
          headers: { 'x-dc-devkey': CANARY_KEY, 'content-type': 'application/json' },
        }).then(async (response) => {
          await response.text();
          return response.status;
        });

      expect([await call(), await call()]).toEqual([200, 429]);
    } finally {
      await limited.close();
    }
  });
});
