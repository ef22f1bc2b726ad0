/**
 * `GET /order/certificate/{order_id}/dcv` (docs/contract.md §10): what DigiCert knows of an order's
 * validation, as one JSON answer. Statuses come from `error-mapping.ts`, as for the resend route.
 */
import { DCV_STATUS_ROUTE } from '../app/contract.js';
import type { Runtime } from '../app/runtime.js';
import { fallbackTelemetry } from '../observability/invocation.js';
import { describeError, type Logger } from '../observability/logger.js';
import type { HttpRequest, HttpResponse } from './api-gateway.js';
import { errorResponse, jsonResponse } from './error-mapping.js';
import { orderRoute } from './order-route.js';

const ROUTE = orderRoute(DCV_STATUS_ROUTE);

/** Whether the request is for this route (any method: a wrong one gets 405 here, not 404). */
export function isDcvStatusPath(request: HttpRequest): boolean {
  return ROUTE.matches(request);
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
    orderId = ROUTE.orderId(request);
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
