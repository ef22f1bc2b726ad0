/**
 * Route 53's request budget (docs/dns-dcv.md, "Route 53's 5 requests per second"): Route 53 allows
 * about 5 API requests per second per account, for every container and every other tool there
 * together. Every request the Route 53 client sends, each SDK retry included, first takes a slot of
 * a limiter, and gives it back when answered: with a state table, the budget every container shares
 * (`app/state.ts`, key prefix `route53-budget`); without one, this container's own sliding window.
 * No Route 53 SDK import here: the state table's chunk builds the limiter without loading the client.
 */
import type { Route53Client } from '@aws-sdk/client-route-53';
import type { RateLimiter } from '../../resend/ports.js';

/** Route 53 counts per second. */
export const ROUTE53_RATE_WINDOW_MS = 1_000;

/**
 * The longest one request waits for its slot before it fails as a passing error (the workflow
 * retries the task with backoff): within a task's timeout (5 minutes), yet long enough to queue
 * behind a burst of workflows (100 publishes of 2 requests each take 40 s at 5 per second).
 */
export const ROUTE53_SLOT_WAIT_MS = 60_000;

/** Upper bound on one Route 53 attempt (`ROUTE53_BOUNDS.requestTimeoutMs`): part of a shared slot's lease. */
export const ROUTE53_ATTEMPT_TIMEOUT_MS = 5_000;

/** The budget's windows at `ratePerSecond` (`DNS_DCV_ROUTE53_RATE_PER_S`). */
export function route53Windows(ratePerSecond: number) {
  return [{ limit: ratePerSecond, windowMs: ROUTE53_RATE_WINDOW_MS }] as const;
}

/** No slot freed within {@link ROUTE53_SLOT_WAIT_MS}: the request was not sent. */
export class Route53BudgetExhaustedError extends Error {
  override readonly name = 'Route53BudgetExhausted';
}

/**
 * Makes every request `client` sends take a slot of `limiter` first and release it when answered
 * (or failed). Each attempt of the SDK's retries counts, as Route 53 counts it.
 */
export function limitRoute53Requests(
  client: Route53Client,
  limiter: RateLimiter,
  { maxWaitMs = ROUTE53_SLOT_WAIT_MS, now = Date.now }: { maxWaitMs?: number; now?: () => number } = {},
): Route53Client {
  // The deserialize step runs once per attempt, inside the SDK's retries (as `rate-limit/shared-budget.ts` weighs its answers).
  client.middlewareStack.add(
    (next) => async (args) => {
      if (!(await limiter.acquire(now() + maxWaitMs))) {
        throw new Route53BudgetExhaustedError(
          `no Route 53 request slot freed within ${maxWaitMs} ms (DNS_DCV_ROUTE53_RATE_PER_S)`,
        );
      }
      try {
        return await next(args);
      } finally {
        limiter.release?.();
      }
    },
    { step: 'deserialize', name: 'route53RequestBudget' },
  );
  return client;
}
