/**
 * What operators see: the log lines and EMF documents a real handler writes for HTTP requests,
 * batches and EventBridge events, against the DigiCert simulator and the Secrets Manager stand-in.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeContext, httpV2Event } from '../../dev/lambda-events.js';
import { createRuntime } from '../../functions/app/runtime.js';
import { createLogger } from '../../functions/observability/logger.js';
import { createHandler } from '../../functions/resend-dcv-emails/handler.js';
import { emfDocuments, emfProblems, logRecords } from '../support/emf.js';
import { CANARY_KEY, type Harness, startHarness } from '../support/harness.js';

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness();
});

afterAll(async () => {
  await harness.close();
});

beforeEach(() => {
  harness.reset();
  harness.simulator.setValidKeys([CANARY_KEY]);
});

afterEach(() => {
  vi.restoreAllMocks();
});

const orderLines = () =>
  logRecords(harness.logs).filter((r) => r.message === 'order sent' || r.message === 'order failed');

describe('an HTTP request', () => {
  it('writes one "order sent" line with the request ids, order id and outcome', async () => {
    const handler = harness.handler();
    const context = fakeContext();
    const event = httpV2Event({ orderId: '1001', body: JSON.stringify({ locale: 'en' }) });

    const response = await handler(event, context);

    expect(response).toMatchObject({ statusCode: 204 });
    expect(orderLines()).toEqual([
      expect.objectContaining({
        level: 'INFO',
        message: 'order sent',
        requestId: context.awsRequestId,
        correlationId: event.requestContext.requestId,
        source: 'http',
        orderId: 1001,
        outcome: 'sent',
        attempts: 1,
        httpStatus: 204,
      }),
    ]);
  });

  it('writes one valid EMF document with the invocation counts', async () => {
    const handler = harness.handler();
    const context = fakeContext();
    const event = httpV2Event({ orderId: '1002' });

    await handler(event, context);

    const documents = emfDocuments(harness.logs);
    expect(documents).toHaveLength(1);
    expect(emfProblems(documents[0])).toEqual([]);
    expect(documents[0]).toMatchObject({
      Service: 'dcv-resend',
      OrdersSent: 1,
      OrdersFailed: 0,
      DigiCertAttempts: 1,
      DigiCertRetries: 0,
      SecretCacheMisses: 1,
      ColdStart: 1,
      requestId: context.awsRequestId,
      correlationId: event.requestContext.requestId,
      orderId: 1002,
      level: 'INFO',
    });
  });

  it('reports neither a cold start nor a secret read on the next invocation of the container', async () => {
    const handler = harness.handler();
    await handler(httpV2Event({ orderId: '1003' }), fakeContext());
    harness.reset();

    await handler(httpV2Event({ orderId: '1003' }), fakeContext());

    expect(emfDocuments(harness.logs)).toEqual([
      expect.objectContaining({ ColdStart: 0, SecretCacheMisses: 0 }),
    ]);
  });

  it('counts retries and names the failure when DigiCert stays unavailable', async () => {
    harness.simulator.script(1004, { kind: 'maintenance' });
    const handler = harness.handler();

    const response = await handler(httpV2Event({ orderId: '1004' }), fakeContext());

    expect(response).toMatchObject({ statusCode: 502 });
    expect(orderLines()).toEqual([
      expect.objectContaining({
        level: 'WARN',
        outcome: 'failed',
        orderId: 1004,
        errorType: 'UpstreamError',
        errorCode: 'upstream_unavailable',
        httpStatus: 502,
        attempts: 4,
      }),
    ]);
    expect(emfDocuments(harness.logs)).toEqual([
      expect.objectContaining({
        OrdersFailed: 1,
        OrdersFailed_UpstreamError_upstream_unavailable: 1,
        DigiCertAttempts: 4,
        DigiCertRetries: 3,
      }),
    ]);
  });

  it("carries DigiCert's status and codes when DigiCert rejects the order", async () => {
    harness.simulator.script(1006, { kind: 'not_found' });
    const handler = harness.handler();

    await handler(httpV2Event({ orderId: '1006' }), fakeContext());

    expect(orderLines()).toEqual([
      expect.objectContaining({
        level: 'WARN',
        errorType: 'DigiCertRequestError',
        errorCode: 'not_found|order',
        digicertStatus: 404,
        httpStatus: 404,
      }),
    ]);
  });

  it.each([
    ['an unknown route', { path: '/order/certificate/1007/reissue' }, 404],
    ['another method', { orderId: '1007', method: 'POST' }, 405],
    ['a body over 128 KiB', { orderId: '1007', body: `{"locale":"${'x'.repeat(130 * 1024)}"}` }, 413],
    ['a present non-JSON content type', { orderId: '1007', headers: { 'content-type': 'text/plain' } }, 415],
  ] as const)(
    'logs no digicertStatus when the HTTP layer refused %s before DigiCert was called',
    async (_name, options, status) => {
      const handler = harness.handler();

      await handler(httpV2Event({ body: '{}', ...options }), fakeContext());

      const lines = orderLines();
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ outcome: 'failed', httpStatus: status });
      expect(lines[0]).not.toHaveProperty('digicertStatus');
      expect(harness.simulator.requests).toHaveLength(0);
    },
  );

  it('counts a rejected body as a validation failure without a DigiCert call', async () => {
    const handler = harness.handler();

    await handler(httpV2Event({ orderId: '1005', body: '{"locale":"english"}' }), fakeContext());

    expect(orderLines()).toEqual([
      expect.objectContaining({
        outcome: 'failed',
        orderId: 1005,
        errorType: 'ValidationError',
        httpStatus: 400,
      }),
    ]);
    expect(emfDocuments(harness.logs)).toEqual([
      expect.objectContaining({ OrdersFailed_ValidationError: 1, DigiCertAttempts: 0 }),
    ]);
  });
});

describe('a batch', () => {
  it('writes one line per order, then a summary line', async () => {
    harness.simulator.script(2002, { kind: 'not_found' });
    const handler = harness.handler();
    const context = fakeContext();

    await expect(
      handler({ orders: [{ order_id: 2001 }, { order_id: 2002 }, { order_id: 2003 }] }, context),
    ).rejects.toMatchObject({ name: 'BatchError' });

    const records = logRecords(harness.logs).filter((r) => r.level !== 'DEBUG');
    expect(records).toEqual([
      expect.objectContaining({ message: 'order sent', orderId: 2001, requestId: context.awsRequestId }),
      expect.objectContaining({
        message: 'order failed',
        level: 'WARN',
        orderId: 2002,
        errorType: 'DigiCertRequestError',
        errorCode: 'not_found|order',
      }),
      expect.objectContaining({ message: 'order sent', orderId: 2003 }),
      expect.objectContaining({ message: 'batch finished', level: 'WARN', sent: 2, failed: 1 }),
    ]);
  });

  it('writes one valid EMF document for the whole batch', async () => {
    harness.simulator.script(2102, { kind: 'not_found' });
    const handler = harness.handler();

    await handler(
      { orders: [{ order_id: 2101 }, { order_id: 2102 }, { order_id: 2103 }] },
      fakeContext(),
    ).catch(() => undefined);

    const documents = emfDocuments(harness.logs);
    expect(documents).toHaveLength(1);
    expect(emfProblems(documents[0])).toEqual([]);
    expect(documents[0]).toMatchObject({
      OrdersSent: 2,
      OrdersFailed: 1,
      OrdersFailed_DigiCertRequestError: 1,
      DigiCertAttempts: 3,
      orderCount: 3,
      source: 'direct',
    });
  });
});

describe('a log sink that fails', () => {
  it('does not turn a sent order into an error response', async () => {
    const runtime = harness.runtime(
      {},
      {
        logger: createLogger({
          write: () => {
            throw new Error('EPIPE');
          },
        }),
      },
    );
    const handler = createHandler(() => runtime);

    const response = await handler(httpV2Event({ orderId: '6001' }), fakeContext());

    expect(response).toMatchObject({ statusCode: 204 });
  });
});

describe('an EventBridge event', () => {
  it("uses the event's id as the correlation id", async () => {
    const handler = harness.handler();

    await handler(
      { version: '0', id: 'evt-42', 'detail-type': 'Resend DCV', source: 'app', detail: { order_id: 3001 } },
      fakeContext(),
    );

    expect(orderLines()).toEqual([
      expect.objectContaining({ correlationId: 'evt-42', source: 'eventbridge', orderId: 3001 }),
    ]);
    expect(emfDocuments(harness.logs)).toEqual([expect.objectContaining({ correlationId: 'evt-42' })]);
  });
});

describe('an invalid environment', () => {
  it('still writes the failure line and an EMF document, to stdout', async () => {
    const written: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const handler = createHandler(() => createRuntime({}));

    await expect(handler({ order_id: 4001 }, fakeContext())).rejects.toMatchObject({
      name: 'ConfigurationError',
    });

    const lines = written.join('').trim().split('\n');
    expect(logRecords(lines)).toEqual([
      expect.objectContaining({ level: 'ERROR', outcome: 'failed', errorType: 'ConfigurationError' }),
    ]);
    expect(emfDocuments(lines)).toEqual([
      expect.objectContaining({ OrdersFailed_ConfigurationError_secret_unavailable: 1 }),
    ]);
  });
});

describe('the API key', () => {
  it('never appears in any log line or EMF document, on any path', async () => {
    harness.simulator.script(5002, { kind: 'maintenance' }, { kind: 'sent' });
    harness.simulator.script(5003, { kind: 'forbidden' });
    const handler = harness.handler();

    await handler(httpV2Event({ orderId: '5001' }), fakeContext());
    await handler(httpV2Event({ orderId: '5002' }), fakeContext());
    await handler(httpV2Event({ orderId: '5003' }), fakeContext());
    await handler({ orders: [{ order_id: 5004 }, { order_id: 5005, locale: 'x' }] }, fakeContext()).catch(
      () => undefined,
    );
    await handler({ orders: [{ order_id: 5006 }, { order_id: 5007 }] }, fakeContext());
    harness.simulator.setValidKeys(['a-rotated-key-the-secret-does-not-hold']);
    await handler(httpV2Event({ orderId: '5008' }), fakeContext());

    expect(harness.logs.length).toBeGreaterThan(10);
    for (const line of harness.logs) {
      expect(line).not.toContain(CANARY_KEY);
      // The redactor is the second line of defence: nothing should even have tried.
      expect(line).not.toContain('[REDACTED]');
    }
  });
});
