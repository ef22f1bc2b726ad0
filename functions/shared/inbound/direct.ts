/**
 * Direct invocations (Lambda `Invoke`, Step Functions), EventBridge Scheduler inputs and
 * EventBridge event envelopes (CONTRACT §3): recognise the payload, validate it whole, run it.
 */
import type { BatchResult, FailedResult, OrderResult } from '../domain/batch-result.js';
import {
  BatchError,
  ConfigurationError,
  errorCodeOf,
  type Issue,
  ValidationError,
} from '../domain/errors.js';
import {
  batchRequestSchema,
  directRequestSchema,
  parseOrThrow,
  type ResendRequest,
  toIssues,
} from '../domain/request-schema.js';
import type { ResendUseCase } from '../domain/resend.js';
import { isRecord } from '../is-record.js';
import { redact } from '../observability/logger.js';

export type { BatchResult, FailedResult, OrderResult, SentResult } from '../domain/batch-result.js';

export type DirectPayload = (
  | { readonly kind: 'single'; readonly request: ResendRequest }
  | { readonly kind: 'batch'; readonly orders: readonly ResendRequest[] }
) & {
  /** The delivery id the sender gave (`idempotency_key`), if any (docs/contract.md §6). */
  readonly idempotencyKey?: string;
};

export const ACCEPTED_SHAPES =
  'expected a single order {"order_id": 123, ...}, a batch {"orders": [...]}, an EventBridge event whose "detail" is one of those, or an API Gateway proxy event';

/** EventBridge always sends both; a direct payload never has them (they are not request fields). */
function isEventBridgeEnvelope(event: Record<string, unknown>): boolean {
  return 'detail-type' in event && 'source' in event;
}

function describeShape(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** Recognises and validates a non-HTTP event; throws `ValidationError` naming the place. */
export function parseDirectPayload(event: unknown): DirectPayload {
  if (!isRecord(event)) {
    const hint = Array.isArray(event) ? '. To send several orders, wrap them: {"orders": [...]}' : '';
    throw ValidationError.single(
      '',
      `Unrecognised event (${describeShape(event)}): ${ACCEPTED_SHAPES}${hint}`,
    );
  }
  let payload: Record<string, unknown> = event;
  let prefix: string[] = [];
  if (isEventBridgeEnvelope(event)) {
    if (!('detail' in event)) {
      throw ValidationError.single('detail', `is required in an EventBridge event: ${ACCEPTED_SHAPES}`);
    }
    const detail = event.detail;
    if (!isRecord(detail)) {
      throw ValidationError.single(
        'detail',
        `must be an object, got ${describeShape(detail)}: ${ACCEPTED_SHAPES}`,
      );
    }
    if (Object.keys(detail).length === 0) {
      // A rule's own schedule sends `"detail": {}`: the payload belongs in the target's input.
      throw ValidationError.single(
        'detail',
        `is empty: ${ACCEPTED_SHAPES}. For a scheduled rule, set the target's input to the payload itself`,
      );
    }
    payload = detail;
    prefix = ['detail'];
  }
  if ('orders' in payload) {
    const { orders, idempotency_key } = parseOrThrow(batchRequestSchema, payload, prefix);
    rejectDuplicates(orders, prefix);
    return { kind: 'batch', orders, ...withKey(idempotency_key) };
  }
  if (!('order_id' in payload)) {
    // Neither shape: say which shapes are accepted, and which fields were not understood.
    const unknown = toIssues(directRequestSchema.safeParse(payload).error?.issues ?? [], prefix).filter(
      (issue) => !issue.field.endsWith('order_id'),
    );
    throw new ValidationError([
      { field: prefix.join('.'), message: `Unrecognised payload: ${ACCEPTED_SHAPES}`, code: 'invalid_input' },
      ...unknown,
    ]);
  }
  const { idempotency_key, ...request } = parseOrThrow(directRequestSchema, payload, prefix);
  return { kind: 'single', request, ...withKey(idempotency_key) };
}

function withKey(idempotencyKey: string | undefined): { idempotencyKey?: string } {
  return idempotencyKey === undefined ? {} : { idempotencyKey };
}

function rejectDuplicates(orders: readonly ResendRequest[], prefix: readonly string[]): void {
  const seen = new Map<number, number>();
  const issues: Issue[] = [];
  for (const [index, order] of orders.entries()) {
    const first = seen.get(order.order_id);
    if (first === undefined) {
      seen.set(order.order_id, index);
      continue;
    }
    issues.push({
      field: [...prefix, 'orders', String(index), 'order_id'].join('.'),
      message: `duplicates orders.${first}.order_id (${order.order_id}), list each order once`,
      code: 'invalid_order_id',
    });
  }
  if (issues.length > 0) throw new ValidationError(issues);
}

/** Describes a failed order for batch results; the message never carries the key. */
export function describeFailure(orderId: number, error: unknown): FailedResult {
  const name = error instanceof Error ? error.name : 'Error';
  const code = errorCodeOf(error);
  return {
    order_id: orderId,
    status: 'failed',
    error_type: name,
    ...(code ? { code } : {}),
    message: redact(error instanceof Error ? error.message : 'Unknown error'),
  };
}

export interface RunBatchOptions {
  /** Epoch milliseconds by which every order's outcome must be known. */
  readonly deadline: number;
  /** Orders in flight at once; the rate limiter bounds the request rate itself. */
  readonly concurrency: number;
  readonly onResult?: (result: OrderResult) => void;
}

/**
 * Runs every order of a batch with at most `concurrency` in flight, and reports each outcome in
 * request order. Throws `BatchError` (message: the JSON summary) when any order failed, so that
 * async sources retry and dead-letter the event.
 *
 * A `ConfigurationError` (the secret cannot be read, the key is rejected) holds for every order:
 * after the first one, the orders not yet started are reported with it rather than each calling
 * Secrets Manager and DigiCert again.
 */
export async function runBatch(
  orders: readonly ResendRequest[],
  resend: ResendUseCase,
  options: RunBatchOptions,
): Promise<BatchResult> {
  const results: OrderResult[] = new Array(orders.length);
  let next = 0;
  let broken: ConfigurationError | undefined;
  const worker = async () => {
    for (let index = next++; index < orders.length; index = next++) {
      const order = orders[index] as ResendRequest;
      let result: OrderResult;
      if (broken) {
        result = describeFailure(
          order.order_id,
          new ConfigurationError(broken.code, `Not attempted: ${broken.message}`),
        );
      } else {
        try {
          await resend(order, { deadline: options.deadline });
          result = { order_id: order.order_id, status: 'sent' };
        } catch (error) {
          if (error instanceof ConfigurationError) broken ??= error;
          result = describeFailure(order.order_id, error);
        }
      }
      results[index] = result;
      options.onResult?.(result);
    }
  };
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(options.concurrency, orders.length)) }, worker),
  );
  const failed = results.filter((r) => r.status === 'failed').length;
  const summary: BatchResult = { sent: results.length - failed, failed, results };
  if (failed > 0) throw new BatchError(summary);
  return summary;
}
