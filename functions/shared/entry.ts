/**
 * The entry logic behind every deployed handler: recognise the event, run the use case, shape the
 * answer. Kept apart from `handler.ts` so tests can build it around their own `Runtime`.
 */
import type { Context } from 'aws-lambda';
import { type BatchResult, parseDirectPayload, runBatch, type SentResult } from './direct.js';
import { type HttpResponse, isHttpEvent, parseResendHttpRequest, toHttpRequest } from './http/api-gateway.js';
import { errorResponse, noContentResponse } from './http/error-mapping.js';
import { describeError } from './observability/logger.js';
import type { Runtime } from './runtime.js';

/** Time kept back from Lambda's deadline to answer the caller after the last DigiCert attempt. */
export const ANSWER_MARGIN_MS = 1_000;
/** API Gateway gives up after 30 s; an HTTP request must be answered well before. */
export const HTTP_BUDGET_MS = 28_000;

/** Orders of one batch in flight at once; the rate limiter bounds the request rate itself. */
export const BATCH_CONCURRENCY = 8;

export type HandlerResult = HttpResponse | SentResult | BatchResult;
export type Handler = (event: unknown, context: Context) => Promise<HandlerResult>;

/**
 * Builds the Lambda handler. `getRuntime` is called per invocation and may throw a
 * `ConfigurationError` (bad environment), which is then reported like any other outcome.
 */
export function createHandler(getRuntime: () => Runtime, now: () => number = Date.now): Handler {
  return async function handler(event, context) {
    const started = now();
    const remaining = context.getRemainingTimeInMillis();
    if (isHttpEvent(event)) {
      const request = toHttpRequest(event);
      const requestId = request.requestId ?? context.awsRequestId;
      const deadline = started + Math.min(remaining - ANSWER_MARGIN_MS, HTTP_BUDGET_MS);
      try {
        const runtime = getRuntime();
        const resendRequest = parseResendHttpRequest(request);
        await runtime.resend(resendRequest, { deadline });
        return noContentResponse(requestId);
      } catch (error) {
        logFailure(getRuntimeSafe(getRuntime), error, context.awsRequestId);
        return errorResponse(error, requestId);
      }
    }

    const deadline = started + remaining - ANSWER_MARGIN_MS;
    try {
      const runtime = getRuntime();
      const payload = parseDirectPayload(event);
      if (payload.kind === 'batch') {
        return await runBatch(payload.orders, runtime.resend, { deadline, concurrency: BATCH_CONCURRENCY });
      }
      await runtime.resend(payload.request, { deadline });
      return { order_id: payload.request.order_id, status: 'sent' };
    } catch (error) {
      logFailure(getRuntimeSafe(getRuntime), error, context.awsRequestId);
      throw error;
    }
  };
}

function getRuntimeSafe(getRuntime: () => Runtime): Runtime | undefined {
  try {
    return getRuntime();
  } catch {
    return undefined;
  }
}

function logFailure(runtime: Runtime | undefined, error: unknown, awsRequestId: string): void {
  const fields = { awsRequestId, error: describeError(error) };
  if (runtime) runtime.logger.warn('request failed', fields);
  else process.stdout.write(`${JSON.stringify({ level: 'ERROR', message: 'request failed', ...fields })}\n`);
}
