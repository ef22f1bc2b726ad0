/**
 * The batch use case: many orders resent with bounded concurrency, every order's outcome reported
 * in request order, and `BatchError` when any failed. Recognising a batch payload is the inbound
 * adapters' work (`triggers/direct-payload.ts`); this runs one, whoever asked.
 */

import { BatchError, ConfigurationError, errorCodeOf } from '../lib/errors.js';
import type { BatchResult, FailedResult, OrderResult } from './batch-result.js';
import type { ResendRequest } from './request-schema.js';
import type { ResendUseCase } from './use-case.js';

/**
 * Describes a failed order for batch results. `redact` cleans the message (the caller passes the
 * logger's secret redactor: the domain does not know which values are secret).
 */
export function describeFailure(
  orderId: number,
  error: unknown,
  redact: (text: string) => string,
): FailedResult {
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

/** Orders of one batch in flight at once; the rate limiter bounds the request rate itself. */
export const BATCH_CONCURRENCY = 8;

export interface RunBatchOptions {
  /** Epoch milliseconds by which every order's outcome must be known. */
  readonly deadline: number;
  /** Orders in flight at once; the rate limiter bounds the request rate itself. */
  readonly concurrency: number;
  /**
   * Removes secret values from failure messages before they enter the results, which callers see
   * (`observability/logger.ts`'s `redact`). Required, so that no caller can forget it.
   */
  readonly redact: (text: string) => string;
  /** Each order's outcome as it is known, with the error for a failed one. Must not throw. */
  readonly onResult?: (result: OrderResult, error?: unknown) => void;
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
      let failure: unknown;
      if (broken) {
        failure = new ConfigurationError(broken.code, `Not attempted: ${broken.message}`);
        result = describeFailure(order.order_id, failure, options.redact);
      } else {
        try {
          await resend(order, { deadline: options.deadline });
          result = { order_id: order.order_id, status: 'sent' };
        } catch (error) {
          if (error instanceof ConfigurationError) broken ??= error;
          failure = error;
          result = describeFailure(order.order_id, error, options.redact);
        }
      }
      results[index] = result;
      options.onResult?.(result, failure);
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
