import { describe, expect, it } from 'vitest';
import { fakeContext } from '../../dev/lambda-events.js';
import { createRuntime } from '../../functions/app/runtime.js';
import {
  ConfigurationError,
  DigiCertRequestError,
  UpstreamError,
  ValidationError,
} from '../../functions/lib/errors.js';
import { createLogger } from '../../functions/observability/logger.js';
import type { FailureQueue, FailureRecord } from '../../functions/resend/ports.js';
import type { ResendUseCase } from '../../functions/resend/use-case.js';
import { createHandler } from '../../functions/resend-dcv-emails/handler.js';
import {
  type ConsumeOptions,
  consumeMessages,
  isSqsEvent,
  parseQueuedPayload,
  type QueueMessage,
  withoutIdempotency,
} from '../../functions/triggers/sqs.js';
import { memoryStore } from '../support/idempotency.js';
import { unlimited } from '../support/limiters.js';

class RecordingQueue implements FailureQueue {
  readonly records: FailureRecord[] = [];
  failing = false;
  write(records: readonly FailureRecord[]): Promise<void> {
    if (this.failing) return Promise.reject(new Error('SQS is unavailable'));
    this.records.push(...records);
    return Promise.resolve();
  }
}

const sent: ResendUseCase = async (request) => ({ orderId: request.order_id, attempts: 1 });

function message(body: unknown, messageId = 'm-1'): QueueMessage {
  return { messageId, body: typeof body === 'string' ? body : JSON.stringify(body), receiveCount: 1 };
}

function options(overrides: Partial<ConsumeOptions> & { resend?: ResendUseCase } = {}): ConsumeOptions & {
  failureQueue: RecordingQueue;
} {
  const { resend = sent, ...rest } = overrides;
  return {
    deadline: Date.now() + 60_000,
    now: Date.now,
    failureQueue: new RecordingQueue(),
    resend,
    wrapDelivery: withoutIdempotency,
    observe: () => ({
      run: (work) => work(),
      onResult: () => undefined,
      onUnreadable: () => undefined,
      finished: () => undefined,
    }),
    ...rest,
  } as ConsumeOptions & { failureQueue: RecordingQueue };
}

/** Fails the orders in `outcomes` with the given error; sends the others. */
function answering(outcomes: Record<number, Error>): ResendUseCase {
  return async (request) => {
    const error = outcomes[request.order_id];
    if (error) throw error;
    return { orderId: request.order_id, attempts: 1 };
  };
}

describe('recognising SQS events', () => {
  it('recognises records whose eventSource is aws:sqs, and nothing else', () => {
    expect(isSqsEvent({ Records: [{ eventSource: 'aws:sqs', messageId: 'a', body: '{}' }] })).toBe(true);
    expect(isSqsEvent({ Records: [] })).toBe(false);
    expect(isSqsEvent({ Records: [{ eventSource: 'aws:s3' }] })).toBe(false);
    expect(isSqsEvent({ orders: [{ order_id: 1 }] })).toBe(false);
  });
});

describe('reading a message body', () => {
  it('takes a top-level idempotency_key as the delivery name and parses the rest as a direct payload', () => {
    const payload = parseQueuedPayload(
      JSON.stringify({ idempotency_key: 'run-2026-12-01', orders: [{ order_id: 7 }] }),
    );

    expect(payload).toMatchObject({
      kind: 'batch',
      idempotencyKey: 'run-2026-12-01',
      orders: [{ order_id: 7 }],
    });
  });

  it.each([
    ['an empty key', ''],
    ['a key with a space', 'has space'],
    ['a key of 256 characters', 'k'.repeat(256)],
    ['a number', 12],
  ])('refuses %s as idempotency_key', (_, key) => {
    expect(() => parseQueuedPayload(JSON.stringify({ idempotency_key: key, order_id: 1 }))).toThrow(
      /idempotency_key: must be 1 to 255 visible ASCII characters/,
    );
  });

  it('refuses a message of 101 orders, naming the limit', () => {
    const body = JSON.stringify({ orders: Array.from({ length: 101 }, (_, i) => ({ order_id: i + 1 })) });

    expect(() => parseQueuedPayload(body)).toThrow(/orders: has 101 orders; .* at most 100/);
  });

  it('refuses a body that is not JSON with invalid_json', () => {
    expect(() => parseQueuedPayload('not json')).toThrow(ValidationError);
  });
});

describe('consuming messages', () => {
  it('deletes a message whose orders were all sent', async () => {
    const opts = options();

    const answer = await consumeMessages([message({ orders: [{ order_id: 1 }, { order_id: 2 }] })], opts);

    expect(answer).toEqual({ batchItemFailures: [] });
    expect(opts.failureQueue.records).toEqual([]);
  });

  it('writes a refused order to the failure queue with its reason and does not retry the message', async () => {
    const refusal = new DigiCertRequestError(403, [{ code: 'access_denied', message: 'Forbidden' }]);
    const opts = options({ resend: answering({ 2: refusal }) });

    const answer = await consumeMessages([message({ orders: [{ order_id: 1 }, { order_id: 2 }] })], opts);

    expect(answer.batchItemFailures).toEqual([]);
    expect(opts.failureQueue.records).toEqual([
      expect.objectContaining({
        kind: 'order',
        orderId: 2,
        order: { order_id: 2 },
        messageId: 'm-1',
        deliveryId: 'm-1',
        errorType: 'DigiCertRequestError',
        code: 'access_denied',
        status: 403,
      }),
    ]);
  });

  it.each([
    ['DigiCert stayed unavailable', new UpstreamError('upstream_unavailable', 'DigiCert answered 503')],
    ['the secret could not be read', new ConfigurationError('secret_unavailable', 'no secret')],
    ['an unexpected error', new TypeError('bug')],
  ])('returns the message when %s, and records nothing for that order', async (_, error) => {
    const opts = options({ resend: answering({ 1: error }) });

    const answer = await consumeMessages([message({ order_id: 1 }, 'm-9')], opts);

    expect(answer).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-9' }] });
    expect(opts.failureQueue.records).toEqual([]);
  });

  it('returns the message when its refusals cannot be written to the failure queue', async () => {
    const opts = options({
      resend: answering({ 1: new DigiCertRequestError(400, [{ code: 'x', message: 'y' }]) }),
    });
    opts.failureQueue.failing = true;

    const answer = await consumeMessages([message({ order_id: 1 })], opts);

    expect(answer).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-1' }] });
  });

  it('returns a message not started before the deadline without calling DigiCert', async () => {
    let calls = 0;
    const opts = options({
      deadline: Date.now() - 1,
      resend: async (request) => {
        calls += 1;
        return { orderId: request.order_id, attempts: 1 };
      },
    });

    const answer = await consumeMessages(
      [message({ order_id: 1 }, 'a'), message({ order_id: 2 }, 'b')],
      opts,
    );

    expect(answer.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['a', 'b']);
    expect(calls).toBe(0);
  });

  it('names the delivery by idempotency_key, else by the message id', async () => {
    const seen: string[] = [];
    const opts = options({
      wrapDelivery: async (_payload, deliveryId, resend) => {
        seen.push(deliveryId);
        return resend;
      },
    });

    await consumeMessages(
      [message({ order_id: 1, idempotency_key: 'named' }, 'a'), message({ order_id: 2 }, 'b')],
      opts,
    );

    expect(seen.sort()).toEqual(['b', 'named']);
  });

  it('writes a refusal answered from the record on a redelivery only when its failure record was not written before', async () => {
    const replayed = new DigiCertRequestError(403, [{ code: 'access_denied', message: 'Forbidden' }]);
    // A delivery that already knows order 1's outcome answers it without running the use case.
    const opts = options({
      failureRecords: memoryStore(),
      wrapDelivery: async (_payload, _id, resend) => async (request, resendOptions) => {
        if (request.order_id === 1) throw replayed;
        return resend(request, resendOptions);
      },
    });
    const body = { idempotency_key: 'delivery-1', orders: [{ order_id: 1 }, { order_id: 2 }] };
    opts.failureQueue.failing = true;

    const first = await consumeMessages([message(body)], opts);
    opts.failureQueue.failing = false;
    const second = await consumeMessages([message(body)], opts);
    const third = await consumeMessages([message(body)], opts);

    expect(first.batchItemFailures).toEqual([{ itemIdentifier: 'm-1' }]);
    expect(second.batchItemFailures).toEqual([]);
    expect(third.batchItemFailures).toEqual([]);
    expect(opts.failureQueue.records).toEqual([
      expect.objectContaining({ kind: 'order', orderId: 1, status: 403 }),
    ]);
  });

  it('writes a message whose delivery id was used for another payload to the failure queue, without retrying it', async () => {
    const opts = options({
      wrapDelivery: async () => {
        throw ValidationError.single('idempotency_key', 'was used for another request');
      },
    });

    const answer = await consumeMessages([message({ order_id: 1, idempotency_key: 'k' })], opts);

    expect(answer.batchItemFailures).toEqual([]);
    expect(opts.failureQueue.records).toEqual([
      expect.objectContaining({ kind: 'message', deliveryId: 'k', errorType: 'ValidationError' }),
    ]);
  });

  it('returns a message whose delivery could not start for a passing reason', async () => {
    const opts = options({
      wrapDelivery: async () => {
        throw new UpstreamError('upstream_unavailable', 'state table unreachable');
      },
    });

    const answer = await consumeMessages([message({ order_id: 1 })], opts);

    expect(answer).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-1' }] });
  });
});

describe('the handler given an SQS event', () => {
  it('answers a partial batch response, returning only what it could not finish without FAILURE_QUEUE_URL', async () => {
    const runtime = createRuntime(
      { DIGICERT_API_KEY_SECRET_ID: 'dcv-resend/test', DIGICERT_BASE_URL: 'http://127.0.0.1:9' },
      {
        logger: createLogger({ write: () => undefined }),
        limiter: unlimited,
        apiKeys: { getApiKey: async () => 'key', invalidate: () => undefined },
        digicert: {
          resendEmails: async (orderId) =>
            orderId === 2
              ? { kind: 'rejected', status: 403, errors: [{ code: 'access_denied', message: 'no' }] }
              : { kind: 'sent', status: 204 },
        },
      },
    );
    const record = (messageId: string, body: string) => ({
      messageId,
      receiptHandle: `handle-${messageId}`,
      body,
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: '1545082649183',
        SenderId: 'AIDAIENQZJOLO23YVJ4VO',
        ApproximateFirstReceiveTimestamp: '1545082649185',
      },
      messageAttributes: {},
      md5OfBody: '098f6bcd4621d373cade4e832627b4f6',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-2:123456789012:my-queue',
      awsRegion: 'us-east-2',
    });
    const handler = createHandler(() => runtime);

    const answer = await handler(
      { Records: [record('sent', '{"order_id":1}'), record('refused', '{"order_id":2}')] },
      fakeContext(),
    );

    expect(answer).toEqual({ batchItemFailures: [{ itemIdentifier: 'refused' }] });
  });
});

describe('the sweep’s messages on the bulk queue', () => {
  it('hands a page or a part to the sweep, and brings it back when the sweep says so', async () => {
    const seen: unknown[] = [];
    const opts = options({
      sweep: async (work) => {
        seen.push(work);
        return seen.length === 1 ? { verdict: 'done' } : { verdict: 'retry', reason: 'DigiCert unavailable' };
      },
    });
    const page = { sweep: { id: 's-1', policy: 'report', page: { offset: 0 } } };
    const part = { sweep: { id: 's-1', policy: 'report', part: '0:0', orders: [7] } };

    const answer = await consumeMessages([message(page, 'm-page'), message(part, 'm-part')], opts);

    expect(seen).toEqual([page.sweep, part.sweep]);
    expect(answer.batchItemFailures).toEqual([{ itemIdentifier: 'm-part' }]);
    expect(opts.failureQueue.records).toEqual([]);
  });

  it('writes a damaged sweep message to the failure queue, once, and never hands it to the sweep', async () => {
    let called = false;
    const opts = options({
      sweep: async () => {
        called = true;
        return { verdict: 'done' };
      },
    });

    const answer = await consumeMessages([message({ sweep: { id: 's-1', policy: 'wipe' } }, 'm-bad')], opts);

    expect(called).toBe(false);
    expect(answer.batchItemFailures).toEqual([]);
    expect(opts.failureQueue.records).toEqual([
      expect.objectContaining({ kind: 'message', messageId: 'm-bad', errorType: 'ValidationError' }),
    ]);
  });
});
