/**
 * `POST /order/certificate/{order_id}/dcv/dns` (docs/contract.md §12): moves the order to DNS DCV
 * and starts the workflow that publishes, checks and cleans up; 202 with the records and the
 * execution. Body optional: `{"method": "dns-txt-token" | "dns-cname-token"}` (TXT by default).
 * Statuses come from `error-mapping.ts`, as for every route.
 */
import { DNS_DCV_ROUTE, type DnsDcvMethod } from '../app/contract.js';
import type { Runtime } from '../app/runtime.js';
import { type Issue, ValidationError } from '../lib/errors.js';
import { isRecord } from '../lib/is-record.js';
import { fallbackTelemetry } from '../observability/invocation.js';
import { describeError, type Logger } from '../observability/logger.js';
import { type HttpRequest, type HttpResponse, parseJsonBody } from './api-gateway.js';
import { parseDnsDcvMethod } from './direct-payload.js';
import { errorResponse, jsonResponse } from './error-mapping.js';
import { orderRoute } from './order-route.js';

const ROUTE = orderRoute(DNS_DCV_ROUTE);

/** Whether the request is for this route (any method: a wrong one gets 405 here, not 404). */
export function isDnsDcvPath(request: HttpRequest): boolean {
  return ROUTE.matches(request);
}

/** The order id and the method; `ValidationError` naming `order_id` or `method`, before DigiCert is called. */
export function parseDnsDcvRequest(request: HttpRequest): { orderId: number; method: DnsDcvMethod } {
  const orderId = ROUTE.orderId(request);
  const body = parseJsonBody(request);
  if (body === undefined) return { orderId, method: 'dns-txt-token' };
  if (!isRecord(body))
    throw ValidationError.single('', 'body must be a JSON object, such as {"method": "dns-txt-token"}');
  const issues: Issue[] = [];
  for (const key of Object.keys(body)) {
    if (key !== 'method') issues.push({ field: key, message: 'is not a known field', code: 'invalid_input' });
  }
  const method = parseDnsDcvMethod(body.method, 'method', issues);
  if (method === undefined || issues.length > 0) throw new ValidationError(issues);
  return { orderId, method };
}

/** Answers the route; never throws. */
export async function answerDnsDcv(
  request: HttpRequest,
  getRuntime: () => Runtime,
  options: { readonly requestId: string; readonly deadline: number },
): Promise<HttpResponse> {
  let logger: Logger = fallbackTelemetry().logger;
  let orderId: number | undefined;
  try {
    const parsed = parseDnsDcvRequest(request);
    orderId = parsed.orderId;
    const runtime = getRuntime();
    logger = runtime.logger;
    const started = await runtime.dnsDcv.start(parsed.orderId, parsed.method, { deadline: options.deadline });
    runtime.logger.info('dns dcv start answered', {
      correlationId: options.requestId,
      orderId,
      method: parsed.method,
      execution: started.execution,
      published: started.records.filter((record) => record.published).length,
      byHand: started.records.filter((record) => !record.published).length,
    });
    return jsonResponse(options.requestId, JSON.stringify(started), 202);
  } catch (error) {
    const response = errorResponse(error, options.requestId);
    const level = response.statusCode < 500 ? 'warn' : 'error';
    logger[level]('dns dcv start failed', {
      correlationId: options.requestId,
      orderId,
      httpStatus: response.statusCode,
      error: describeError(error),
    });
    return response;
  }
}
