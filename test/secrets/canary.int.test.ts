/**
 * The API key never appears in a response, a thrown error or a log line, whatever the outcome.
 * The secret holds a recognisable canary; every output of a run of varied requests is searched.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { fakeContext, httpV1Event, httpV2Event } from '../../dev/lambda-events.js';
import { createHandler } from '../../functions/resend-dcv-emails/handler.js';
import { CANARY_KEY, type Harness, startHarness } from '../support/harness.js';

let h: Harness;
const outputs: string[] = [];

beforeAll(async () => {
  h = await startHarness({ secretValue: JSON.stringify({ api_key: CANARY_KEY }) });
});
afterAll(async () => {
  await h.close();
});

function record(value: unknown): void {
  if (value instanceof Error) {
    outputs.push(JSON.stringify({ ...value, name: value.name, message: value.message, stack: value.stack }));
    outputs.push(
      String(value.cause instanceof Error ? `${value.cause.message}\n${value.cause.stack}` : value.cause),
    );
  } else {
    outputs.push(String(JSON.stringify(value)));
  }
}

describe('the canary key', () => {
  it('appears in no response, error, log line or stdout/stderr write across every outcome', async () => {
    const stdout = vi.spyOn(process.stdout, 'write');
    const stderr = vi.spyOn(process.stderr, 'write');
    const handler = h.handler({ DIGICERT_TIMEOUT_MS: '200', LOG_LEVEL: 'debug' });
    const body = JSON.stringify({
      domain_approval_emails: [{ domain: 'example.com', email: 'admin@example.com' }],
    });
    const behaviours = [
      { kind: 'sent' },
      { kind: 'not_found' },
      { kind: 'forbidden' },
      { kind: 'unauthorized' },
      { kind: 'rate_limited' },
      { kind: 'maintenance' },
      { kind: 'html_bad_gateway' },
      { kind: 'reset' },
      { kind: 'truncated_json' },
      { kind: 'slow', delayMs: 1_000 },
      {
        kind: 'custom',
        status: 400,
        body: JSON.stringify({ errors: [{ code: 'echo', message: 'DigiCert echoed nothing secret' }] }),
      },
      { kind: 'echo_key' },
      { kind: 'echo_key', status: 403 },
    ] as const;
    for (const [index, behaviour] of behaviours.entries()) {
      const orderId = 1000 + index;
      h.simulator.script(orderId, behaviour);
      record(await handler(httpV2Event({ orderId: String(orderId), body }), fakeContext()));
      record(await handler(httpV1Event({ orderId: String(orderId), body }), fakeContext()));
      record(
        await handler({ order_id: orderId }, fakeContext()).catch((error: unknown) => {
          record(error);
          return undefined;
        }),
      );
    }
    record(
      await handler(
        { orders: [{ order_id: 1000 }, { order_id: 1001 }, { order_id: 1003 }] },
        fakeContext(),
      ).catch((error: unknown) => error),
    );
    // The sweep reads and resends the same scripted orders: its answers, logs and metrics too.
    h.simulator.addOrders(
      behaviours.map((_, index) => ({
        id: 1000 + index,
        status: 'pending',
        dnsNames: ['example.com'],
        dcvMethod: 'email' as const,
        createdAt: Date.now() - 48 * 3_600_000,
      })),
    );
    const sweeper = h.handler({ DIGICERT_TIMEOUT_MS: '200', LOG_LEVEL: 'debug', DCV_SWEEP_POLICY: 'resend' });
    record(await sweeper({ action: 'sweep', dry_run: true }, fakeContext()).catch((error: unknown) => error));
    record(await sweeper({ action: 'sweep' }, fakeContext()).catch((error: unknown) => error));
    // A configuration failure and an internal failure too.
    record(
      await createHandler(() => h.runtime({ DIGICERT_TIMEOUT_MS: 'x' }))(
        httpV2Event({ body }),
        fakeContext(),
      ),
    );

    for (const call of [...stdout.mock.calls, ...stderr.mock.calls]) outputs.push(String(call[0]));
    stdout.mockRestore();
    stderr.mockRestore();
    outputs.push(...h.logs);

    expect(h.simulator.requests.length).toBeGreaterThan(20);
    expect(h.simulator.requests.every((r) => r.headers['x-dc-devkey'] === CANARY_KEY)).toBe(true);
    expect(h.logs.length).toBeGreaterThan(10);
    const leaks = outputs.filter((line) => line.includes(CANARY_KEY));
    expect(leaks).toEqual([]);
  });

  it('is redacted where DigiCert (or a proxy) echoes it in a 4xx body: HTTP body, thrown error and logs', async () => {
    h.reset();
    const stdout = vi.spyOn(process.stdout, 'write');
    const stderr = vi.spyOn(process.stderr, 'write');
    const seen: string[] = [];
    const handler = h.handler();
    h.simulator.script(2000, { kind: 'echo_key' });
    const http = await handler(httpV2Event({ orderId: '2000' }), fakeContext());
    const direct = await handler({ order_id: 2000 }, fakeContext()).catch((error: unknown) => error);
    const batch = await handler({ orders: [{ order_id: 2000 }] }, fakeContext()).catch(
      (error: unknown) => error,
    );
    seen.push(JSON.stringify(http));
    for (const error of [direct, batch]) {
      expect(error).toBeInstanceOf(Error);
      if (error instanceof Error)
        seen.push(JSON.stringify({ ...error, message: error.message, stack: error.stack }));
    }
    for (const call of [...stdout.mock.calls, ...stderr.mock.calls]) seen.push(String(call[0]));
    stdout.mockRestore();
    stderr.mockRestore();
    seen.push(...h.logs);

    // The echo did reach the function (so it would have leaked): the simulator saw the key, and
    // DigiCert's code and message come back with the key redacted and the unknown fields gone.
    expect(h.simulator.requestsFor(2000)[0]?.headers['x-dc-devkey']).toBe(CANARY_KEY);
    expect('statusCode' in (http as object) && JSON.parse((http as { body: string }).body)).toEqual({
      errors: [
        {
          code: 'invalid_key|[REDACTED]',
          message: 'The key [REDACTED] is not allowed for this order',
        },
      ],
    });
    expect((direct as Error).name).toBe('DigiCertRequestError');
    expect((direct as Error).message).toContain('[REDACTED]');
    expect(h.logs.some((line) => line.includes('invalid_key|[REDACTED]'))).toBe(true);
    expect(seen.filter((line) => line.includes(CANARY_KEY))).toEqual([]);
  });
});
