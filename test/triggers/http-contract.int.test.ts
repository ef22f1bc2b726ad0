import { beforeAll, describe, expect, it } from 'vitest';
import { type BundleHandler, v1, v2 } from '../support/audit-events.js';
import { KEY, type Scripted, SECRET_JSON } from '../support/audit-fakes.js';
import {
  DOC_BODY,
  type ErrorBody,
  errorOf,
  expectSent,
  header,
  http,
  useContractAudit,
} from '../support/contract-audit.js';

const audit = useContractAudit();
const { fake, secrets } = audit;

let main: BundleHandler;
beforeAll(async () => {
  main = await audit.container({ DIGICERT_MAX_ATTEMPTS: '1' });
});

describe('HTTP (docs/contract.md §2): events as API Gateway sends them', () => {
  const body = JSON.stringify(DOC_BODY);
  const json = { 'content-type': 'application/json' };
  const cases: readonly [string, () => Record<string, unknown>, number][] = [
    ['HTTP API, $default stage, IAM authorizer', () => v2({ orderId: '201', headers: json, body }), 201],
    [
      'HTTP API, named stage in rawPath, JWT authorizer',
      () => v2({ orderId: '202', stage: 'prod', authorizer: 'jwt', headers: json, body }),
      202,
    ],
    [
      'HTTP API, $default route with {proxy+} and no order_id parameter',
      () =>
        v2({
          orderId: '203',
          routeKey: '$default',
          pathParameters: { proxy: 'order/certificate/203/resend-emails' },
          headers: json,
          body,
        }),
      203,
    ],
    [
      'HTTP API, no Content-Type and a base64 body (as API Gateway encodes an untyped body)',
      () => v2({ orderId: '204', body: Buffer.from(body).toString('base64'), isBase64Encoded: true }),
      204,
    ],
    ['REST API proxy event', () => v1({ orderId: '205', body }), 205],
    [
      'REST API, header only in multiValueHeaders, base64 body',
      () =>
        v1({
          orderId: '206',
          headers: {},
          multiValueHeaders: { 'Content-Type': ['application/json; charset=UTF-8'] },
          body: Buffer.from(body).toString('base64'),
          isBase64Encoded: true,
        }),
      206,
    ],
    [
      'REST API with a custom-domain base path and a {proxy+} resource',
      () =>
        v1({
          path: '/dcv/order/certificate/207/resend-emails',
          resource: '/{proxy+}',
          pathParameters: { proxy: 'order/certificate/207/resend-emails' },
          body,
        }),
      207,
    ],
  ];
  it.each(cases)(
    'resends for %s: 204 with the sunset headers, and sends DigiCert exactly the body',
    async (_, event, orderId) => {
      const response = await http(main, event());
      expectSent(response);
      const [sent] = fake.to(orderId);
      expect(fake.to(orderId)).toHaveLength(1);
      expect(sent?.method).toBe('PUT');
      expect(sent?.path).toBe(`/services/v2/order/certificate/${orderId}/resend-emails`);
      expect(sent?.headers['x-dc-devkey']).toBe(KEY);
      expect(sent?.headers['content-type']).toMatch(/^application\/json/);
      expect(JSON.parse(sent?.body ?? '')).toEqual(DOC_BODY);
    },
  );

  it('normalises the order id and the domain before sending', async () => {
    const response = await http(
      main,
      v2({
        orderId: '000211',
        headers: json,
        body: JSON.stringify({
          domain_approval_emails: [{ domain: 'WWW.Example.COM', email: 'admin@example.com' }],
        }),
      }),
    );
    expectSent(response);
    expect(fake.to(211)).toHaveLength(1);
    expect(JSON.parse(fake.to(211)[0]?.body ?? '')).toEqual({
      domain_approval_emails: [{ domain: 'www.example.com', email: 'admin@example.com' }],
    });
  });

  const lenient: readonly [string, Record<string, string>, string | undefined][] = [
    ['no body at all', json, undefined],
    ['an empty body', json, ''],
    ['a JSON null body', json, 'null'],
    ['a JSON body without Content-Type', {}, JSON.stringify({ locale: 'en' })],
    ['a JSON null body without Content-Type', {}, 'null'],
    ['an empty body with a non-JSON Content-Type', { 'content-type': 'text/plain' }, ''],
  ];
  it.each(lenient)('accepts %s (docs/contract.md §2 leniency)', async (_, headers, sentBody) => {
    const orderId = 220 + lenient.findIndex(([name]) => name === _);
    const response = await http(main, v2({ orderId: String(orderId), headers, body: sentBody }));
    expectSent(response);
    expect(fake.to(orderId)).toHaveLength(1);
    const upstream = fake.to(orderId)[0]?.body ?? '';
    const expected = sentBody?.includes('locale') ? { locale: 'en' } : {};
    expect(upstream === '' ? {} : JSON.parse(upstream)).toEqual(expected);
  });

  it('treats a REST API event with null headers and a null body as an absent body', async () => {
    const response = await http(main, v1({ orderId: '230', headers: null, body: null }));
    expectSent(response);
  });

  const refusals: readonly [string, () => Record<string, unknown>, number, string, string?][] = [
    ['a non-numeric order id', () => v2({ orderId: 'abc', headers: json }), 400, 'invalid_order_id'],
    ['order id 0', () => v2({ orderId: '0', headers: json }), 400, 'invalid_order_id'],
    ['a 13-digit order id', () => v2({ orderId: '1234567890123', headers: json }), 400, 'invalid_order_id'],
    ['malformed JSON', () => v2({ headers: json, body: '{"locale":' }), 400, 'invalid_json'],
    [
      'an unknown field (a typo)',
      () => v2({ headers: json, body: JSON.stringify({ domain_aproval_email: [] }) }),
      400,
      'invalid_input',
      'domain_aproval_email',
    ],
    [
      'a public suffix as domain',
      () =>
        v2({
          headers: json,
          body: JSON.stringify({ domain_approval_emails: [{ domain: 'co.uk', email: 'admin@co.uk' }] }),
        }),
      400,
      'invalid_input',
      'domain_approval_emails.0.domain',
    ],
    [
      'an email_domain that is not a parent of the domain',
      () =>
        v2({
          headers: json,
          body: JSON.stringify({
            domain_approval_emails: [
              { domain: 'example.com', email: 'admin@example.org', email_domain: 'example.org' },
            ],
          }),
        }),
      400,
      'invalid_input',
      'domain_approval_emails.0.email_domain',
    ],
    [
      'a bad mailbox',
      () =>
        v2({
          headers: json,
          body: JSON.stringify({
            domain_approval_emails: [{ domain: 'example.com', email: 'not-an-address' }],
          }),
        }),
      400,
      'invalid_input',
      'domain_approval_emails.0.email',
    ],
    [
      'an empty recipient list',
      () => v2({ headers: json, body: JSON.stringify({ domain_approval_emails: [] }) }),
      400,
      'invalid_input',
      'domain_approval_emails',
    ],
    [
      'a malformed locale',
      () => v2({ headers: json, body: JSON.stringify({ locale: 'english' }) }),
      400,
      'invalid_input',
      'locale',
    ],
    [
      'a non-JSON Content-Type',
      () => v2({ headers: { 'content-type': 'text/plain' }, body: '{}' }),
      415,
      'unsupported_media_type',
    ],
    [
      'a body over 128 KiB',
      () => v2({ headers: json, body: JSON.stringify({ locale: 'en', pad: 'x'.repeat(128 * 1024) }) }),
      413,
      'payload_too_large',
    ],
    [
      'a base64 body over 128 KiB (REST API)',
      () =>
        v1({
          body: Buffer.from(JSON.stringify({ locale: 'en', pad: 'x'.repeat(128 * 1024) })).toString('base64'),
          isBase64Encoded: true,
        }),
      413,
      'payload_too_large',
    ],
  ];
  it.each(refusals)(
    'refuses %s with the contract’s status and code, without calling DigiCert',
    async (_, event, status, code, field) => {
      const before = fake.requests.length;
      const body = errorOf(await http(main, event()), status, code);
      if (field) expect(body.errors.map((e) => e.field)).toContain(field);
      expect(fake.requests.length).toBe(before);
    },
  );

  it('reports one entry per problem, each with its field', async () => {
    const response = await http(
      main,
      v2({
        headers: json,
        body: JSON.stringify({
          domain_approval_emails: [{ domain: 'co.uk', email: 'nope' }],
          locale: 'english',
        }),
      }),
    );
    const body = errorOf(response, 400, 'invalid_input');
    expect(body.errors.map((e) => e.field).sort()).toEqual(
      ['domain_approval_emails.0.domain', 'domain_approval_emails.0.email', 'locale'].sort(),
    );
  });

  it('answers a wrong method and an unknown path with x-request-id and a JSON envelope', async () => {
    const wrongMethod = await http(main, v2({ method: 'POST', headers: json }));
    expect(wrongMethod.statusCode).toBe(405);
    expect(header(wrongMethod, 'x-request-id')).toBeTruthy();
    const unknown = await http(main, v2({ rawPath: '/prod/orders/123', routeKey: '$default' }));
    expect(unknown.statusCode).toBe(404);
    expect(header(unknown, 'x-request-id')).toBeTruthy();
    expect(header(unknown, 'content-type')).toMatch(/^application\/json/);
  });

  const upstream: readonly [string, Scripted, number, string | undefined][] = [
    [
      'DigiCert 404 not_found|order',
      {
        status: 404,
        body: JSON.stringify({ errors: [{ code: 'not_found|order', message: 'Order not found' }] }),
      },
      404,
      'not_found|order',
    ],
    [
      'DigiCert 403 access_denied|missing_permission',
      {
        status: 403,
        body: JSON.stringify({
          errors: [{ code: 'access_denied|missing_permission', message: 'Permission denied' }],
        }),
      },
      403,
      'access_denied|missing_permission',
    ],
    [
      'DigiCert 400 bad_request_format',
      {
        status: 400,
        body: JSON.stringify({ errors: [{ code: 'bad_request_format', message: 'Bad format' }] }),
      },
      400,
      'bad_request_format',
    ],
    ['DigiCert 503 maintenance', { status: 503, body: '{"errors":[]}' }, 502, 'upstream_unavailable'],
    [
      'DigiCert 502 with an HTML body',
      { status: 502, body: '<html>bad gateway</html>', headers: { 'content-type': 'text/html' } },
      502,
      'upstream_unavailable',
    ],
  ];
  it('treats any DigiCert 2xx as accepted (204 to the caller)', async () => {
    fake.script(255, { status: 200, body: '{"ok":true}' });
    expectSent(await http(main, v2({ orderId: '255', headers: json, body: '{}' })));
  });

  it('keeps DigiCert’s 4xx status when its body is not DigiCert’s envelope', async () => {
    fake.script(256, {
      status: 404,
      body: '<html>Not Found</html>',
      headers: { 'content-type': 'text/html' },
    });
    const response = await http(main, v2({ orderId: '256', headers: json, body: '{}' }));
    expect(response.statusCode).toBe(404);
    expect(header(response, 'content-type')).toMatch(/^application\/json/);
    expect(header(response, 'x-request-id')).toBeTruthy();
    expect((JSON.parse(response.body) as ErrorBody).errors.length).toBeGreaterThan(0);
  });

  it.each(upstream)('maps %s to the contract’s status and code', async (_, answer, status, code) => {
    const orderId = 240 + upstream.findIndex(([name]) => name === _);
    fake.script(orderId, answer);
    const response = await http(main, v2({ orderId: String(orderId), headers: json, body: '{}' }));
    errorOf(response, status, code ?? '');
  });

  it('passes DigiCert’s 4xx errors through with unknown fields dropped and the key redacted (§5)', async () => {
    fake.script(250, {
      status: 400,
      body: JSON.stringify({
        errors: [{ code: 'invalid_key_echo', message: `key ${KEY} is wrong`, internal_trace: 'abc' }],
      }),
    });
    const response = await http(main, v2({ orderId: '250', headers: json, body: '{}' }));
    const body = errorOf(response, 400, 'invalid_key_echo');
    expect(response.body).not.toContain(KEY);
    expect(Object.keys(body.errors[0] ?? {}).sort()).toEqual(['code', 'message']);
  });

  it('answers 502 upstream_auth_failed when DigiCert answers 401 even after one secret refresh', async () => {
    const handler = await audit.container({
      DIGICERT_MAX_ATTEMPTS: '2',
      DIGICERT_API_KEY_SECRET_ID: SECRET_JSON,
    });
    const reads = secrets.reads.length;
    const bad = { status: 401, body: '' };
    fake.script(260, bad, bad, bad, bad);
    errorOf(
      await http(handler, v2({ orderId: '260', headers: json, body: '{}' })),
      502,
      'upstream_auth_failed',
    );
    expect(secrets.reads.length - reads).toBe(2);
    expect(fake.to(260).length).toBe(2);
  });

  it('reads the key once and reuses it within SECRET_CACHE_TTL_SECONDS, or every time with 0', async () => {
    const cached = await audit.container({});
    const reads = secrets.reads.length;
    for (const orderId of [266, 267, 268])
      expectSent(await http(cached, v2({ orderId: String(orderId), body: '{}' })));
    expect(secrets.reads.length - reads).toBe(1);
    const uncached = await audit.container({ SECRET_CACHE_TTL_SECONDS: '0' });
    const before = secrets.reads.length;
    for (const orderId of [269, 270])
      expectSent(await http(uncached, v2({ orderId: String(orderId), body: '{}' })));
    expect(secrets.reads.length - before).toBe(2);
  });

  it('answers 503 secret_unavailable when the secret cannot be read', async () => {
    const handler = await audit.container({ DIGICERT_API_KEY_SECRET_ID: 'audit/no-such-secret' });
    errorOf(
      await http(handler, v2({ orderId: '261', headers: json, body: '{}' })),
      503,
      'secret_unavailable',
    );
    expect(fake.to(261)).toHaveLength(0);
  });

  it('answers 504 upstream_timeout when DigiCert does not answer in time', async () => {
    const handler = await audit.container({ DIGICERT_TIMEOUT_MS: '200', DIGICERT_MAX_ATTEMPTS: '1' });
    let release = (): void => undefined;
    fake.script(262, {
      status: 204,
      hold: new Promise<void>((r) => {
        release = r;
      }),
    });
    const response = await http(handler, v2({ orderId: '262', headers: json, body: '{}' }));
    release();
    errorOf(response, 504, 'upstream_timeout');
  });

  it('answers 429 request_limit_exceeded with Retry-After when DigiCert still says 429', async () => {
    const handler = await audit.container({ DIGICERT_MAX_ATTEMPTS: '1' });
    fake.script(263, {
      status: 429,
      headers: { 'retry-after': '1' },
      body: JSON.stringify({
        errors: [
          { code: 'request_limit_exceeded', message: 'Service unavailable, please limit request volume' },
        ],
      }),
    });
    const response = await http(handler, v2({ orderId: '263', headers: json, body: '{}' }));
    errorOf(response, 429, 'request_limit_exceeded');
    expect(header(response, 'retry-after')).toMatch(/^[1-9][0-9]*$/);
    // FACTS.md: DigiCert documents no Retry-After; the answer carries one all the same.
    const other = await audit.container({ DIGICERT_MAX_ATTEMPTS: '1' });
    fake.script(265, {
      status: 429,
      body: JSON.stringify({ errors: [{ code: 'request_limit_exceeded', message: 'slow down' }] }),
    });
    const bare = await http(other, v2({ orderId: '265', headers: json, body: '{}' }));
    errorOf(bare, 429, 'request_limit_exceeded');
    expect(header(bare, 'retry-after')).toMatch(/^[1-9][0-9]*$/);
  });

  it('retries a DigiCert 5xx before answering 502 (bounded)', async () => {
    const handler = await audit.container({});
    const fail = { status: 500, body: 'oops' };
    fake.script(264, fail, fail, fail, fail, fail, fail);
    errorOf(
      await http(handler, v2({ orderId: '264', headers: json, body: '{}' })),
      502,
      'upstream_unavailable',
    );
    expect(fake.to(264).length).toBeGreaterThan(1);
    expect(fake.to(264).length).toBeLessThanOrEqual(4);
  }, 20_000);
});

describe('the API key (docs/contract.md §5)', () => {
  it('appears in no response, thrown error, log line or stdout/stderr write of this file', () => {
    const { outputs, written } = audit.seen();
    expect(outputs.length).toBeGreaterThan(45);
    expect(written.length).toBeGreaterThan(0);
    for (const text of [...outputs, ...written]) expect(text).not.toContain(KEY);
  });
});
