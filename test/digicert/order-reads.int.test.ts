/**
 * The client's order reads (docs/contract.md §10, and the pending orders of the sweep) against the DigiCert simulator: DigiCert's
 * bodies are checked for the fields this product reads, every other field is kept as it came, and
 * a body without a required field is an `UpstreamError` naming it, never a crash.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DigiCertSimulator } from '../../dev/digicert-simulator.js';
import { createDcvStatusQuery } from '../../functions/dcv/status.js';
import { UndiciDigiCertClient } from '../../functions/digicert/client.js';
import { UpstreamError } from '../../functions/lib/errors.js';
import { DEFAULT_RETRY_POLICY } from '../../functions/resend/digicert-call.js';
import { StaticApiKeyProvider } from '../../functions/secrets/static-api-key-provider.js';
import { CANARY_KEY } from '../support/harness.js';
import { unlimited } from '../support/limiters.js';

let simulator: DigiCertSimulator;
let client: UndiciDigiCertClient;
const options = { timeoutMs: 2_000 };

const ORDER = {
  id: 42,
  status: 'pending',
  date_created: '2026-12-01T10:00:00+00:00',
  dcv_method: 'email',
  certificate: { common_name: 'example.com', dns_names: ['example.com'], ca_cert: { id: 'X1' } },
  product: { name_id: 'ssl_dv_geotrust' },
  a_field_digicert_adds_later: { nested: [1, 2] },
};

beforeAll(async () => {
  simulator = await DigiCertSimulator.start({ validKeys: [CANARY_KEY] });
  client = new UndiciDigiCertClient({ baseUrl: simulator.baseUrl });
});
afterAll(async () => {
  await client.close();
  await simulator.close();
});
beforeEach(() => simulator.reset());

const answer = (body: unknown) => ({ kind: 'custom' as const, status: 200, body: JSON.stringify(body) });

describe('order info', () => {
  it("keeps DigiCert's fields it does not read, at every level", async () => {
    simulator.script(42, answer(ORDER));

    const outcome = await client.orderInfo(42, CANARY_KEY, options);

    expect(outcome).toEqual({ kind: 'found', status: 200, body: ORDER });
  });

  it('reads null as absent for the optional fields', async () => {
    simulator.script(42, answer({ ...ORDER, dcv_method: null, certificate: null, dcv_token: null }));

    const outcome = await client.orderInfo(42, CANARY_KEY, options);

    expect(outcome.kind).toBe('found');
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['status missing', { ...ORDER, status: undefined }, 'no `status`'],
    ['date_created missing', { ...ORDER, date_created: undefined }, 'no `date_created`'],
    ['date_created not a date', { ...ORDER, date_created: 'yesterday' }, '`date_created` is not a date'],
    [
      'a DNS name of the wrong type',
      { ...ORDER, certificate: { dns_names: [7] } },
      '`certificate.dns_names.0` of the wrong type',
    ],
  ])('is unavailable, not retryable, naming the field, with %s', async (_name, body, problem) => {
    simulator.script(42, answer(body));

    const outcome = await client.orderInfo(42, CANARY_KEY, options);

    expect(outcome).toMatchObject({ kind: 'unavailable', status: 200, retryable: false });
    expect(outcome.kind === 'unavailable' && outcome.detail).toContain(problem);
  });

  it('is unavailable for a 200 that is not JSON', async () => {
    simulator.script(42, { kind: 'custom', status: 200, body: '<html>maintenance</html>' });

    const outcome = await client.orderInfo(42, CANARY_KEY, options);

    expect(outcome).toMatchObject({
      kind: 'unavailable',
      detail: 'DigiCert answered 200 with a body that is not JSON',
    });
  });
});

describe('order validation', () => {
  it('keeps unknown fields of each domain, and names a missing list', async () => {
    simulator.script(
      42,
      answer({ dns_name_validations: [{ name: 'a.example', status: 'pending', extra: true }] }),
    );
    const found = await client.orderValidation(42, CANARY_KEY, options);
    simulator.script(42, answer({ validations: [] }));
    const missing = await client.orderValidation(42, CANARY_KEY, options);

    expect(found).toMatchObject({ kind: 'found', body: { dns_name_validations: [{ extra: true }] } });
    expect(missing.kind === 'unavailable' && missing.detail).toContain('no `dns_name_validations`');
  });
});

describe('the status query on a body without a required field', () => {
  it('throws UpstreamError upstream_unavailable naming the field, after one request', async () => {
    simulator.script(42, answer({ ...ORDER, status: undefined }));
    const query = createDcvStatusQuery({
      apiKeys: new StaticApiKeyProvider(CANARY_KEY),
      limiter: unlimited,
      retry: DEFAULT_RETRY_POLICY,
      attemptTimeoutMs: 2_000,
      digicert: client,
      sleep: () => Promise.resolve(),
    });

    const error = await query(42, { deadline: Date.now() + 10_000 }).catch((thrown: unknown) => thrown);

    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ code: 'upstream_unavailable', attempts: 1 });
    expect((error as Error).message).toBe(
      'DigiCert answered 200 with no `status` for order 42 after 1 attempt',
    );
    expect(simulator.received).toBe(1);
  });
});

describe('pending orders', () => {
  it("asks for one page with the pending filter and reads DigiCert's page", async () => {
    const listed = await client.pendingOrders({ offset: 0, limit: 50 }, CANARY_KEY, options);

    expect(listed).toEqual({
      kind: 'found',
      status: 200,
      body: { orders: [], page: { total: 0, limit: 50, offset: 0 } },
    });
    expect(simulator.requests[0]).toMatchObject({
      method: 'GET',
      path: '/services/v2/order/certificate?filters%5Bstatus%5D=pending&offset=0&limit=50',
    });
  });
});
