/**
 * The contract audit of direct invocation, schedules and the bulk queue (docs/contract.md §3, §8):
 * Lambda `Invoke`, Scheduler and Step Functions payloads, EventBridge rule envelopes and SQS
 * batches sent to the deployable bundle (test/support/contract-audit.ts says how and why).
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type BundleHandler,
  context,
  eventBridge,
  type SqsMessage,
  sqsEvent,
} from '../support/audit-events.js';
import { KEY } from '../support/audit-fakes.js';
import { detailOf, thrown, useContractAudit } from '../support/contract-audit.js';

const audit = useContractAudit({ dynamo: true });
const { fake, sqs } = audit;

let main: BundleHandler;
beforeAll(async () => {
  main = await audit.container({ DIGICERT_MAX_ATTEMPTS: '1' });
});

describe('direct invocation and schedules (docs/contract.md §3)', () => {
  const single = {
    order_id: 301,
    domain_approval_emails: [{ domain: 'example.com', email: 'admin@example.com' }],
  };

  it('answers a Lambda Invoke / Scheduler target input / Step Functions payload with status sent', async () => {
    await expect(main(single, context())).resolves.toEqual({ order_id: 301, status: 'sent' });
    await expect(main({ order_id: '302', locale: 'en' }, context())).resolves.toEqual({
      order_id: 302,
      status: 'sent',
    });
    expect(JSON.parse(fake.to(302)[0]?.body ?? '')).toEqual({ locale: 'en' });
  });

  it('takes the detail of an EventBridge rule event', async () => {
    await expect(main(eventBridge({ order_id: 303 }), context())).resolves.toEqual({
      order_id: 303,
      status: 'sent',
    });
    await expect(main(eventBridge({ orders: [{ order_id: 304 }] }), context())).resolves.toEqual({
      sent: 1,
      failed: 0,
      results: [{ order_id: 304, status: 'sent' }],
    });
  });

  it('answers a batch with counts and per-order results', async () => {
    const result = (await main({ orders: [{ order_id: 305 }, { order_id: 306 }] }, context())) as {
      results: { order_id: number }[];
    };
    expect(result).toMatchObject({ sent: 2, failed: 0 });
    expect(result.results.map((r) => r.order_id).sort()).toEqual([305, 306]);
  });

  const failures: readonly [string, () => Promise<unknown>, string, string][] = [
    [
      'an unknown field',
      () => main({ order_id: 310, domain_aproval_email: [] }, context()),
      'ValidationError',
      'invalid_input',
    ],
    ['a bad order id', () => main({ order_id: -1 }, context()), 'ValidationError', 'invalid_order_id'],
    [
      'a batch of 501',
      () => main({ orders: Array.from({ length: 501 }, (_, i) => ({ order_id: i + 1 })) }, context()),
      'ValidationError',
      'invalid_input',
    ],
    ['an empty batch', () => main({ orders: [] }, context()), 'ValidationError', 'invalid_input'],
    [
      'a top-level field beside orders',
      () => main({ orders: [{ order_id: 316 }], locale: 'en' }, context()),
      'ValidationError',
      'invalid_input',
    ],
    [
      'an idempotency_key of 256 characters',
      () => main({ order_id: 317, idempotency_key: 'k'.repeat(256) }, context()),
      'ValidationError',
      'invalid_input',
    ],
    [
      'an idempotency_key with a space',
      () => main({ order_id: 318, idempotency_key: 'a b' }, context()),
      'ValidationError',
      'invalid_input',
    ],
    ['an array event', () => main([{ order_id: 319 }], context()), 'ValidationError', 'invalid_input'],
    [
      'an empty EventBridge detail',
      () => main(eventBridge({}), context()),
      'ValidationError',
      'invalid_input',
    ],
  ];
  it.each(failures)(
    'throws the contract’s errorType for %s, with a JSON message',
    async (_, call, name, code) => {
      const detail = detailOf(await thrown(call()), name);
      expect(detail.code).toBe(code);
    },
  );

  it('throws DigiCertRequestError with DigiCert’s codes, UpstreamError on 5xx', async () => {
    fake.script(311, {
      status: 404,
      body: JSON.stringify({ errors: [{ code: 'not_found|order', message: 'nope' }] }),
    });
    const refused = detailOf(await thrown(main({ order_id: 311 }, context())), 'DigiCertRequestError');
    expect(JSON.stringify(refused)).toContain('not_found|order');
    fake.script(312, { status: 500, body: '' });
    detailOf(await thrown(main({ order_id: 312 }, context())), 'UpstreamError');
  });

  it('throws ConfigurationError when the secret cannot be read', async () => {
    const handler = await audit.container({ DIGICERT_API_KEY_SECRET_ID: 'audit/no-such-secret' });
    const detail = detailOf(await thrown(handler({ order_id: 313 }, context())), 'ConfigurationError');
    expect(detail.code).toBe('secret_unavailable');
  });

  it('throws BatchError whose message is JSON with every order’s result', async () => {
    fake.script(315, {
      status: 404,
      body: JSON.stringify({ errors: [{ code: 'not_found|order', message: 'no' }] }),
    });
    const error = await thrown(main({ orders: [{ order_id: 314 }, { order_id: 315 }] }, context()));
    expect(error.name).toBe('BatchError');
    const detail = JSON.parse(error.message) as {
      sent: number;
      failed: number;
      results: { order_id: number; status: string }[];
    };
    expect(detail).toMatchObject({ sent: 1, failed: 1 });
    expect(detail.results.map((r) => [r.order_id, r.status]).sort()).toEqual([
      [314, 'sent'],
      [315, 'failed'],
    ]);
  });

  it('answers an SQS batch with batchItemFailures for transient failures only; refusals and invalid orders go to the failure queue, once (§3, §6, §8)', async () => {
    const failureQueueUrl = `${sqs.endpoint}/123456789012/DcvResend-Failures`;
    const consumer = await audit.container({
      STATE_TABLE_NAME: audit.dynamo.tableName,
      FAILURE_QUEUE_URL: failureQueueUrl,
      DIGICERT_MAX_ATTEMPTS: '1',
    });
    fake.script(331, {
      status: 404,
      body: JSON.stringify({ errors: [{ code: 'not_found|order', message: 'no' }] }),
    });
    fake.script(332, { status: 500, body: 'down' });
    const ids = {
      sent: randomUUID(),
      refused: randomUUID(),
      transient: randomUUID(),
      invalid: randomUUID(),
      garbage: randomUUID(),
    };
    const messages = (receiveCount: number): SqsMessage[] => [
      { messageId: ids.sent, body: JSON.stringify({ order_id: 330 }), receiveCount },
      {
        messageId: ids.refused,
        body: JSON.stringify({ orders: [{ order_id: 331 }, { order_id: 333 }] }),
        receiveCount,
      },
      { messageId: ids.transient, body: JSON.stringify({ order_id: 332 }), receiveCount },
      { messageId: ids.invalid, body: JSON.stringify({ order_id: 'x' }), receiveCount },
      { messageId: ids.garbage, body: 'not json', receiveCount },
    ];
    const first = (await consumer(sqsEvent(messages(1)), context())) as {
      batchItemFailures: { itemIdentifier: string }[];
    };
    expect(first).toEqual({ batchItemFailures: [{ itemIdentifier: ids.transient }] });
    expect(fake.to(330)).toHaveLength(1);
    expect(fake.to(333)).toHaveLength(1);
    const written = sqs.messages.filter((m) => m.queueUrl === failureQueueUrl).map((m) => m.body);
    expect(written.some((b) => b.includes('331') && b.includes('not_found|order'))).toBe(true);
    expect(written.some((b) => b.includes(ids.invalid))).toBe(true);
    expect(written.some((b) => b.includes(ids.garbage))).toBe(true);
    expect(written.some((b) => b.includes('"order_id":332'))).toBe(false);
    // The whole batch again (a redelivery): nothing already sent or refused is sent again.
    const again = await consumer(sqsEvent(messages(2)), context());
    expect(again).toEqual({ batchItemFailures: [] });
    expect(fake.to(330)).toHaveLength(1);
    expect(fake.to(331)).toHaveLength(1);
    expect(fake.to(333)).toHaveLength(1);
    expect(fake.to(332)).toHaveLength(2);
    for (const body of sqs.messages.map((m) => m.body)) expect(body).not.toContain(KEY);
  });
});

describe('the API key (docs/contract.md §5)', () => {
  it('appears in no response, thrown error, log line or stdout/stderr write of this file', () => {
    const { outputs, written } = audit.seen();
    expect(outputs.length).toBeGreaterThan(18);
    expect(written.length).toBeGreaterThan(0);
    for (const text of [...outputs, ...written]) expect(text).not.toContain(KEY);
  });
});
