/**
 * The client's DNS DCV calls (docs/contract.md §12) through the real undici path against the
 * DigiCert simulator: `dcv-method`, `dcv-random-value` and `check-dcv`, each one attempt classified
 * like every DigiCert call; a check that finds nothing yet is an answer, not a failure.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DigiCertSimulator, type SimulatedOrder } from '../../dev/digicert-simulator.js';
import { createDnsDcvCalls } from '../../functions/dcv/dns/digicert-dcv.js';
import { UndiciDigiCertClient } from '../../functions/digicert/client.js';
import { OrderNotFoundError, UpstreamError } from '../../functions/lib/errors.js';
import { DEFAULT_RETRY_POLICY } from '../../functions/resend/digicert-call.js';
import { StaticApiKeyProvider } from '../../functions/secrets/static-api-key-provider.js';
import { LocalDnsServer } from '../support/dns-server.js';
import { CANARY_KEY } from '../support/harness.js';
import { unlimited } from '../support/limiters.js';

const VIEW_ONLY_KEY = 'VIEWONLY-dcv-0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const DAY_MS = 86_400_000;
const options = { timeoutMs: 2_000 };
const ORDER: SimulatedOrder = {
  id: 42,
  status: 'pending',
  dnsNames: ['example.com', 'www.example.com'],
  dcvMethod: 'email',
  createdAt: Date.now() - DAY_MS,
};

let simulator: DigiCertSimulator;
let client: UndiciDigiCertClient;
let dns: LocalDnsServer;

beforeAll(async () => {
  // Nothing is published in these tests: every name a check looks up is NXDOMAIN.
  dns = await LocalDnsServer.start();
  simulator = await DigiCertSimulator.start({
    validKeys: [CANARY_KEY],
    viewOnlyKeys: [VIEW_ONLY_KEY],
    orders: [ORDER],
    dnsServers: [dns.address],
  });
  client = new UndiciDigiCertClient({ baseUrl: simulator.baseUrl });
});
afterAll(async () => {
  await client.close();
  await simulator.close();
  await dns.close();
});
beforeEach(() => simulator.reset());

describe('setDcvMethod', () => {
  it('sends {"dcv_method"} and answers the new random value of a token method', async () => {
    const outcome = await client.setDcvMethod(42, 'dns-txt-token', CANARY_KEY, options);

    expect(outcome).toMatchObject({ kind: 'found', status: 200 });
    const body = outcome.kind === 'found' ? outcome.body : undefined;
    expect(body?.dcv_random_value).toMatch(/^[a-z0-9]{32}$/);
    expect(simulator.order(42)?.randomValue?.value).toBe(body?.dcv_random_value);
    expect(simulator.requests[0]).toMatchObject({
      method: 'PUT',
      path: '/services/v2/order/certificate/42/dcv-method',
      body: { dcv_method: 'dns-txt-token' },
    });
  });

  it("answers sent for email, DigiCert's 204", async () => {
    const outcome = await client.setDcvMethod(42, 'email', CANARY_KEY, options);

    expect(outcome).toEqual({ kind: 'sent', status: 204 });
  });

  it('is unavailable, naming the field, for a token method answered without the random value', async () => {
    simulator.scriptDcv(42, 'dcv-method', {
      kind: 'custom',
      status: 200,
      body: JSON.stringify({ expiration_date: '2027-01-06T00:00:00+00:00' }),
    });

    const outcome = await client.setDcvMethod(42, 'dns-txt-token', CANARY_KEY, options);

    expect(outcome).toMatchObject({ kind: 'unavailable', status: 200, retryable: false });
    expect(outcome.kind === 'unavailable' && outcome.detail).toBe(
      'DigiCert answered 200 with no `dcv_random_value`',
    );
  });

  it('is unavailable for a token method answered with 204', async () => {
    simulator.scriptDcv(42, 'dcv-method', { kind: 'sent' }, { kind: 'custom', status: 204 });
    await client.setDcvMethod(42, 'email', CANARY_KEY, options);

    const outcome = await client.setDcvMethod(42, 'dns-cname-token', CANARY_KEY, options);

    expect(outcome).toMatchObject({ kind: 'unavailable', detail: 'DigiCert answered 204 without a body' });
  });

  it('is rejected with 403 for a view-only key, and the order is unchanged', async () => {
    const outcome = await client.setDcvMethod(42, 'dns-txt-token', VIEW_ONLY_KEY, options);

    expect(outcome).toMatchObject({
      kind: 'rejected',
      status: 403,
      errors: [{ code: 'access_denied|missing_permission' }],
    });
    expect(simulator.order(42)?.dcvMethod).toBe('email');
  });

  it('is rejected when a DV order is moved to http-token-dynamic', async () => {
    const outcome = await client.setDcvMethod(42, 'http-token-dynamic', CANARY_KEY, options);

    expect(outcome).toMatchObject({
      kind: 'rejected',
      status: 400,
      errors: [{ code: 'invalid_dcv_method' }],
    });
  });
});

describe('dcvRandomValue', () => {
  it('answers the current value while it is valid, and a new one once it expired', async () => {
    const current = { value: 'fdy6m0wy5lq063sz4h0r6qmdt722gyfc', expiresAt: Date.now() + DAY_MS };
    simulator.addOrders([{ ...ORDER, dcvMethod: 'dns-txt-token', randomValue: current }]);
    const valid = await client.dcvRandomValue(42, CANARY_KEY, options);
    simulator.addOrders([
      { ...ORDER, dcvMethod: 'dns-txt-token', randomValue: { ...current, expiresAt: Date.now() - 1 } },
    ]);
    const renewed = await client.dcvRandomValue(42, CANARY_KEY, options);

    expect(valid).toMatchObject({ kind: 'found', body: { dcv_random_value: current.value } });
    expect(renewed.kind === 'found' && renewed.body.dcv_random_value).toMatch(/^[a-z0-9]{32}$/);
    expect(renewed.kind === 'found' && renewed.body.dcv_random_value).not.toBe(current.value);
  });

  it('names an expiration date that is not a date', async () => {
    simulator.scriptDcv(42, 'dcv-random-value', {
      kind: 'custom',
      status: 200,
      body: JSON.stringify({ dcv_random_value: 'abc', expiration_date: 'soon', extra: 1 }),
    });

    const outcome = await client.dcvRandomValue(42, CANARY_KEY, options);

    expect(outcome.kind === 'unavailable' && outcome.detail).toBe(
      'DigiCert answered 200 with `expiration_date` is not a date',
    );
  });
});

describe('checkDcv', () => {
  it("answers not yet for DigiCert's invalid_dns_txt, as an outcome", async () => {
    await client.setDcvMethod(42, 'dns-txt-token', CANARY_KEY, options);

    const outcome = await client.checkDcv(42, CANARY_KEY, options);

    expect(outcome).toEqual({
      kind: 'found',
      status: 400,
      body: {
        validated: false,
        codes: ['invalid_dns_txt'],
        message: 'Could not find a valid TXT record for one or more domains.',
      },
    });
  });

  it('answers validated, keeping the fields it does not read', async () => {
    const body = { order_status: 'issued', certificate_id: 9, dcv_status: 'valid', new_field: [1] };
    simulator.scriptDcv(42, 'check-dcv', { kind: 'custom', status: 200, body: JSON.stringify(body) });

    const outcome = await client.checkDcv(42, CANARY_KEY, options);

    expect(outcome).toEqual({ kind: 'found', status: 200, body: { validated: true, body } });
  });

  it('answers not yet for a 200 whose dcv_status is not valid, naming the pending domains', async () => {
    const body = {
      order_status: 'pending',
      dcv_status: 'pending',
      dns_name_validations: [
        { dns_name: 'example.com', status: 'approved' },
        { dns_name: 'www.example.com', status: 'pending' },
      ],
    };
    simulator.scriptDcv(42, 'check-dcv', { kind: 'custom', status: 200, body: JSON.stringify(body) });

    const outcome = await client.checkDcv(42, CANARY_KEY, options);

    expect(outcome).toMatchObject({ kind: 'found', body: { validated: false, codes: [] } });
    expect(outcome.kind === 'found' && !outcome.body.validated && outcome.body.message).toBe(
      'DigiCert has not validated the order yet (dcv_status pending); pending: www.example.com',
    );
  });

  it('is unavailable, naming the field, for a 200 without dcv_status', async () => {
    simulator.scriptDcv(42, 'check-dcv', {
      kind: 'custom',
      status: 200,
      body: JSON.stringify({ order_status: 'issued', certificate_id: 9 }),
    });

    const outcome = await client.checkDcv(42, CANARY_KEY, options);

    expect(outcome).toMatchObject({
      kind: 'unavailable',
      detail: 'DigiCert answered 200 with no `dcv_status`',
    });
  });

  it('is rejected for a 4xx that mixes a not-yet code with another', async () => {
    simulator.scriptDcv(42, 'check-dcv', {
      kind: 'custom',
      status: 400,
      body: JSON.stringify({
        errors: [
          { code: 'invalid_dns_txt', message: 'x' },
          { code: 'invalid_order_status', message: 'y' },
        ],
      }),
    });

    const outcome = await client.checkDcv(42, CANARY_KEY, options);

    expect(outcome).toMatchObject({ kind: 'rejected', status: 400 });
  });

  it('never carries the key when DigiCert echoes it in a not-yet code or a refusal', async () => {
    simulator.scriptDcv(
      42,
      'check-dcv',
      {
        kind: 'custom',
        status: 400,
        body: JSON.stringify({
          errors: [{ code: `invalid_dns_txt|${CANARY_KEY}`, message: `no ${CANARY_KEY}` }],
        }),
      },
      { kind: 'echo_key' },
    );

    const notYet = await client.checkDcv(42, CANARY_KEY, options);
    const refused = await client.checkDcv(42, CANARY_KEY, options);

    expect(notYet).toMatchObject({ kind: 'found', body: { validated: false } });
    expect(refused).toMatchObject({ kind: 'rejected', status: 400 });
    expect(JSON.stringify([notYet, refused])).not.toContain(CANARY_KEY);
  });

  it('is rejected with 403 for a view-only key', async () => {
    const outcome = await client.checkDcv(42, VIEW_ONLY_KEY, options);

    expect(outcome).toMatchObject({ kind: 'rejected', status: 403 });
  });

  it('is rejected with 404 for an order DigiCert does not have', async () => {
    const outcome = await client.checkDcv(7, CANARY_KEY, options);

    expect(outcome).toMatchObject({ kind: 'rejected', status: 404, errors: [{ code: 'not_found|order' }] });
  });
});

describe('the feature calls through the client', () => {
  const feature = () =>
    createDnsDcvCalls({
      apiKeys: new StaticApiKeyProvider(CANARY_KEY),
      limiter: unlimited,
      retry: DEFAULT_RETRY_POLICY,
      attemptTimeoutMs: 2_000,
      digicert: client,
      sleep: () => Promise.resolve(),
    });

  it('switches the order to DNS and answers its random value', async () => {
    const value = await feature().switchToDns(42, 'dns-cname-token', { deadline: Date.now() + 10_000 });

    expect(value.randomValue).toBe(simulator.order(42)?.randomValue?.value);
    expect(value.expiresAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(simulator.order(42)?.dcvMethod).toBe('dns-cname-token');
  });

  it('throws OrderNotFoundError for an unknown order, after one request', async () => {
    const error = await feature()
      .checkDcv(7, { deadline: Date.now() + 10_000 })
      .catch((thrown: unknown) => thrown);

    expect(error).toBeInstanceOf(OrderNotFoundError);
    expect(simulator.received).toBe(1);
  });

  it('retries a scripted 503 of check-dcv, then answers not yet', async () => {
    await client.setDcvMethod(42, 'dns-txt-token', CANARY_KEY, options);
    simulator.scriptDcv(42, 'check-dcv', { kind: 'maintenance' }, { kind: 'sent' });

    const result = await feature().checkDcv(42, { deadline: Date.now() + 10_000 });

    expect(result).toMatchObject({ validated: false, codes: ['invalid_dns_txt'], expired: false });
    expect(simulator.requestsFor(42).filter((r) => r.path.endsWith('/check-dcv'))).toHaveLength(2);
  });

  it('throws UpstreamError naming the field for a random value without its expiry', async () => {
    simulator.scriptDcv(42, 'dcv-method', {
      kind: 'custom',
      status: 200,
      body: JSON.stringify({ dcv_random_value: 'abc' }),
    });

    const error = await feature()
      .switchToDns(42, 'dns-txt-token', { deadline: Date.now() + 10_000 })
      .catch((thrown: unknown) => thrown);

    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as Error).message).toBe(
      'DigiCert answered 200 with no `expiration_date` for the DCV method of order 42 after 1 attempt',
    );
  });
});
