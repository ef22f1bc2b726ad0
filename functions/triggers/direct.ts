/**
 * Direct invocations (Lambda `Invoke`, Step Functions), EventBridge Scheduler inputs and EventBridge
 * events (docs/contract.md §3): a single order, a batch, or an action (§10); any failure throws an
 * error whose `name` is Lambda's `errorType`.
 */
import type { DnsDcvStarted } from '../dcv/dns/state.js';
import type { DcvStatus } from '../dcv/status.js';
import type { SweepAnswer } from '../dcv/sweep/sweep.js';
import { BatchError } from '../lib/errors.js';
import { InvocationObserver, observing } from '../observability/invocation.js';
import { redact } from '../observability/logger.js';
import { BATCH_CONCURRENCY, runBatch } from '../resend/batch.js';
import type { BatchResult, SentResult } from '../resend/batch-result.js';
import { directDelivery } from '../resend/deliveries.js';
import { handleAction } from './direct-actions.js';
import { forDirectCaller } from './direct-errors.js';
import { eventBridgeId, isActionInvocation, parseDirectPayload } from './direct-payload.js';
import type { Invocation } from './invocation.js';

/** Runs one direct payload, a resend or an action; throws the error Lambda reports to the caller. */
export async function handleDirect(
  event: unknown,
  invocation: Invocation,
): Promise<SentResult | BatchResult | DcvStatus | SweepAnswer | DnsDcvStarted> {
  if (isActionInvocation(event)) return handleAction(event, invocation);
  const { awsRequestId, deadline } = invocation;
  const eventId = eventBridgeId(event);
  const observer = new InvocationObserver(
    invocation.telemetry,
    {
      requestId: awsRequestId,
      correlationId: eventId ?? awsRequestId,
      source: eventId === undefined ? 'direct' : 'eventbridge',
    },
    invocation.now,
  );
  let orderId: number | undefined;
  try {
    const payload = parseDirectPayload(event);
    const runtime = invocation.runtime();
    // docs/contract.md §6: the sender's key, else the EventBridge event id, else Lambda's request id.
    const deliveryId = payload.idempotencyKey ?? eventId ?? awsRequestId;
    return await observing(observer, async (): Promise<SentResult | BatchResult> => {
      const resend = await directDelivery(runtime.idempotency, payload, deliveryId, runtime.resend, deadline);
      if (payload.kind === 'batch') {
        const result = await runBatch(payload.orders, resend, {
          deadline,
          concurrency: BATCH_CONCURRENCY,
          redact,
          onResult: observer.batchResult,
        });
        observer.batchFinished(result);
        return result;
      }
      orderId = payload.request.order_id;
      await resend(payload.request, { deadline });
      observer.sent(orderId);
      return { order_id: orderId, status: 'sent' };
    });
  } catch (error) {
    if (error instanceof BatchError) {
      // Every order already has its own line; this is the batch's summary.
      observer.batchFinished(batchCounts(error.summary));
    } else {
      observer.failed(orderId, error);
    }
    // Lambda passes on only the name and the message: the message carries the fields as JSON.
    throw forDirectCaller(error);
  } finally {
    observer.end();
  }
}

function batchCounts(summary: unknown): { sent: number; failed: number } {
  const { sent, failed } = (summary ?? {}) as { sent?: unknown; failed?: unknown };
  return { sent: typeof sent === 'number' ? sent : 0, failed: typeof failed === 'number' ? failed : 0 };
}
