/**
 * The HTTP contract (docs/contract.md §2) end to end: API Gateway events through the real handler, the
 * real Secrets Manager SDK against the stand-in, and undici against the DigiCert simulator.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Behaviour } from '../../dev/digicert-simulator.js';
import { fakeContext, httpV1Event, httpV2Event } from '../../dev/lambda-events.js';
import { USER_AGENT } from '../../functions/app/contract.js';
import { CANARY_KEY, type Harness, startHarness } from '../support/harness.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});
beforeEach(() => h.reset());

const body = JSON.stringify({
  domain_approval_emails: [
    { domain: 'example.com', email: 'admin@example.com' },
    { domain: 'Sub.Example2.com', email: 'admin@example2.com', email_domain: 'example2.com' },
  ],
  locale: 'en',
});

async function put(options: Parameters<typeof httpV2Event>[0] = {}, extraEnv: Record<string, string> = {}) {
  const response = await h.handler(extraEnv)(httpV2Event({ body, ...options }), fakeContext());
  if (!('statusCode' in response)) throw new Error('expected an HTTP response');
  return response;
}

/** A request with no Content-Type header at all, as aws-lambda-go's and `sam local generate-event`'s samples. */
async function putWithoutContentType(text: string | undefined, version: '1.0' | '2.0' = '2.0') {
  const event = version === '2.0' ? httpV2Event({ body: text }) : httpV1Event({ body: text });
  const headers: Record<string, string | undefined> = { ...event.headers };
  delete headers['content-type'];
  const response = await h.handler()({ ...event, headers }, fakeContext());
  if (!('statusCode' in response)) throw new Error('expected an HTTP response');
  return response;
}

function parsed(response: { body: string }) {
  return JSON.parse(response.body) as { errors: { code: string; message: string; field?: string }[] };
}

describe('HTTP: DigiCert outcomes map to the contract statuses', () => {
  it.each<[string, Behaviour, number, string | null]>([
    ['DigiCert accepted', { kind: 'sent' }, 204, null],
    ['order not found', { kind: 'not_found' }, 404, 'not_found|order'],
    ['view-only key', { kind: 'forbidden' }, 403, 'access_denied|missing_permission'],
    [
      'DigiCert refused the DCV address',
      { kind: 'bad_request', code: 'invalid_dcv_email' },
      400,
      'invalid_dcv_email',
    ],
    ['rate-limited throughout', { kind: 'rate_limited' }, 429, 'request_limit_exceeded'],
    ['key rejected', { kind: 'unauthorized' }, 502, 'upstream_auth_failed'],
    ['maintenance', { kind: 'maintenance' }, 502, 'upstream_unavailable'],
    ['server error', { kind: 'server_error' }, 502, 'upstream_unavailable'],
    ['an HTML 502 from a proxy', { kind: 'html_bad_gateway' }, 502, 'upstream_unavailable'],
    [
      'an unexpected 3xx',
      { kind: 'custom', status: 302, headers: { location: '/elsewhere' } },
      502,
      'upstream_unavailable',
    ],
    ['no answer in time', { kind: 'slow', delayMs: 5_000 }, 504, 'upstream_timeout'],
  ])('%s → %s', async (_name, behaviour, status, code) => {
    h.simulator.script(123, behaviour);
    const response = await put({}, { DIGICERT_TIMEOUT_MS: '300' });
    expect(response.statusCode).toBe(status);
    if (code === null) {
      expect(response.body).toBe('');
    } else {
      expect(response.headers['content-type']).toBe('application/json');
      expect(parsed(response).errors[0]?.code).toBe(code);
    }
  });

  it('passes DigiCert 4xx error entries through: their codes and messages, unknown fields dropped', async () => {
    h.simulator.script(123, {
      kind: 'custom',
      status: 400,
      body: JSON.stringify({
        errors: [{ code: 'invalid_dcv_email', message: 'Not allowed.', extra: 'dropped' }],
        trace: 'dropped too',
      }),
    });
    const response = await put();
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body)).toEqual({
      errors: [{ code: 'invalid_dcv_email', message: 'Not allowed.' }],
    });
  });

  it('answers 429 with Retry-After when DigiCert keeps rate-limiting', async () => {
    h.simulator.script(123, { kind: 'rate_limited', retryAfter: '7' });
    const response = await put();
    expect(response.statusCode).toBe(429);
    expect(response.headers['retry-after']).toBe('7');
  });

  it('answers 429 with a Retry-After of its own when DigiCert sent none', async () => {
    h.simulator.script(123, { kind: 'rate_limited' });
    const response = await put();
    expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('answers 503 secret_unavailable when the secret cannot be read', async () => {
    h.secrets.failNext('ResourceNotFoundException');
    const response = await put();
    expect(response.statusCode).toBe(503);
    expect(parsed(response).errors[0]?.code).toBe('secret_unavailable');
    expect(h.simulator.requests).toHaveLength(0);
  });

  it('answers 503 secret_unavailable when the secret id is not configured', async () => {
    const { createHandler } = await import('../../functions/resend-dcv-emails/handler.js');
    const { createRuntime } = await import('../../functions/app/runtime.js');
    const handler = createHandler(() => createRuntime({}));
    const response = await handler(httpV2Event({ body }), fakeContext());
    expect(response).toMatchObject({ statusCode: 503 });
  });

  it('answers 500 internal_error without detail for an unexpected failure', async () => {
    const { createHandler } = await import('../../functions/resend-dcv-emails/handler.js');
    const handler = createHandler(() => {
      throw new Error('database password is hunter2');
    });
    const response = await handler(httpV2Event({ body }), fakeContext());
    if (!('statusCode' in response)) throw new Error('expected an HTTP response');
    expect(response.statusCode).toBe(500);
    expect(JSON.parse(response.body)).toEqual({
      errors: [{ code: 'internal_error', message: 'Internal error' }],
    });
  });
});

describe('HTTP: requests rejected before DigiCert', () => {
  it.each([
    ['a path traversal', '..%2F..%2Fetc'],
    ['an encoded slash', '12%2F34'],
    ['a space', '12%2034'],
    ['a sign', '-12'],
    ['a plus sign', '+12'],
    ['an exponent', '1e3'],
    ['13 digits', '1234567890123'],
    ['zero', '0'],
    ['letters', 'abc'],
  ])('rejects an order id with %s as 400 invalid_order_id', async (_name, orderId) => {
    const response = await put({ orderId });
    expect(response.statusCode).toBe(400);
    expect(parsed(response).errors[0]).toMatchObject({ code: 'invalid_order_id', field: 'order_id' });
    expect(h.simulator.requests).toHaveLength(0);
  });

  it('rejects malformed JSON as 400 invalid_json', async () => {
    const response = await put({ body: '{"locale": "en"' });
    expect(response.statusCode).toBe(400);
    expect(parsed(response).errors[0]?.code).toBe('invalid_json');
  });

  it.each([
    ['a trailing comma', '{"locale": "en",}', 'line 1, column 17'],
    ['an unquoted value on line 2', '{\n  "locale": en\n}', 'line 2, column 13'],
    ['text that stops early', '{"locale": "en"', 'line 1, column 16, where the text ends early'],
  ])('says where malformed JSON goes wrong (%s), without echoing it', async (_name, body, place) => {
    const response = await put({ body });
    expect(parsed(response).errors[0]).toMatchObject({
      code: 'invalid_json',
      message: `body must be valid JSON (${place})`,
    });
  });

  it('rejects a schema violation as 400 invalid_input with one entry per problem', async () => {
    const response = await put({
      body: JSON.stringify({
        domain_approval_emails: [{ domain: 'example', email: 'nope' }],
        locale: 'english',
      }),
    });
    expect(response.statusCode).toBe(400);
    expect(parsed(response).errors.map((e) => [e.code, e.field])).toEqual([
      ['invalid_input', 'domain_approval_emails.0.domain'],
      ['invalid_input', 'domain_approval_emails.0.email'],
      ['invalid_input', 'locale'],
    ]);
    expect(h.simulator.requests).toHaveLength(0);
  });

  it.each(['text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1', 'json'])(
    'rejects a present non-JSON content type (%s) as 415',
    async (contentType) => {
      const response = await put({ headers: { 'content-type': contentType } });
      expect(response.statusCode).toBe(415);
      expect(parsed(response).errors[0]?.code).toBe('unsupported_media_type');
    },
  );

  it('rejects a body over 128 KiB as 413', async () => {
    const response = await put({ body: `{"locale":"${'x'.repeat(128 * 1024)}"}` });
    expect(response.statusCode).toBe(413);
    expect(parsed(response).errors[0]).toMatchObject({
      code: 'payload_too_large',
      message: 'Request body must be at most 128 KiB (131072 bytes)',
    });
  });

  it('rejects a base64 body over 128 KiB as 413', async () => {
    const big = Buffer.from(`{"locale":"${'x'.repeat(200 * 1024)}"}`).toString('base64');
    const response = await put({ body: big, isBase64Encoded: true });
    expect(response.statusCode).toBe(413);
  });

  it('rejects a base64 body that is not UTF-8 as 400 invalid_json', async () => {
    const response = await put({
      body: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]).toString('base64'),
      isBase64Encoded: true,
    });
    expect(response.statusCode).toBe(400);
    expect(parsed(response).errors[0]?.code).toBe('invalid_json');
  });

  it('rejects other methods with 405 and Allow: PUT', async () => {
    const response = await put({ method: 'POST' });
    expect(response.statusCode).toBe(405);
    expect(response.headers.allow).toBe('PUT');
  });

  it('rejects other paths with 404', async () => {
    const response = await put({ path: '/order/certificate/123/reissue' });
    expect(response.statusCode).toBe(404);
  });
});

describe('HTTP: accepted request shapes', () => {
  it('accepts an absent body and sends DigiCert an empty JSON object', async () => {
    const response = await put({ body: undefined, headers: {} });
    expect(response.statusCode).toBe(204);
    expect(h.simulator.requests[0]?.rawBody).toBe('{}');
  });

  it.each(['2.0', '1.0'] as const)(
    'reads a JSON body sent without any Content-Type as JSON (payload %s; aws-lambda-go and sam samples, scripts)',
    async (version) => {
      const response = await putWithoutContentType(body, version);
      expect(response.statusCode).toBe(204);
      expect(h.simulator.requests[0]?.body).toMatchObject({ locale: 'en' });
      const invalid = await putWithoutContentType('{"locale":"english"}', version);
      expect(invalid.statusCode).toBe(400);
      expect(parsed(invalid).errors[0]?.field).toBe('locale');
      const malformed = await putWithoutContentType('{"locale":', version);
      expect(parsed(malformed).errors[0]?.code).toBe('invalid_json');
    },
  );

  it('reads a body with an empty Content-Type as JSON', async () => {
    const response = await put({ headers: { 'content-type': '' } });
    expect(response.statusCode).toBe(204);
  });

  it('treats a JSON null body as an absent body (a public Go client sends null)', async () => {
    const response = await put({ body: 'null' });
    expect(response.statusCode).toBe(204);
    expect(h.simulator.requests[0]?.rawBody).toBe('{}');
    expect((await put({ body: ' null\n' })).statusCode).toBe(204);
    expect((await putWithoutContentType('null')).statusCode).toBe(204);
    expect(
      (await put({ body: Buffer.from('null').toString('base64'), isBase64Encoded: true })).statusCode,
    ).toBe(204);
    expect(h.simulator.requests.map((r) => r.rawBody)).toEqual(['{}', '{}', '{}', '{}']);
  });

  it('still refuses other JSON that is not an object, naming the rule', async () => {
    for (const text of ['[]', '"x"', '1', 'true']) {
      const response = await put({ body: text });
      expect(response.statusCode, text).toBe(400);
      expect(parsed(response).errors[0]?.code).toBe('invalid_input');
    }
  });

  it('accepts an empty body without a content type', async () => {
    const response = await put({ body: '', headers: { 'content-type': '' } });
    expect(response.statusCode).toBe(204);
  });

  it('accepts a base64-encoded body', async () => {
    const response = await put({ body: Buffer.from(body).toString('base64'), isBase64Encoded: true });
    expect(response.statusCode).toBe(204);
    expect(h.simulator.requests[0]?.body).toMatchObject({ locale: 'en' });
  });

  it('accepts application/json with a UTF-8 charset, in any case', async () => {
    const response = await put({ headers: { 'Content-Type': 'Application/JSON; charset=UTF-8' } });
    expect(response.statusCode).toBe(204);
  });

  it('serves REST API (payload 1.0) proxy events the same way', async () => {
    const ok = await h.handler()(httpV1Event({ body }), fakeContext());
    expect(ok).toMatchObject({ statusCode: 204 });
    const bad = await h.handler()(httpV1Event({ orderId: '12a', body }), fakeContext());
    expect(bad).toMatchObject({ statusCode: 400 });
  });

  it('reads a REST API (1.0) content type given only in multiValueHeaders', async () => {
    const event = {
      ...httpV1Event({ body }),
      headers: {},
      multiValueHeaders: { 'Content-Type': ['application/json'] },
    };
    const response = await h.handler()(event, fakeContext());
    expect(response).toMatchObject({ statusCode: 204 });
  });

  it('serves an HTTP API stage path that is not $default', async () => {
    const response = await put({ path: '/prod/order/certificate/123/resend-emails' });
    expect(response.statusCode).toBe(204);
  });

  it('returns API Gateway request id as x-request-id on every response', async () => {
    const event = httpV2Event({ body });
    const ok = await h.handler()(event, fakeContext());
    const bad = await h.handler()(httpV2Event({ orderId: 'x', body }), fakeContext());
    expect(ok).toMatchObject({ headers: { 'x-request-id': event.requestContext.requestId } });
    expect((bad as { headers: Record<string, string> }).headers['x-request-id']).toMatch(/^req-v2-/);
  });
});

describe('the request DigiCert receives', () => {
  it('is a PUT to the order path with exactly the validated fields, snake_case, without order_id', async () => {
    await put({ orderId: '000123' });
    const [request] = h.simulator.requests;
    expect(request?.method).toBe('PUT');
    expect(request?.path).toBe('/services/v2/order/certificate/123/resend-emails');
    expect(request?.body).toEqual({
      domain_approval_emails: [
        { domain: 'example.com', email: 'admin@example.com' },
        { domain: 'sub.example2.com', email: 'admin@example2.com', email_domain: 'example2.com' },
      ],
      locale: 'en',
    });
  });

  it('carries the key in X-DC-DEVKEY with JSON content negotiation', async () => {
    await put();
    const headers = h.simulator.requests[0]?.headers ?? {};
    expect(headers['x-dc-devkey']).toBe(CANARY_KEY);
    expect(headers['content-type']).toBe('application/json');
    expect(headers.accept).toBe('application/json');
    expect(headers['user-agent']).toBe(USER_AGENT);
  });

  it("does not forward the caller's headers to DigiCert", async () => {
    await put({ headers: { authorization: 'AWS4-HMAC-SHA256 caller', 'x-forwarded-for': '192.0.2.9' } });
    const headers = h.simulator.requests[0]?.headers ?? {};
    expect(headers.authorization).toBeUndefined();
    expect(headers['x-forwarded-for']).toBeUndefined();
  });

  it('reuses one keep-alive connection across requests', async () => {
    const handler = h.handler();
    for (let i = 0; i < 5; i += 1) await handler(httpV2Event({ body }), fakeContext());
    expect(h.simulator.requests).toHaveLength(5);
    // undici may keep a second connection warm; what matters is that sockets are reused, not opened per request.
    expect(new Set(h.simulator.requests.map((r) => r.remotePort)).size).toBeLessThanOrEqual(2);
  });
});
