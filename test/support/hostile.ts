/**
 * fast-check generators of the events a hostile or careless caller can send to each entry point:
 * mostly near-valid requests (so that some pass and reach DigiCert) with any field swapped for a
 * hostile value: CRLF header injection, prototype-pollution keys, deep nesting, huge strings,
 * numbers beyond 2^53, wrong types, unicode and lone surrogates, invalid UTF-8 in base64 bodies.
 * Objects are built the way `JSON.parse` builds them (a `__proto__` key is an own property), since
 * Lambda hands every payload over parsed from JSON.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';
import fc from 'fast-check';
import { type HttpEventOptions, httpV1Event, httpV2Event } from '../../dev/lambda-events.js';

/** Strings that break headers, logs or parsers when echoed. */
export const INJECTIONS = [
  '\r\nX-Injected: yes',
  '\r\n\r\n<html>injected</html>',
  '%0d%0aSet-Cookie: a=b',
  '\n',
  '\r',
  '\u0000',
  '\u2028',
  '\u0085',
  '\ud800',
  '\udfff',
  '"',
  '\\',
  '\u0024{jndi:ldap://127.0.0.1/a}',
  '<script>',
] as const;

export const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype'] as const;

const TRICKY_STRINGS = [
  ...PROTOTYPE_KEYS,
  'toString',
  'hasOwnProperty',
  '9007199254740993',
  '99999999999999999999',
  '-1',
  '0',
  '00',
  '1e3',
  '0x1F',
  ' 1',
  '1 ',
  '١٢٣',
  'ｅｘａｍｐｌｅ.com',
  'xn--',
  '*.*.example.com',
  'admin@例え.jp',
  'admin@@example.com',
  '"admin"@example.com',
  'com',
  'co.uk',
  '*.co.uk',
  'com.au',
  'xn--zz.com',
  'admin@xn--zz.com',
  'example\u3002com',
  'null',
  '.',
  '',
] as const;

/** `n` nested arrays, built without recursion (`JSON.stringify` can nest a few thousand deep). */
export function nested(depth: number): unknown {
  let value: unknown = [];
  for (let i = 0; i < depth; i += 1) value = [value];
  return value;
}

/** Every UTF-8 byte percent-encoded (`encodeURIComponent` throws on lone surrogates). */
function percentEncode(text: string): string {
  return [...Buffer.from(text, 'utf8')].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('');
}

/** An object with these own properties, as `JSON.parse` would build it (`__proto__` stays a key). */
export function objectFrom(entries: readonly (readonly [string, unknown])[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of entries) {
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

const validOrderId = fc.oneof(
  fc.integer({ min: 1, max: 999_999_999_999 }),
  fc.integer({ min: 1, max: 999_999 }).map(String),
);
const validDomain = fc.constantFrom(
  'example.com',
  'example.co.uk',
  'sub.example.com',
  '*.example.org',
  'bücher.example',
  'a-b.example.net',
);
const validEmail = fc.constantFrom(
  'admin@example.com',
  'webmaster@sub.example.com',
  'hostmaster@example.org',
);
const validLocale = fc.constantFrom('en', 'de', 'pt_BR', 'ja');

/** A string an attacker would put in any field. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        fc.constantFrom('example.com', 'admin@example.com', 'en', '123', ''),
        fc.constantFrom(...INJECTIONS),
        fc.string({ maxLength: 8 }),
      )
      .map(([before, injected, after]) => `${before}${injected}${after}`),
  },
  { weight: 2, arbitrary: fc.constantFrom(...TRICKY_STRINGS) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.integer({ min: 1_000, max: 200_000 }), fc.constantFrom('a', '1', 'é', '\r\n', '.'))
      .map(([n, unit]) => unit.repeat(n)),
  },
);

/** A value of any JSON type, or a hostile one. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostileString },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      2 ** 53,
      2 ** 53 + 2,
      -(2 ** 53) - 2,
      1e21,
      1e300,
      Number.MAX_VALUE,
      -0,
      0.5,
      -1,
      0,
    ),
  },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 2_000 }).map(nested) },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, [], {}) },
);

/** A field: usually a plausible value, sometimes hostile. */
function field<T>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 5, arbitrary: valid }, { weight: 2, arbitrary: hostileValue });
}

const hostileKey = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...PROTOTYPE_KEYS) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'order_id',
      'orders',
      'detail',
      'locale',
      'domain_aproval_emails',
      'email_domain',
    ),
  },
  { weight: 2, arbitrary: hostileString },
);

/** Extra keys: usually none. */
const extraEntries = fc.oneof(
  { weight: 6, arbitrary: fc.constant([] as [string, unknown][]) },
  { weight: 1, arbitrary: fc.array(fc.tuple(hostileKey, hostileValue), { minLength: 1, maxLength: 2 }) },
);

/** Builds an object from optional fields (`undefined` = left out) and extra hostile entries. */
function withExtras(fields: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<Record<string, unknown>> {
  return fc
    .tuple(fields, extraEntries)
    .map(([known, extra]) =>
      objectFrom([...Object.entries(known).filter(([, value]) => value !== undefined), ...extra]),
    );
}

const optional = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined, freq: 3 });

const approvalEmail = withExtras(
  fc.record({
    domain: field(validDomain),
    email: field(validEmail),
    email_domain: optional(
      field(
        fc.constantFrom('example.com', 'sub.example.com', 'example\u3002com', 'co.uk', 'com', 'xn--zz.com'),
      ),
    ),
  }),
);

const bodyFields = {
  domain_approval_emails: optional(
    fc.oneof(
      { weight: 5, arbitrary: fc.array(approvalEmail, { maxLength: 3 }) },
      { weight: 1, arbitrary: hostileValue },
    ),
  ),
  locale: optional(field(validLocale)),
};

/** The HTTP body (docs/contract.md §1 without `order_id`). */
export const resendBody = withExtras(fc.record(bodyFields));

/** A single direct request. */
export const singleRequest = withExtras(
  fc.record({
    order_id: fc.oneof(
      { weight: 8, arbitrary: field(validOrderId) },
      { weight: 1, arbitrary: fc.constant(undefined) },
    ),
    ...bodyFields,
  }),
);

/** A batch: a few orders (large valid batches belong to the batch tests), or a hostile `orders`. */
export const batchRequest = withExtras(
  fc.record({
    orders: fc.oneof(
      { weight: 5, arbitrary: fc.array(singleRequest, { minLength: 1, maxLength: 4 }) },
      { weight: 1, arbitrary: fc.constant([]) },
      { weight: 2, arbitrary: hostileValue },
    ),
  }),
);

/** An EventBridge event envelope around a single, a batch or anything. */
export const eventBridgeEnvelope = withExtras(
  fc.record({
    version: field(fc.constant('0')),
    id: field(fc.uuid()),
    'detail-type': field(fc.constantFrom('Resend DCV emails', 'Scheduled Event')),
    source: field(fc.constantFrom('dcv.resend', 'aws.scheduler')),
    account: optional(hostileString),
    detail: optional(
      fc.oneof(
        { weight: 3, arbitrary: singleRequest },
        { weight: 2, arbitrary: batchRequest },
        { weight: 1, arbitrary: hostileValue },
      ),
    ),
  }),
);

/** Any direct payload, including ones that are not even objects. */
export const directPayload = fc.oneof(
  { weight: 6, arbitrary: singleRequest as fc.Arbitrary<unknown> },
  { weight: 1, arbitrary: hostileValue },
);

const bodyText: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 8, arbitrary: resendBody.map((body) => JSON.stringify(body)) },
  { weight: 1, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.constant('') },
  // A public Go client sends JSON null for "no body".
  { weight: 1, arbitrary: fc.constant('null') },
  { weight: 2, arbitrary: hostileString },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 1, max: 60_000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`),
  },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 1, max: 20_000 })
      .map((n) => `{"locale":${'{"a":'.repeat(n)}1${'}'.repeat(n)}}`),
  },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 100_000, max: 400_000 }).map((n) => `{"locale":"${'a'.repeat(n)}"}`),
  },
);

/** Options for the event factories: path, method, headers and body, each possibly hostile. */
const httpOptions: fc.Arbitrary<HttpEventOptions> = fc
  .record({
    orderId: fc.oneof(
      { weight: 6, arbitrary: validOrderId.map(String) },
      { weight: 2, arbitrary: hostileString.map(percentEncode) },
      { weight: 1, arbitrary: hostileString },
    ),
    method: fc.oneof(
      { weight: 8, arbitrary: fc.constant('PUT') },
      { weight: 1, arbitrary: fc.constantFrom('put', 'GET', 'POST') },
      { weight: 1, arbitrary: hostileString },
    ),
    contentType: fc.oneof(
      { weight: 8, arbitrary: fc.constant('application/json') },
      // No Content-Type header at all (aws-lambda-go and sam samples, many scripts).
      { weight: 1, arbitrary: fc.constant(undefined) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          'application/json; charset=utf-8',
          'application/json; charset=latin1',
          'text/plain',
        ),
      },
      { weight: 2, arbitrary: hostileString },
    ),
    extraHeaders: fc.oneof(
      { weight: 6, arbitrary: fc.constant([] as [string, string][]) },
      { weight: 1, arbitrary: fc.array(fc.tuple(hostileKey, hostileString), { minLength: 1, maxLength: 2 }) },
    ),
    body: bodyText,
    encoding: fc.oneof(
      { weight: 6, arbitrary: fc.constant('text' as const) },
      { weight: 1, arbitrary: fc.constant('base64' as const) },
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }) },
    ),
  })
  .map(({ orderId, method, contentType, extraHeaders, body, encoding }) => {
    const headers = objectFrom([['content-type', contentType], ...extraHeaders]) as Record<string, string>;
    if (encoding instanceof Uint8Array) {
      return {
        orderId,
        method,
        headers,
        body: Buffer.from(encoding).toString('base64'),
        isBase64Encoded: true,
      };
    }
    if (encoding === 'base64' && body !== undefined) {
      return {
        orderId,
        method,
        headers,
        body: Buffer.from(body, 'utf8').toString('base64'),
        isBase64Encoded: true,
      };
    }
    return { orderId, method, headers, body };
  });

type Mutation = (event: Record<string, unknown>) => void;

/** Changes that API Gateway would never make, but a misrouted or forged event can carry. */
const eventMutation: fc.Arbitrary<Mutation | undefined> = fc.oneof(
  { weight: 12, arbitrary: fc.constant(undefined) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.constantFrom('body', 'headers', 'pathParameters', 'isBase64Encoded', 'requestContext'),
        hostileValue,
      )
      .map(
        ([key, value]): Mutation =>
          (event) => {
            event[key] = value;
          },
      ),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.constantFrom('requestId', 'http'), hostileValue).map(
      ([key, value]): Mutation =>
        (event) => {
          const context = event.requestContext as Record<string, unknown>;
          context[key] = value;
        },
    ),
  },
  {
    weight: 1,
    arbitrary: hostileValue.map(
      (value): Mutation =>
        (event) => {
          const context = event.requestContext as Record<string, unknown>;
          if (typeof context.http === 'object' && context.http !== null) {
            (context.http as Record<string, unknown>).method = value;
          } else {
            event.httpMethod = value;
          }
        },
    ),
  },
);

function httpEvent<E>(factory: (options: HttpEventOptions) => E): fc.Arbitrary<E> {
  return fc.tuple(httpOptions, eventMutation).map(([options, mutate]) => {
    const event = factory(options);
    mutate?.(event as unknown as Record<string, unknown>);
    return event;
  });
}

export const httpV2EventArbitrary: fc.Arbitrary<APIGatewayProxyEventV2> = httpEvent(httpV2Event);
export const httpV1EventArbitrary: fc.Arbitrary<APIGatewayProxyEvent> = httpEvent(httpV1Event);
