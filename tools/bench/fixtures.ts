/** The requests `npm run bench` sends and the bounds it compares with, shared by the benchmark and its child probe. */
import type { Context } from 'aws-lambda';
import { lambdaContext } from '../../dev/lambda-events.js';
import { RESEND_ROUTE, RESEND_ROUTE_KEY, resendPath } from '../../functions/app/contract.js';

/** The key the stand-ins accept, and the secret that holds it. */
export const KEY = 'bench-local-digicert-key-0123456789';
export const SECRET_ID = 'dcv-resend/bench';

/** The body of every benchmark request: a typical one, with one approval address and a locale. */
export const BENCH_BODY = JSON.stringify({
  domain_approval_emails: [
    { domain: 'www.example.com', email: 'admin@example.com', email_domain: 'example.com' },
  ],
  locale: 'en',
});
export const BENCH_ORDER_ID = 123456;

/** A valid API Gateway HTTP API (2.0) event for the resend route (what the warm row invokes). */
export function benchHttpEvent(requestId: string): unknown {
  const path = resendPath(BENCH_ORDER_ID);
  return {
    version: '2.0',
    routeKey: RESEND_ROUTE_KEY,
    rawPath: path,
    rawQueryString: '',
    headers: { 'content-type': 'application/json' },
    pathParameters: { order_id: String(BENCH_ORDER_ID) },
    requestContext: {
      accountId: '123456789012',
      apiId: 'bench',
      domainName: 'bench.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'bench',
      http: {
        method: RESEND_ROUTE.method,
        path,
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: 'bench',
      },
      requestId,
      routeKey: RESEND_ROUTE_KEY,
      stage: '$default',
      time: '29/Nov/2026:16:00:00 +0000',
      timeEpoch: 1795968000000,
    },
    body: BENCH_BODY,
    isBase64Encoded: false,
  };
}

/** A Lambda context with a fixed remaining time, so one context can serve thousands of calls. */
export function benchContext(awsRequestId: string, remainingMs = 30_000): Context {
  return lambdaContext(awsRequestId, () => remainingMs);
}

/**
 * The rate limiter's theoretical bound for `orders` sent `concurrency` at a time, each call taking
 * `latencyMs`: the fastest any limiter honouring `limits` the way ours does can finish. Ours holds a
 * request's slot from its grant to its release (one call) and then for one whole window, since
 * DigiCert counts the request at some moment in between. So each window the batch has to wait for
 * costs `windowMs + latencyMs`, under the limit that makes it wait longest; the orders of the last
 * window then go out at full concurrency. Never less than the concurrency alone allows.
 */
export function limiterBoundMs(
  orders: number,
  limits: readonly { limit: number; windowMs: number }[],
  concurrency: number,
  latencyMs: number,
): number {
  let waitMs = 0;
  let lastWave = orders;
  for (const { limit, windowMs } of limits) {
    const windows = Math.ceil(orders / limit) - 1;
    if (windows * (windowMs + latencyMs) > waitMs) {
      waitMs = windows * (windowMs + latencyMs);
      lastWave = orders - windows * limit;
    }
  }
  const concurrencyOnly = Math.ceil(orders / concurrency) * latencyMs;
  return Math.max(concurrencyOnly, waitMs + Math.ceil(lastWave / concurrency) * latencyMs);
}
