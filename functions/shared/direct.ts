/**
 * Direct invocations (Lambda `Invoke`, Step Functions), EventBridge Scheduler inputs and
 * EventBridge event envelopes (CONTRACT §3): recognise the payload, validate it whole, run it.
 */
import { BatchError, ValidationError } from './domain/errors.js';
import {
  batchRequestSchema,
  parseOrThrow,
  type ResendRequest,
  resendRequestSchema,
} from './domain/request-schema.js';
import type { ResendUseCase } from './domain/resend.js';

export interface SentResult {
  readonly order_id: number;
  readonly status: 'sent';
}

export interface FailedResult {
  readonly order_id: number;
  readonly status: 'failed';
  /** The error's `name`, as a single invocation would have thrown it. */
  readonly error_type: string;
  /** The contract code (`upstream_unavailable`, DigiCert's own codes, ...) when there is one. */
  readonly code?: string;
  readonly message: string;
}

export type OrderResult = SentResult | FailedResult;

export interface BatchResult {
  readonly sent: number;
  readonly failed: number;
  readonly results: readonly OrderResult[];
}

export type DirectPayload =
  | { readonly kind: 'single'; readonly request: ResendRequest }
  | { readonly kind: 'batch'; readonly orders: readonly ResendRequest[] };

const ACCEPTED_SHAPES =
  'expected a single order {"order_id": 123, ...}, a batch {"orders": [...]}, an EventBridge event whose "detail" is one of those, or an API Gateway proxy event';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isEventBridgeEnvelope(event: Record<string, unknown>): boolean {
  return 'detail-type' in event && 'source' in event;
}

/** Recognises and validates a non-HTTP event; throws `ValidationError` naming the place. */
export function parseDirectPayload(event: unknown): DirectPayload {
  if (!isRecord(event)) throw ValidationError.single('', `Unrecognised event: ${ACCEPTED_SHAPES}`);
  let payload: unknown = event;
  let prefix: string[] = [];
  if (isEventBridgeEnvelope(event)) {
    if (!('detail' in event)) {
      throw ValidationError.single('detail', `is required in an EventBridge event: ${ACCEPTED_SHAPES}`);
    }
    payload = event.detail;
    prefix = ['detail'];
    if (!isRecord(payload)) {
      throw ValidationError.single('detail', `must be an object: ${ACCEPTED_SHAPES}`);
    }
  }
  if (isRecord(payload) && 'orders' in payload) {
    const { orders } = parseOrThrow(batchRequestSchema, payload, prefix);
    rejectDuplicates(orders, prefix);
    return { kind: 'batch', orders };
  }
  if (isRecord(payload) && !('order_id' in payload) && Object.keys(payload).length === 0) {
    throw ValidationError.single(prefix.join('.'), `is empty: ${ACCEPTED_SHAPES}`);
  }
  return { kind: 'single', request: parseOrThrow(resendRequestSchema, payload, prefix) };
}

function rejectDuplicates(orders: readonly ResendRequest[], prefix: readonly string[]): void {
  const seen = new Map<number, number>();
  const issues = [];
  for (const [index, order] of orders.entries()) {
    const first = seen.get(order.order_id);
    if (first === undefined) {
      seen.set(order.order_id, index);
      continue;
    }
    issues.push({
      field: [...prefix, 'orders', String(index), 'order_id'].join('.'),
      message: `duplicates orders.${first}.order_id (${order.order_id}); list each order once`,
      code: 'invalid_order_id' as const,
    });
  }
  if (issues.length > 0) throw new ValidationError(issues);
}

/** Describes a failed order for batch results; the message never carries the key. */
export function describeFailure(orderId: number, error: unknown): FailedResult {
  const name = error instanceof Error ? error.name : 'Error';
  const code = errorCode(error);
  return {
    order_id: orderId,
    status: 'failed',
    error_type: name,
    ...(code ? { code } : {}),
    message: error instanceof Error ? error.message : 'Unknown error',
  };
}

function errorCode(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  const errors = (error as { errors?: unknown }).errors;
  if (Array.isArray(errors)) {
    const codes = errors
      .map((e: unknown) => (isRecord(e) && typeof e.code === 'string' ? e.code : ''))
      .filter(Boolean);
    if (codes.length > 0) return codes.join(',');
  }
  return undefined;
}

/**
 * Runs every order of a batch with at most `concurrency` in flight, and reports each outcome.
 * Throws `BatchError` (message: the JSON summary) when any order failed, so that async sources
 * retry and dead-letter the event.
 */
export async function runBatch(
  orders: readonly ResendRequest[],
  resend: ResendUseCase,
  options: { deadline: number; concurrency: number; onResult?: (result: OrderResult) => void },
): Promise<BatchResult> {
  const results: OrderResult[] = new Array(orders.length);
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < orders.length; index = next++) {
      const order = orders[index] as ResendRequest;
      let result: OrderResult;
      try {
        await resend(order, { deadline: options.deadline });
        result = { order_id: order.order_id, status: 'sent' };
      } catch (error) {
        result = describeFailure(order.order_id, error);
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
