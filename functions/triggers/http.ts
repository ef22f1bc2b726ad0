/**
 * API Gateway (HTTP API 2.0 and REST 1.0 proxy events, docs/contract.md §2): the resend route,
 * `GET /domain/{domain}/dcv/emails` (§9), `GET /order/certificate/{order_id}/dcv` (§10) and
 * `POST /order/certificate/{order_id}/dcv/dns` (§12). Statuses are decided in one place, `error-mapping.ts`.
 */
import { HTTP_LIMITS } from '../app/contract.js';
import { InvocationObserver, observing } from '../observability/invocation.js';
import { httpDelivery } from '../resend/deliveries.js';
import { parseIdempotencyKeyHeader, rejection } from '../resend/idempotency.js';
import { parseOrderId } from '../resend/request-schema.js';
import { type HttpResponse, isHttpEvent, parseResendHttpRequest, toHttpRequest } from './api-gateway.js';
import { errorResponse, noContentResponse, replayedResponse } from './error-mapping.js';
import { answerDcvEmails, isDcvEmailsPath } from './http-dcv-emails.js';
import { answerDcvStatus, isDcvStatusPath } from './http-dcv-status.js';
import { answerDnsDcv, isDnsDcvPath } from './http-dns-dcv.js';
import type { Invocation } from './invocation.js';

export { isHttpEvent };

/** Answers one API Gateway event; never throws (every failure is a status). */
export async function handleHttp(
  event: Parameters<typeof toHttpRequest>[0],
  invocation: Invocation,
): Promise<HttpResponse> {
  const request = toHttpRequest(event);
  const requestId = request.requestId ?? invocation.awsRequestId;
  // API Gateway gives up after 30 s: an HTTP request is answered well before.
  const deadline = Math.min(invocation.deadline, invocation.started + HTTP_LIMITS.budgetMs);
  if (isDcvEmailsPath(request)) {
    return answerDcvEmails(request, () => invocation.runtime(), { requestId, deadline });
  }
  if (isDcvStatusPath(request)) {
    return answerDcvStatus(request, () => invocation.runtime(), { requestId, deadline });
  }
  if (isDnsDcvPath(request)) {
    return answerDnsDcv(request, () => invocation.runtime(), { requestId, deadline });
  }
  const observer = new InvocationObserver(
    invocation.telemetry,
    { requestId: invocation.awsRequestId, correlationId: requestId, source: 'http' },
    invocation.now,
  );
  let orderId: number | undefined;
  let replayed = false;
  try {
    // The request is checked first: a malformed one is the caller's 4xx whatever the configuration.
    const resendRequest = parseResendHttpRequest(request);
    orderId = resendRequest.order_id;
    const idempotencyKey = parseIdempotencyKeyHeader(request.headers['idempotency-key']);
    const runtime = invocation.runtime();
    const once = await observing(observer, () =>
      httpDelivery(
        runtime.idempotency,
        { idempotencyKey, caller: request.caller },
        resendRequest,
        runtime.resend,
        { deadline },
      ),
    );
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

function answer(response: HttpResponse, replayed: boolean): HttpResponse {
  return replayed ? replayedResponse(response) : response;
}
