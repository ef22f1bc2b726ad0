/**
 * Hostile input, one example each, through the real handler: header injection through every
 * field, prototype-pollution keys, deeply nested JSON, 10 MB bodies, invalid UTF-8 and numbers
 * beyond 2^53. Each is refused with a 4xx (HTTP) or a `ValidationError` (direct), DigiCert is never
 * called, and nothing crashes or leaks into `Object.prototype`.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fakeContext, type HttpEventOptions, httpV1Event, httpV2Event } from '../../dev/lambda-events.js';
import type { Handler } from '../../functions/resend-dcv-emails/handler.js';
import type { HttpResponse } from '../../functions/triggers/api-gateway.js';
import { type Harness, startHarness } from '../support/harness.js';

const CRLF = '\r\nX-Injected: yes';
const TEN_MB = 10 * 1024 * 1024;
const BEYOND_2_53 = '9007199254740993';
const item = { domain: 'example.com', email: 'admin@example.com' };

/** `depth` arrays inside each other, built without recursion. */
function nestedArrays(depth: number): unknown {
  let value: unknown = [];
  for (let i = 0; i < depth; i += 1) value = [value];
  return value;
}

let h: Harness;
let handler: Handler;

beforeAll(async () => {
  h = await startHarness();
  handler = h.handler();
});

afterAll(async () => {
  await h.close();
});

beforeEach(() => {
  h.reset();
});

afterEach(() => {
  expect(h.simulator.requests).toHaveLength(0);
  expect(({} as Record<string, unknown>).injected).toBeUndefined();
  expect(Object.prototype).not.toHaveProperty('injected');
});

const json = (value: unknown) => ({ body: JSON.stringify(value) });

/** HTTP requests and the status and code each must be refused with. */
const HTTP_CASES: readonly [string, HttpEventOptions, number, string][] = [
  [
    'CRLF in the order id of the path',
    { orderId: encodeURIComponent(`123${CRLF}`) },
    400,
    'invalid_order_id',
  ],
  [
    'CRLF in domain',
    json({ domain_approval_emails: [{ ...item, domain: `example.com${CRLF}` }] }),
    400,
    'invalid_input',
  ],
  [
    'CRLF in email',
    json({ domain_approval_emails: [{ ...item, email: `admin@example.com${CRLF}` }] }),
    400,
    'invalid_input',
  ],
  [
    'CRLF in email_domain',
    json({ domain_approval_emails: [{ ...item, email_domain: `example.com${CRLF}` }] }),
    400,
    'invalid_input',
  ],
  ['CRLF in locale', json({ locale: `en${CRLF}` }), 400, 'invalid_input'],
  [
    'CRLF in the content type',
    { headers: { 'content-type': `application/json${CRLF}` }, body: '{}' },
    415,
    'unsupported_media_type',
  ],
  ['a __proto__ key', { body: '{"__proto__":{"injected":true}}' }, 400, 'invalid_input'],
  [
    'a constructor.prototype key',
    { body: '{"constructor":{"prototype":{"injected":true}}}' },
    400,
    'invalid_input',
  ],
  ['a prototype key', { body: '{"prototype":{"injected":true}}' }, 400, 'invalid_input'],
  [
    'a __proto__ key inside an approval email',
    {
      body: '{"domain_approval_emails":[{"domain":"example.com","email":"admin@example.com","__proto__":{"injected":true}}]}',
    },
    400,
    'invalid_input',
  ],
  ['50,000 nested arrays', { body: `${'['.repeat(50_000)}${']'.repeat(50_000)}` }, 400, 'invalid_input'],
  [
    'nested objects as a field value',
    { body: `{"locale":${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}}` },
    400,
    'invalid_input',
  ],
  ['a 10 MB body', { body: `{"locale":"${'a'.repeat(TEN_MB)}"}` }, 413, 'payload_too_large'],
  [
    'a 10 MB base64 body',
    { body: Buffer.alloc(TEN_MB, 0x20).toString('base64'), isBase64Encoded: true },
    413,
    'payload_too_large',
  ],
  [
    'invalid UTF-8 in a base64 body',
    {
      body: Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0xff, 0x22, 0x7d]).toString('base64'),
      isBase64Encoded: true,
    },
    400,
    'invalid_json',
  ],
  ['an order id beyond 2^53', { orderId: BEYOND_2_53 }, 400, 'invalid_order_id'],
  ['a number beyond 2^53 as the locale', { body: `{"locale":${BEYOND_2_53}}` }, 400, 'invalid_input'],
  ['order_id in the body', { body: `{"order_id":${BEYOND_2_53}}` }, 400, 'invalid_input'],
  [
    'a public suffix as domain',
    json({ domain_approval_emails: [{ domain: 'co.uk', email: 'admin@example.co.uk' }] }),
    400,
    'invalid_input',
  ],
  [
    'a wildcard over a public suffix',
    json({ domain_approval_emails: [{ domain: '*.co.uk', email: 'admin@example.co.uk' }] }),
    400,
    'invalid_input',
  ],
  [
    'a public suffix as email_domain',
    json({
      domain_approval_emails: [
        { domain: 'example.com.au', email: 'admin@example.com.au', email_domain: 'com.au' },
      ],
    }),
    400,
    'invalid_input',
  ],
  [
    'invalid punycode as domain',
    json({ domain_approval_emails: [{ domain: 'xn--zz.com', email: 'admin@example.com' }] }),
    400,
    'invalid_input',
  ],
  [
    'a present Content-Type that is not JSON',
    { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '{}' },
    415,
    'unsupported_media_type',
  ],
];

describe.each([
  ['HTTP API (2.0)', httpV2Event],
  ['REST API (1.0)', httpV1Event],
] as const)(
  'hostile requests through the %s',
  (_name, event: (o: HttpEventOptions) => APIGatewayProxyEvent | APIGatewayProxyEventV2) => {
    it.each(HTTP_CASES)(
      'refuses %s with %i %s without calling DigiCert',
      async (_case, options, status, code) => {
        const response = (await handler(event(options), fakeContext())) as HttpResponse;

        expect(response.statusCode).toBe(status);
        expect(JSON.parse(response.body).errors[0].code).toBe(code);
      },
    );
  },
);

describe('hostile HTTP events', () => {
  it('never echoes a request id carrying CRLF into the x-request-id header', async () => {
    const event = httpV2Event({ orderId: 'x' });
    event.requestContext.requestId = `req${CRLF}`;
    const context = fakeContext();

    const response = (await handler(event, context)) as HttpResponse;

    expect(response.statusCode).toBe(400);
    expect(response.headers['x-request-id']).toBe(context.awsRequestId);
  });

  it('refuses a body that is not a string with 400 instead of crashing', async () => {
    const event = { ...httpV2Event(), body: { locale: 'en' } } as unknown as APIGatewayProxyEventV2;

    const response = (await handler(event, fakeContext())) as HttpResponse;

    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body).errors[0].code).toBe('invalid_json');
  });

  it('refuses an event whose method is not a string with 405 instead of crashing', async () => {
    const event = httpV2Event();
    (event.requestContext.http as unknown as Record<string, unknown>).method = 42;

    const response = (await handler(event, fakeContext())) as HttpResponse;

    expect(response.statusCode).toBe(405);
  });

  it('ignores an order id parameter that is not a string and refuses the path that is no order id', async () => {
    const event = {
      ...httpV2Event({ orderId: 'not-a-number' }),
      pathParameters: { order_id: [1, 2] },
    } as unknown as APIGatewayProxyEventV2;

    const response = (await handler(event, fakeContext())) as HttpResponse;

    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body).errors[0].code).toBe('invalid_order_id');
  });
});

/** Direct payloads as Lambda hands them over: parsed from JSON text. */
const DIRECT_CASES: readonly [string, () => unknown][] = [
  ['CRLF in order_id', () => ({ order_id: `1${CRLF}` })],
  [
    'CRLF in domain',
    () => ({ order_id: 1, domain_approval_emails: [{ ...item, domain: `example.com${CRLF}` }] }),
  ],
  [
    'CRLF in email',
    () => ({ order_id: 1, domain_approval_emails: [{ ...item, email: `admin@example.com${CRLF}` }] }),
  ],
  [
    'CRLF in email_domain',
    () => ({ order_id: 1, domain_approval_emails: [{ ...item, email_domain: `example.com${CRLF}` }] }),
  ],
  ['CRLF in locale', () => ({ order_id: 1, locale: `en${CRLF}` })],
  [
    'CRLF in an EventBridge detail-type',
    () => ({ 'detail-type': CRLF, source: CRLF, detail: { order_id: CRLF } }),
  ],
  ['a __proto__ key', () => JSON.parse('{"order_id":1,"__proto__":{"injected":true}}')],
  ['a constructor key', () => JSON.parse('{"order_id":1,"constructor":{"prototype":{"injected":true}}}')],
  ['a prototype key', () => JSON.parse('{"order_id":1,"prototype":{"injected":true}}')],
  ['only a __proto__ key', () => JSON.parse('{"__proto__":{"order_id":1}}')],
  [
    'a __proto__ key in a batch order',
    () => JSON.parse('{"orders":[{"order_id":1,"__proto__":{"injected":true}}]}'),
  ],
  [
    'a __proto__ key in an EventBridge detail',
    () =>
      JSON.parse('{"detail-type":"x","source":"y","detail":{"order_id":1,"__proto__":{"injected":true}}}'),
  ],
  ['10,000 nested arrays as order_id', () => ({ order_id: nestedArrays(10_000) })],
  ['10,000 nested arrays as orders', () => ({ orders: nestedArrays(10_000) })],
  [
    'a 10 MB domain',
    () => ({ order_id: 1, domain_approval_emails: [{ ...item, domain: 'a'.repeat(TEN_MB) }] }),
  ],
  ['a 10 MB order_id string', () => ({ order_id: '1'.repeat(TEN_MB) })],
  [
    'a lone surrogate in domain',
    () => ({ order_id: 1, domain_approval_emails: [{ ...item, domain: '\ud800.com' }] }),
  ],
  ['an order_id beyond 2^53', () => ({ order_id: 2 ** 53 + 2 })],
  ['an order_id of 1e300', () => ({ order_id: 1e300 })],
  ['an order_id string beyond 2^53', () => ({ order_id: BEYOND_2_53 })],
  ['a batch order_id beyond 2^53', () => ({ orders: [{ order_id: 2 ** 53 + 2 }] })],
  [
    'a public suffix as domain',
    () => ({ order_id: 1, domain_approval_emails: [{ domain: 'com.au', email: 'admin@example.com.au' }] }),
  ],
  [
    'invalid punycode in a mailbox',
    () => ({ order_id: 1, domain_approval_emails: [{ domain: 'example.com', email: 'admin@xn--zz.com' }] }),
  ],
];

describe('hostile direct, batch and EventBridge payloads', () => {
  it.each(DIRECT_CASES)(
    'refuses %s with a ValidationError without calling DigiCert',
    async (_case, payload) => {
      const error = await handler(payload(), fakeContext()).catch((e: unknown) => e);

      expect(error).toMatchObject({ name: 'ValidationError' });
    },
  );
});

/** A batch of `orders` orders, each with `items` approval emails breaking two rules apiece. */
function invalidBatch(orders: number, items: number): string {
  const emails = Array.from({ length: items }, () => ({ domain: 'co.uk', email: 'not-an-email-address' }));
  return JSON.stringify({
    orders: Array.from({ length: orders }, (_, i) => ({ order_id: i + 1, domain_approval_emails: emails })),
  });
}

describe('a large invalid request', () => {
  it('keeps a 272 KB invalid batch (the review sent 274 KB) to a small error: the first 50 problems and how many more', async () => {
    const text = invalidBatch(500, 10);
    expect(text.length).toBeGreaterThan(270_000);
    expect(text.length).toBeLessThan(280_000);

    const error = await handler(JSON.parse(text), fakeContext()).catch((e: unknown) => e);

    expect(error).toMatchObject({ name: 'ValidationError' });
    const { message, issues } = error as { message: string; issues: { field: string; message: string }[] };
    expect(issues).toHaveLength(51);
    expect(issues[0]?.field).toBe('orders.0.domain_approval_emails.0.domain');
    expect(issues[0]?.message).toMatch(/public suffix \(co\.uk\)/);
    expect(issues[50]?.message).toBe('and 9950 more problems not listed (only the first 50 are reported)');
    // The direct caller's message is JSON (docs/contract.md §3): the sentence plus the 51 entries.
    expect(message.length).toBeLessThan(16_000);
    for (const line of h.logs) expect(line.length).toBeLessThan(12_000);
  });

  it('answers an HTTP body with hundreds of problems with at most 51 error entries', async () => {
    const emails = Array.from({ length: 100 }, () => ({
      domain: 'xn--zz.com',
      email: 'x',
      email_domain: 'com',
    }));
    const response = (await handler(
      httpV2Event({ body: JSON.stringify({ domain_approval_emails: emails, locale: 'EN' }) }),
      fakeContext(),
    )) as HttpResponse;

    expect(response.statusCode).toBe(400);
    const errors = JSON.parse(response.body).errors as { field?: string; message: string }[];
    expect(errors).toHaveLength(51);
    expect(errors[50]).toEqual({
      code: 'invalid_input',
      message: expect.stringMatching(/^and 151 more problems/),
    });
    expect(response.body.length).toBeLessThan(12_000);
  });
});
