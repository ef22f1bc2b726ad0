/**
 * The entry logic behind every deployed handler: recognise the event, run the use case, shape the
 * answer. Kept apart from `handler.ts` so tests can build it around their own `Runtime`.
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { HTTP_LIMITS } from '../app/contract.js';
import type { Runtime } from '../app/runtime.js';
import { BatchError } from '../lib/errors.js';
import { fallbackTelemetry, InvocationObserver, type Telemetry } from '../observability/invocation.js';
import { redact } from '../observability/logger.js';
import { runBatch } from '../resend/batch.js';
import type { BatchResult, SentResult } from '../resend/batch-result.js';
import { directDelivery, httpDelivery } from '../resend/deliveries.js';
import { parseIdempotencyKeyHeader, rejection } from '../resend/idempotency.js';
import { parseOrderId } from '../resend/request-schema.js';
import type { ResendUseCase } from '../resend/use-case.js';
import { type HttpResponse, isHttpEvent, parseResendHttpRequest, toHttpRequest } from './api-gateway.js';
import { forDirectCaller } from './direct-errors.js';
import { eventBridgeId, parseDirectPayload } from './direct-payload.js';
import { errorResponse, noContentResponse, replayedResponse } from './error-mapping.js';
import { answerDcvEmails, isDcvEmailsPath } from './http-dcv-emails.js';
import {
  consumeMessages,
  isSqsEvent,
  missingFailureQueue,
  type QueueMessage,
  queueMessages,
  type SqsBatchResponse,
  type WrapDelivery,
} from './sqs.js';

/** Time kept back from Lambda's deadline to answer the caller after the last DigiCert attempt. */
export const ANSWER_MARGIN_MS = 1_000;
/** API Gateway gives up after 30 s; an HTTP request must be answered well before. */
const HTTP_BUDGET_MS = HTTP_LIMITS.budgetMs;

/** Orders of one batch in flight at once; the rate limiter bounds the request rate itself. */
export const BATCH_CONCURRENCY = 8;

/**
 * Messages of one SQS event in flight at once (each with `BATCH_CONCURRENCY` orders): enough to
 * keep the budget busy while one message waits on a slow order, few enough that a message not
 * started before the deadline is rare.
 */
export const QUEUE_MESSAGE_CONCURRENCY = 2;

export type HandlerResult = HttpResponse | SentResult | BatchResult | SqsBatchResponse;
export type Handler = (event: unknown, context: Context) => Promise<HandlerResult>;

/**
 * Builds the Lambda handler. `getRuntime` is called per invocation and may throw a
 * `ConfigurationError` (bad environment), which is then reported like any other outcome.
 */
export function createHandler(getRuntime: () => Runtime, now: () => number = Date.now): Handler {
  return async function handler(event, context) {
    const started = now();
    const { remaining, awsRequestId } = invocationOf(context);
    // Time kept back to answer the caller: a second, or a tenth of a short invocation.
    const margin = Math.min(ANSWER_MARGIN_MS, remaining / 10);
    const loaded = loadRuntime(getRuntime);
    const telemetry = 'runtime' in loaded ? loaded.runtime.telemetry : fallbackTelemetry();
    if (isHttpEvent(event)) {
      const request = toHttpRequest(event);
      const requestId = request.requestId ?? awsRequestId;
      const deadline = started + Math.min(remaining - margin, HTTP_BUDGET_MS);
      if (isDcvEmailsPath(request))
        return answerDcvEmails(request, () => ready(loaded), { requestId, deadline });
      const observer = new InvocationObserver(
        telemetry,
        { requestId: awsRequestId, correlationId: requestId, source: 'http' },
        now,
      );
      let orderId: number | undefined;
      let replayed = false;
      try {
        // The request is checked first: a malformed one is the caller's 4xx whatever the configuration.
        const resendRequest = parseResendHttpRequest(request);
        orderId = resendRequest.order_id;
        const idempotencyKey = parseIdempotencyKeyHeader(request.headers['idempotency-key']);
        const runtime = ready(loaded);
        const once = await httpDelivery(runtime.idempotency, idempotencyKey, resendRequest, runtime.resend, {
          deadline,
          onAttempt: observer.onAttempt,
        });
        replayed = once.replayed;
        if (once.value.kind === 'rejected') throw rejection(once.value);
        observer.sent(orderId, { httpStatus: 204, ...(replayed ? { replayed } : {}) });
        return answer(noContentResponse(requestId), replayed);
      } catch (error) {
        const response = answer(errorResponse(error, requestId), replayed);
        orderId ??= parseOrderId(request.orderIdParam);
        observer.failed(orderId, error, { httpStatus: response.statusCode });
        return response;
      } finally {
        observer.end();
      }
    }

    const deadline = started + remaining - margin;
    if (isSqsEvent(event)) {
      return consumeSqsEvent(queueMessages(event), loaded, telemetry, {
        deadline,
        awsRequestId,
        now,
        // docs/contract.md §6: a message is a delivery like a direct payload; a redelivery attempts
        // only the orders without a recorded outcome.
        wrapDelivery: (runtime) => (payload, deliveryId, resend, deadline) =>
          directDelivery(runtime.idempotency, payload, deliveryId, resend, deadline),
      });
    }
    const eventId = eventBridgeId(event);
    const observer = new InvocationObserver(
      telemetry,
      {
        requestId: awsRequestId,
        correlationId: eventId ?? awsRequestId,
        source: eventId === undefined ? 'direct' : 'eventbridge',
      },
      now,
    );
    let orderId: number | undefined;
    try {
      const payload = parseDirectPayload(event);
      const runtime = ready(loaded);
      const observed: ResendUseCase = (request, options) =>
        runtime.resend(request, { ...options, onAttempt: observer.onAttempt });
      // docs/contract.md §6: the sender's key, else the EventBridge event id, else Lambda's request id.
      const deliveryId = payload.idempotencyKey ?? eventId ?? awsRequestId;
      const resend = await directDelivery(runtime.idempotency, payload, deliveryId, observed, deadline);
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
  };
}

function answer(response: HttpResponse, replayed: boolean): HttpResponse {
  return replayed ? replayedResponse(response) : response;
}

/**
 * An SQS event of the bulk queue (docs/contract.md §8): one observer per message (its orders' lines
 * carry the message id as correlation id, its document the queue counts), and the messages to
 * receive again. Without a runtime (a bad environment) every message comes back, and the reason is
 * logged.
 */
async function consumeSqsEvent(
  messages: readonly QueueMessage[],
  loaded: Loaded,
  telemetry: Telemetry,
  context: {
    deadline: number;
    awsRequestId: string;
    now: () => number;
    wrapDelivery: (runtime: Runtime) => WrapDelivery;
  },
): Promise<SqsBatchResponse> {
  const observe = (message: QueueMessage) =>
    new InvocationObserver(
      telemetry,
      { requestId: context.awsRequestId, correlationId: message.messageId, source: 'sqs' },
      context.now,
    );
  if (!('runtime' in loaded)) {
    const observer = observe(messages[0] as QueueMessage);
    observer.failed(undefined, loaded.error, { messages: messages.length });
    observer.end();
    return { batchItemFailures: messages.map((message) => ({ itemIdentifier: message.messageId })) };
  }
  const runtime = loaded.runtime;
  // Without FAILURE_QUEUE_URL, messages whose orders were all sent are still done; one with a
  // refusal to record comes back (its write fails), so nothing is lost.
  const failureQueue = runtime.failureQueue ?? {
    write: () => Promise.reject(missingFailureQueue()),
  };
  const observers = new Map<string, InvocationObserver>();
  const observerOf = (message: QueueMessage) => {
    let observer = observers.get(message.messageId);
    if (!observer) {
      observer = observe(message);
      observers.set(message.messageId, observer);
    }
    return observer;
  };
  return consumeMessages(messages, {
    deadline: context.deadline,
    orderConcurrency: BATCH_CONCURRENCY,
    messageConcurrency: QUEUE_MESSAGE_CONCURRENCY,
    redact,
    now: context.now,
    failureQueue,
    wrapDelivery: context.wrapDelivery(runtime),
    resendFor: (message) => {
      const observer = observerOf(message);
      return (request, resendOptions) =>
        runtime.resend(request, { ...resendOptions, onAttempt: observer.onAttempt });
    },
    hooksFor: (message) => {
      const observer = observerOf(message);
      return {
        onResult: observer.batchResult,
        onUnreadable: (error) => observer.failed(undefined, error),
      };
    },
    onMessage: (message, outcome) => {
      const observer = observerOf(message);
      observer.queueMessage(outcome, message.receiveCount);
      observer.end();
    },
  });
}

/** Without a Lambda context (a bare local call), an invocation gets Lambda's default 15-minute cap's worth. */
const NO_CONTEXT_REMAINING_MS = 15 * 60_000;

/**
 * The deadline and request id from Lambda's context. Lambda always passes both; a caller that runs
 * the handler by hand with a partial context still gets a working invocation.
 */
function invocationOf(context: Partial<Context> | undefined): { remaining: number; awsRequestId: string } {
  const reported =
    typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : Number.NaN;
  return {
    remaining: Number.isFinite(reported) ? Math.max(0, reported) : NO_CONTEXT_REMAINING_MS,
    awsRequestId:
      typeof context?.awsRequestId === 'string' && context.awsRequestId !== ''
        ? context.awsRequestId
        : randomUUID(),
  };
}

type Loaded = { readonly runtime: Runtime } | { readonly error: unknown };

/** Builds (or fetches) the runtime once per invocation, keeping a failure to report it like any other. */
function loadRuntime(getRuntime: () => Runtime): Loaded {
  try {
    return { runtime: getRuntime() };
  } catch (error) {
    return { error };
  }
}

/** The runtime, or the `ConfigurationError` that prevented building it, thrown. */
function ready(loaded: Loaded): Runtime {
  if ('runtime' in loaded) return loaded.runtime;
  throw loaded.error;
}

function batchCounts(summary: unknown): { sent: number; failed: number } {
  const { sent, failed } = (summary ?? {}) as { sent?: unknown; failed?: unknown };
  return { sent: typeof sent === 'number' ? sent : 0, failed: typeof failed === 'number' ? failed : 0 };
}
