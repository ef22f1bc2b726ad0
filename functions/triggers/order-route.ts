/**
 * A route of this product under `/order/certificate/{order_id}/...` other than the resend's
 * (docs/contract.md §10, §12): which requests are for it (any method: a wrong one gets 405 from it,
 * not 404), and the order id of its path, checked as the resend route checks it.
 */
import { REQUEST_LIMITS } from '../app/contract.js';
import { ValidationError } from '../lib/errors.js';
import { parseOrderId } from '../resend/request-schema.js';
import { type HttpRequest, HttpRequestError, safeDecode } from './api-gateway.js';

export interface OrderRoute {
  /** Whether the request's path is this route's. */
  matches(request: HttpRequest): boolean;
  /**
   * The path's order id: `HttpRequestError` `method_not_allowed` for another method, then
   * `ValidationError` (`invalid_order_id`) when it is not one.
   */
  orderId(request: HttpRequest): number;
}

export function orderRoute(route: { readonly method: string; readonly path: string }): OrderRoute {
  const path = new RegExp(`${route.path.replace('{order_id}', '([^/]*)')}/?$`);
  const routeKey = `${route.method} ${route.path}`;
  return {
    matches: (request) => path.test(request.path),
    orderId(request) {
      if (request.method !== route.method) {
        throw new HttpRequestError(
          'method_not_allowed',
          `Method ${request.method} is not allowed; use ${routeKey}`,
          route.method,
        );
      }
      const raw = request.orderIdParam ?? safeDecode(path.exec(request.path)?.[1] ?? '');
      const orderId = /^[0-9]+$/.test(raw) ? parseOrderId(raw) : undefined;
      if (orderId === undefined) {
        throw ValidationError.single(
          'order_id',
          `must be a positive integer of at most ${REQUEST_LIMITS.maxOrderIdDigits} digits`,
          'invalid_order_id',
        );
      }
      return orderId;
    },
  };
}
