/**
 * Batches of direct or scheduled invocations (docs/contract.md §3): every order's outcome reported,
 * `BatchError` when any failed, and DigiCert's rate limits kept by the container's limiter.
 */
import { describe, expect, it } from 'vitest';
import { DigiCertSimulator } from '../../dev/digicert-simulator.js';
import { loadConfig } from '../../functions/app/config.js';
import { BatchError, UpstreamError, ValidationError } from '../../functions/lib/errors.js';
import type { BatchResult } from '../../functions/resend/batch-result.js';
import { CANARY_KEY, SECRET_NAME } from '../support/harness.js';
import { invoke, rejection, useHarness } from '../support/invocations.js';
import { scaledLimiter } from '../support/limiters.js';
import { maxInAnyWindow } from '../support/windows.js';

const harness = useHarness();

const orders = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) => ({ order_id: from + i }));

describe('batch outcomes', () => {
  it('returns every order as sent when DigiCert accepts them all', async () => {
    const result = await invoke(harness.handler(), { orders: orders(3001, 3) });

    expect(result).toEqual({
      sent: 3,
      failed: 0,
      results: [
        { order_id: 3001, status: 'sent' },
        { order_id: 3002, status: 'sent' },
        { order_id: 3003, status: 'sent' },
      ],
    });
  });

  it('fails with BatchError listing each order of a batch answered 204, 404 and 503', async () => {
    harness.simulator.script(3102, { kind: 'not_found' });
    harness.simulator.script(3103, { kind: 'maintenance' });

    const error = await rejection(invoke(harness.handler(), { orders: orders(3101, 3) }));

    expect(error).toBeInstanceOf(BatchError);
    expect((error as Error).name).toBe('BatchError');
    expect((error as BatchError).summary).toEqual({
      sent: 1,
      failed: 2,
      results: [
        { order_id: 3101, status: 'sent' },
        {
          order_id: 3102,
          status: 'failed',
          error_type: 'DigiCertRequestError',
          code: 'not_found|order',
          message: expect.stringContaining('HTTP 404'),
        },
        {
          order_id: 3103,
          status: 'failed',
          error_type: 'UpstreamError',
          code: 'upstream_unavailable',
          message: expect.stringContaining('HTTP 503'),
        },
      ],
    });
  });

  it('puts the per-order results in the BatchError message as JSON', async () => {
    harness.simulator.script(3202, { kind: 'not_found' });

    const error = (await rejection(invoke(harness.handler(), { orders: orders(3201, 2) }))) as BatchError;

    expect(JSON.parse(error.message)).toEqual(error.summary);
  });

  it('reports the orders in the order they were given, whatever order they finish in', async () => {
    harness.simulator.script(3301, { kind: 'slow', delayMs: 150 });

    const result = (await invoke(harness.handler(), { orders: orders(3301, 4) })) as BatchResult;

    expect(result.results.map((r) => r.order_id)).toEqual([3301, 3302, 3303, 3304]);
  });

  it('stops calling Secrets Manager and DigiCert once the API key secret cannot be read', async () => {
    harness.secrets.deleteSecret(SECRET_NAME);

    const error = (await rejection(invoke(harness.handler(), { orders: orders(3401, 40) }))) as BatchError;

    expect(error.summary.failed).toBe(40);
    expect(
      new Set(error.summary.results.map((r) => (r.status === 'failed' ? r.error_type : r.status))),
    ).toEqual(new Set(['ConfigurationError']));
    expect(harness.secrets.calls.length).toBeLessThan(10);
    expect(harness.simulator.requests).toHaveLength(0);
  });

  it('never puts the API key in a BatchError', async () => {
    harness.simulator.script(3502, { kind: 'forbidden' });
    harness.simulator.script(3503, { kind: 'html_bad_gateway' });

    const error = (await rejection(invoke(harness.handler(), { orders: orders(3501, 3) }))) as BatchError;

    expect(error.message).not.toContain(CANARY_KEY);
    expect(harness.logs.join('\n')).not.toContain(CANARY_KEY);
  });
});

describe('batch limits', () => {
  it('rejects a batch of 501 orders before any DigiCert call', async () => {
    const error = await rejection(invoke(harness.handler(), { orders: orders(4001, 501) }));

    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toContainEqual(
      expect.objectContaining({ field: 'orders', message: 'must list at most 500 orders' }),
    );
    expect(harness.simulator.requests).toHaveLength(0);
  });

  it('rejects an empty batch', async () => {
    const error = await rejection(invoke(harness.handler(), { orders: [] }));

    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues[0]?.field).toBe('orders');
  });

  it('rejects a batch that lists one order twice, even written once as a string', async () => {
    const error = await rejection(
      invoke(harness.handler(), { orders: [{ order_id: 4101 }, { order_id: 4102 }, { order_id: '4101' }] }),
    );

    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toEqual([
      expect.objectContaining({ field: 'orders.2.order_id', code: 'invalid_order_id' }),
    ]);
    expect(harness.simulator.requests).toHaveLength(0);
  });
});

describe('rate limiting', () => {
  it('sends all 500 orders of a batch without exceeding the scaled-down limit in any window', async () => {
    // DigiCert's default "100 per 5 s", with time scaled by 0.1: 100 per 500 ms, which the
    // simulator enforces too (over it, it answers 429).
    const [limit, windowMs] = [100, 500];
    const strict = await DigiCertSimulator.start({
      validKeys: [CANARY_KEY],
      rateLimits: [{ limit, windowMs }],
    });
    try {
      // The limiter the runtime would wire from its configuration, its windows scaled by 0.1 too.
      const limiter = scaledLimiter(loadConfig(harness.env).rateLimits, 0.1);
      const handler = harness.handler({ DIGICERT_BASE_URL: strict.baseUrl }, { limiter });

      const result = (await invoke(handler, { orders: orders(5001, 500) })) as BatchResult;

      expect(result.sent).toBe(500);
      const times = strict.requests.map((r) => r.receivedAt);
      expect(times).toHaveLength(500); // one request per order: DigiCert never answered 429
      expect(new Set(strict.requests.map((r) => r.orderId)).size).toBe(500);
      expect(maxInAnyWindow(times, windowMs)).toBeLessThanOrEqual(limit);
    } finally {
      await strict.close();
    }
  });

  it('fails the orders that cannot get a slot before the deadline with request_limit_exceeded', async () => {
    const handler = harness.handler({ DIGICERT_RATE_LIMIT_PER_5S: '5' });

    const error = (await rejection(invoke(handler, { orders: orders(5601, 8) }, 3_000))) as BatchError;

    expect(error.summary.sent).toBe(5);
    expect(error.summary.results.slice(5)).toEqual(
      orders(5606, 3).map(({ order_id }) =>
        expect.objectContaining({
          order_id,
          status: 'failed',
          error_type: 'UpstreamError',
          code: 'request_limit_exceeded',
        }),
      ),
    );
    expect(harness.simulator.requests).toHaveLength(5);
  });

  it('shares one limiter among the invocations of a container', async () => {
    const handler = harness.handler({ DIGICERT_RATE_LIMIT_PER_5S: '3' });
    await invoke(handler, { orders: orders(5701, 3) });

    const error = await rejection(invoke(handler, { order_id: 5704 }, 3_000));

    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as UpstreamError).code).toBe('request_limit_exceeded');
    expect(harness.simulator.requestsFor(5704)).toHaveLength(0);
  });
});
