/**
 * Writing orders to the bulk queue (docs/contract.md §8): every order validated first, then
 * messages of at most 100 orders, sent with `SendMessageBatch` (10 entries and 256 KiB per call),
 * entries SQS reports as failed sent again a bounded number of times. Used by `submit`, the tests,
 * the bench and `npm run start:queue`.
 */
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { FUNCTION_DEFAULTS, RATE_LIMIT_WINDOWS_MS, REQUEST_LIMITS } from '../functions/app/contract.js';
import { batchesOf } from '../functions/aws/failure-queue.js';
import { type Issue, ValidationError } from '../functions/lib/errors.js';
import { type ResendRequest, resendRequestSchema, toIssues } from '../functions/resend/request-schema.js';
import { submitMessageKey } from './delivery-id.js';

/** Sends of the entries SQS reported as failed, the first included. */
export const ENTRY_ATTEMPTS = 5;

/**
 * Every order checked as the function checks it, and each listed once (a message with the same
 * order twice would be refused whole). Issues name `orders.<index>.<field>`, which the orders file
 * turns into file:line.
 */
export function validateOrders(orders: readonly unknown[]): ResendRequest[] {
  const issues: Issue[] = [];
  const valid: ResendRequest[] = [];
  const seen = new Map<number, number>();
  for (const [index, order] of orders.entries()) {
    const result = resendRequestSchema.safeParse(order);
    if (!result.success) {
      issues.push(...toIssues(result.error.issues, ['orders', index]));
      continue;
    }
    const first = seen.get(result.data.order_id);
    if (first !== undefined) {
      issues.push({
        field: `orders.${index}.order_id`,
        message: `duplicates orders.${first}.order_id (${result.data.order_id}), list each order once`,
        code: 'invalid_order_id',
      });
      continue;
    }
    seen.set(result.data.order_id, index);
    valid.push(result.data);
  }
  if (orders.length === 0)
    issues.push({ field: 'orders', message: 'the file holds no orders', code: 'invalid_input' });
  if (issues.length > 0) throw new ValidationError(issues);
  return valid;
}

/**
 * Message bodies of at most `perMessage` orders each: `{"orders": [...]}`, or, with the digest of
 * the file's orders (`delivery-id.ts`), `{"idempotency_key": ..., "orders": [...]}`: the same file
 * gives the same messages with the same keys, so the consumer sends no order of them twice.
 */
export function messageBodies(
  orders: readonly ResendRequest[],
  perMessage: number = REQUEST_LIMITS.maxQueueMessageOrders,
  fileDigest?: string,
): string[] {
  const bodies: string[] = [];
  for (let start = 0; start < orders.length; start += perMessage) {
    const body = JSON.stringify({ orders: orders.slice(start, start + perMessage) });
    bodies.push(
      fileDigest === undefined
        ? body
        : `{"idempotency_key":${JSON.stringify(submitMessageKey(fileDigest, body))},${body.slice(1)}`,
    );
  }
  return bodies;
}

/** Seconds the key's sustained budget needs for `orders` (the 3-minute window's rate). */
export function drainSeconds(
  orders: number,
  per3Minutes: number = FUNCTION_DEFAULTS.rateLimitPer3Min,
): number {
  return orders / (per3Minutes / (RATE_LIMIT_WINDOWS_MS.per3Minutes / 1000));
}

export interface SubmitResult {
  readonly orders: number;
  readonly messages: number;
  /** `SendMessageBatch` calls made, retries included. */
  readonly calls: number;
}

export interface SubmitOptions {
  /** After each call: messages queued so far, of the total. */
  readonly onProgress?: (queued: number, total: number) => void;
  /** The digest of the file's orders: each message gets an `idempotency_key` from it. @default no key */
  readonly fileDigest?: string;
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * Writes `orders` to the queue. Throws when SQS kept refusing some entries (`SubmitError`, saying
 * how many messages were queued before), or when a call itself failed (the SDK's error).
 */
export async function submitOrders(
  client: SQSClient,
  queueUrl: string,
  orders: readonly ResendRequest[],
  options: SubmitOptions = {},
): Promise<SubmitResult> {
  const bodies = messageBodies(orders, REQUEST_LIMITS.maxQueueMessageOrders, options.fileDigest);
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let queued = 0;
  let calls = 0;
  for (const batch of batchesOf(bodies)) {
    let pending = batch.map((body, index) => ({ Id: String(index), MessageBody: body }));
    for (let attempt = 1; pending.length > 0; attempt += 1) {
      calls += 1;
      const answer = await client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: pending }));
      const failed = new Map((answer.Failed ?? []).map((entry) => [entry.Id, entry]));
      queued += pending.length - failed.size;
      pending = pending.filter((entry) => failed.has(entry.Id));
      if (pending.length === 0) break;
      if (attempt >= ENTRY_ATTEMPTS) {
        const codes = [...new Set([...failed.values()].map((entry) => entry.Code ?? 'unknown'))];
        throw new SubmitError(
          `SQS refused ${pending.length} message(s) ${attempt} times (${codes.join(', ')}); ${queued} of ${bodies.length} messages were queued before`,
          queued,
        );
      }
      await sleep(100 * 2 ** (attempt - 1));
    }
    options.onProgress?.(queued, bodies.length);
  }
  return { orders: orders.length, messages: bodies.length, calls };
}

/** SQS kept refusing some messages; `queued` were written before. */
export class SubmitError extends Error {
  override readonly name = 'SubmitError';
  constructor(
    message: string,
    readonly queued: number,
  ) {
    super(message);
  }
}
