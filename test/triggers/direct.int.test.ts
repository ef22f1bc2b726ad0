/**
 * One handler, every caller (docs/contract.md §3): API Gateway events, direct payloads, EventBridge
 * Scheduler inputs and EventBridge event envelopes, run against the DigiCert simulator and the
 * Secrets Manager stand-in through the real adapters.
 */
import { describe, expect, it } from 'vitest';
import { httpV1Event, httpV2Event } from '../../dev/lambda-events.js';
import {
  ConfigurationError,
  DigiCertRequestError,
  UpstreamError,
  ValidationError,
} from '../../functions/lib/errors.js';
import { createHandler } from '../../functions/resend-dcv-emails/handler.js';
import { CANARY_KEY, SECRET_NAME } from '../support/harness.js';
import { invoke, rejection, useHarness } from '../support/invocations.js';

const harness = useHarness();

/** What EventBridge delivers for `PutEvents` on a custom bus. */
function eventBridgeEvent(detail: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: '0',
    id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
    'detail-type': 'DCV resend requested',
    source: 'com.example.certificates',
    account: '123456789012',
    time: '2026-11-29T16:00:00Z',
    region: 'us-east-1',
    resources: [],
    detail,
    ...extra,
  };
}

/** What an EventBridge rule with a schedule expression delivers when the target has no input. */
const scheduledRuleEvent = {
  version: '0',
  id: '89d1a02d-5ec7-412e-82f5-13505f849b41',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '123456789012',
  time: '2026-11-29T16:00:00Z',
  region: 'us-east-1',
  resources: ['arn:aws:events:us-east-1:123456789012:rule/nightly-dcv-resend'],
  detail: {},
};

const approval = { domain: 'shop.example.com', email: 'admin@example.com', email_domain: 'example.com' };

/** The JSON object a direct caller finds in Lambda's `errorMessage`. */
function detailOf(error: unknown): Record<string, unknown> {
  return JSON.parse((error as Error).message) as Record<string, unknown>;
}

describe('event recognition', () => {
  it('answers an API Gateway HTTP API (2.0) event with 204', async () => {
    const result = await invoke(harness.handler(), httpV2Event({ orderId: '1001' }));

    expect(result).toMatchObject({ statusCode: 204 });
    expect(harness.simulator.requestsFor(1001)).toHaveLength(1);
  });

  it('answers an API Gateway REST API (1.0) proxy event with 204', async () => {
    const result = await invoke(harness.handler(), httpV1Event({ orderId: '1002' }));

    expect(result).toMatchObject({ statusCode: 204 });
    expect(harness.simulator.requestsFor(1002)).toHaveLength(1);
  });

  it('returns the sent result for a plain direct payload', async () => {
    const result = await invoke(harness.handler(), {
      order_id: 1003,
      domain_approval_emails: [approval],
      locale: 'en',
    });

    expect(result).toEqual({ order_id: 1003, status: 'sent' });
    expect(harness.simulator.requestsFor(1003)[0]?.body).toEqual({
      domain_approval_emails: [approval],
      locale: 'en',
    });
  });

  it('normalises an order id given as a digit string', async () => {
    const result = await invoke(harness.handler(), { order_id: '1004' });

    expect(result).toEqual({ order_id: 1004, status: 'sent' });
  });

  it('runs an EventBridge Scheduler target input, which is the payload itself', async () => {
    // The schedule's `Target.Input`, exactly as written in the schedule.
    const schedulerInput = JSON.parse('{"order_id": 1005, "locale": "en"}') as unknown;

    const result = await invoke(harness.handler(), schedulerInput);

    expect(result).toEqual({ order_id: 1005, status: 'sent' });
  });

  it('runs the detail of an EventBridge event envelope', async () => {
    const result = await invoke(harness.handler(), eventBridgeEvent({ order_id: 1006 }));

    expect(result).toEqual({ order_id: 1006, status: 'sent' });
    expect(harness.simulator.requestsFor(1006)).toHaveLength(1);
  });

  it('runs a batch carried in the detail of an EventBridge event envelope', async () => {
    const result = await invoke(
      harness.handler(),
      eventBridgeEvent({ orders: [{ order_id: 1007 }, { order_id: 1008, locale: 'de' }] }),
    );

    expect(result).toEqual({
      sent: 2,
      failed: 0,
      results: [
        { order_id: 1007, status: 'sent' },
        { order_id: 1008, status: 'sent' },
      ],
    });
  });

  it('tells a scheduled rule without target input to put the payload in the input', async () => {
    const error = await rejection(invoke(harness.handler(), scheduledRuleEvent));

    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues[0]?.field).toBe('detail');
    expect(detailOf(error).message).toMatch(/set the target's input to the payload/);
  });

  it.each([
    ['null', null],
    ['a string', 'order 123'],
    ['a number', 123],
    ['an array of orders', [{ order_id: 123 }]],
    ['an empty object', {}],
    ['an SQS event', { Records: [{ messageId: '1', body: '{"order_id":123}' }] }],
  ])('rejects %s with a ValidationError listing the accepted shapes', async (_name, event) => {
    const error = await rejection(invoke(harness.handler(), event));

    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).name).toBe('ValidationError');
    expect(detailOf(error).message).toContain('a batch {"orders": [...]}');
    expect(harness.simulator.requests).toHaveLength(0);
  });
});

describe('almost-right events', () => {
  it.each([
    ['an envelope without detail', eventBridgeEvent(undefined, { detail: undefined }), 'detail'],
    ['an envelope whose detail is a string', eventBridgeEvent('{"order_id":1}'), 'detail'],
    ['orders given as an object', { orders: { order_id: 123 } }, 'orders'],
    ['order_id 0', { order_id: 0 }, 'order_id'],
    ['order_id -1', { order_id: -1 }, 'order_id'],
    ['order_id "1e3"', { order_id: '1e3' }, 'order_id'],
    ['order_id "12a"', { order_id: '12a' }, 'order_id'],
    ['order_id of 13 digits', { order_id: 1_234_567_890_123 }, 'order_id'],
    ['order_id of 13 digits as a string', { order_id: '1234567890123' }, 'order_id'],
    ['order_id 1.5', { order_id: 1.5 }, 'order_id'],
    ['a bad order inside a batch', { orders: [{ order_id: 1 }, { order_id: '12a' }] }, 'orders.1.order_id'],
    ['a bad order inside an envelope', eventBridgeEvent({ order_id: -1 }), 'detail.order_id'],
    ['a misspelt field', { order_id: 1, domain_aproval_emails: [approval] }, 'domain_aproval_emails'],
    ['a batch with a stray top-level field', { orders: [{ order_id: 1 }], locale: 'en' }, 'locale'],
  ])(
    'rejects %s with a ValidationError naming the place, before any DigiCert call',
    async (_name, event, field) => {
      const error = await rejection(invoke(harness.handler(), event));

      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).issues.map((i) => i.field)).toContain(field);
      expect(harness.simulator.requests).toHaveLength(0);
    },
  );

  it('reports a bad order id with the invalid_order_id code', async () => {
    const error = await rejection(invoke(harness.handler(), { order_id: '12a' }));

    expect((error as ValidationError).issues).toEqual([
      { field: 'order_id', code: 'invalid_order_id', message: expect.stringMatching(/positive integer/) },
    ]);
  });

  it('goes on serving on the same handler after rejecting bad events', async () => {
    const handler = harness.handler();
    const bad = [
      null,
      {},
      { orders: {} },
      { order_id: 0 },
      eventBridgeEvent(undefined, { detail: undefined }),
    ];
    for (const event of bad) await rejection(invoke(handler, event));

    const result = await invoke(handler, { order_id: 1009 });

    expect(result).toEqual({ order_id: 1009, status: 'sent' });
  });
});

describe('single-order failures', () => {
  it('throws DigiCertRequestError with DigiCert’s code when the order does not exist', async () => {
    harness.simulator.script(2001, { kind: 'not_found' });

    const error = await rejection(invoke(harness.handler(), { order_id: 2001 }));

    expect(error).toBeInstanceOf(DigiCertRequestError);
    expect((error as Error).name).toBe('DigiCertRequestError');
    expect((error as Error).message).toContain('not_found|order');
  });

  it('throws UpstreamError after the retries when DigiCert stays in maintenance', async () => {
    harness.simulator.script(2002, { kind: 'maintenance' });

    const error = await rejection(invoke(harness.handler(), { order_id: 2002 }));

    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as UpstreamError).code).toBe('upstream_unavailable');
  });

  it('throws ConfigurationError when DigiCert rejects the configured key', async () => {
    harness.secrets.setSecret(SECRET_NAME, 'a-revoked-key-0123456789');

    const error = await rejection(invoke(harness.handler(), { order_id: 2003 }));

    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).code).toBe('upstream_auth_failed');
  });

  it('throws ConfigurationError naming the variable when the environment is invalid', async () => {
    // As in Lambda, the runtime is built on first use, inside the invocation.
    const handler = createHandler(() =>
      harness.runtime({ DIGICERT_BASE_URL: 'http://digicert.example.com/services/v2' }),
    );

    const error = await rejection(invoke(handler, { order_id: 2004 }));

    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toContain('DIGICERT_BASE_URL');
  });

  it('never puts the API key in a thrown error or a log line', async () => {
    harness.simulator.script(2005, { kind: 'forbidden' });
    harness.simulator.script(2006, { kind: 'maintenance' });
    const handler = harness.handler();

    const errors = [
      await rejection(invoke(handler, { order_id: 2005 })),
      await rejection(invoke(handler, { order_id: 2006 })),
    ];

    for (const error of errors)
      expect(JSON.stringify({ m: (error as Error).message })).not.toContain(CANARY_KEY);
    expect(harness.logs.join('\n')).not.toContain(CANARY_KEY);
  });
});

describe('error messages for direct callers', () => {
  it.each([
    [
      'ValidationError',
      () => undefined,
      { order_id: 0 },
      {
        message: 'Invalid request: order_id: must be a positive integer of at most 12 digits',
        code: 'invalid_order_id',
        status: 400,
        errors: [
          {
            field: 'order_id',
            code: 'invalid_order_id',
            message: 'must be a positive integer of at most 12 digits',
          },
        ],
      },
    ],
    [
      'DigiCertRequestError',
      () => harness.simulator.script(2101, { kind: 'not_found' }),
      { order_id: 2101 },
      {
        message: expect.stringMatching(/^DigiCert rejected the request with HTTP 404 \(not_found\|order\)/),
        code: 'not_found|order',
        status: 404,
        errors: [expect.objectContaining({ code: 'not_found|order' })],
      },
    ],
    [
      'UpstreamError',
      () => harness.simulator.script(2102, { kind: 'maintenance' }),
      { order_id: 2102 },
      {
        message: expect.stringMatching(/for order 2102 after 4 attempts$/),
        code: 'upstream_unavailable',
        status: 502,
        attempts: 4,
      },
    ],
    [
      'ConfigurationError',
      () => harness.secrets.setSecret(SECRET_NAME, 'a-revoked-key-0123456789'),
      { order_id: 2103 },
      {
        message: expect.stringContaining('DigiCert rejected the API key (HTTP 401)'),
        code: 'upstream_auth_failed',
        status: 502,
      },
    ],
  ])('throws %s with a JSON message carrying its code and status', async (name, arrange, event, detail) => {
    arrange();

    const error = await rejection(invoke(harness.handler(), event));

    expect((error as Error).name).toBe(name);
    expect(detailOf(error)).toEqual(detail);
  });

  it('gives the retry hint of an UpstreamError as retry_after', async () => {
    const handler = harness.handler({ DIGICERT_RATE_LIMIT_PER_5S: '1' });
    await invoke(handler, { order_id: 2104 });

    const error = await rejection(invoke(handler, { order_id: 2105 }, 3_000));

    expect(detailOf(error)).toEqual(
      expect.objectContaining({ code: 'request_limit_exceeded', status: 429, retry_after: 5 }),
    );
  });

  it('keeps the sentence in log lines and batch results', async () => {
    harness.simulator.script(2106, { kind: 'not_found' });
    const handler = harness.handler();

    await rejection(invoke(handler, { order_id: 2106 }));
    const batch = await rejection(invoke(handler, { orders: [{ order_id: 2106 }] }));

    const lines = harness.logs.map(
      (line) => JSON.parse(line) as { message?: string; error?: { message?: string } },
    );
    const failures = lines.filter((line) => line.message === 'order failed');
    expect(failures).toHaveLength(2);
    for (const line of failures) expect(line.error?.message).toMatch(/^DigiCert rejected the request/);
    expect(detailOf(batch)).toEqual(
      expect.objectContaining({
        results: [
          expect.objectContaining({ message: expect.stringMatching(/^DigiCert rejected the request/) }),
        ],
      }),
    );
  });
});
