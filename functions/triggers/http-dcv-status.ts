/**
 * `GET /order/certificate/{order_id}/dcv` (docs/contract.md §10): what DigiCert knows of an order's
 * validation, as one JSON answer. Statuses come from `error-mapping.ts`, as for the resend route.
 */
import { DCV_STATUS_ROUTE, DCV_STATUS_ROUTE_KEY, REQUEST_LIMITS } from '../app/contract.js';
import type { Runtime } from '../app/runtime.js';
import { ValidationError } from '../lib/errors.js';
import { fallbackTelemetry } from '../observability/invocation.js';
import { describeError, type Logger } from '../observability/logger.js';
import { parseOrderId } from '../resend/request-schema.js';
import { type HttpRequest, HttpRequestError, type HttpResponse, safeDecode } from './api-gateway.js';
import { errorResponse, jsonResponse } from './error-mapping.js';

const ROUTE_PATH = new RegExp(`${DCV_STATUS_ROUTE.path.replace('{order_id}', '([^/]*)')}/?$`);

/** Whether the request is for this route (any method: a wrong one gets 405 here, not 404). */
export function isDcvStatusPath(request: HttpRequest): boolean {
  return ROUTE_PATH.test(request.path);
}

/**
 * The order id of the path, checked as the resend route checks it; `ValidationError`
 * (`invalid_order_id`) when it is not one.
 */
export function parseDcvStatusRequest(request: HttpRequest): number {
  if (request.method !== DCV_STATUS_ROUTE.method) {
    throw new HttpRequestError(
      'method_not_allowed',
      `Method ${request.method} is not allowed; use ${DCV_STATUS_ROUTE_KEY}`,
      DCV_STATUS_ROUTE.method,
    );
  }
  const raw = request.orderIdParam ?? safeDecode(ROUTE_PATH.exec(request.path)?.[1] ?? '');
  const orderId = /^[0-9]+$/.test(raw) ? parseOrderId(raw) : undefined;
  if (orderId === undefined) {
    throw ValidationError.single(
      'order_id',
      `must be a positive integer of at most ${REQUEST_LIMITS.maxOrderIdDigits} digits`,
      'invalid_order_id',
    );
  }
  return orderId;
}

/** Answers the route; never throws. */
export async function answerDcvStatus(
  request: HttpRequest,
  getRuntime: () => Runtime,
  options: { readonly requestId: string; readonly deadline: number },
): Promise<HttpResponse> {
  let logger: Logger = fallbackTelemetry().logger;
  let orderId: number | undefined;
  try {
    orderId = parseDcvStatusRequest(request);
    const runtime = getRuntime();
    logger = runtime.logger;
    const status = await runtime.dcvStatus(orderId, { deadline: options.deadline });
    runtime.logger.info('dcv status read', {
      correlationId: options.requestId,
      orderId,
      orderStatus: status.order_status,
      dcvMethod: status.dcv_method,
      pendingHours: status.pending_hours,
    });
    return jsonResponse(options.requestId, JSON.stringify(status));
  } catch (error) {
    const response = errorResponse(error, options.requestId);
    const level = response.statusCode < 500 ? 'warn' : 'error';
    logger[level]('dcv status failed', {
      correlationId: options.requestId,
      orderId,
      httpStatus: response.statusCode,
      error: describeError(error),
    });
    return response;
  }
}
