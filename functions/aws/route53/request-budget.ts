/**
 * Route 53's request budget (docs/dns-dcv.md, "Route 53's 5 requests per second"): Route 53 allows
 * about 5 API requests per second per account, for every container and every other tool there
 * together. Every request the adapter sends (`records.ts`), each SDK retry included, first takes a
 * slot of a limiter, and gives it back when answered: with a state table, the budget every container shares
 * (`app/state.ts`, key prefix `route53-budget`); without one, this container's own sliding window.
 * No Route 53 SDK import here: the state table's chunk builds the limiter without loading the client.
 */
import type {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  ListHostedZonesByNameCommand,
  ListResourceRecordSetsCommand,
} from '@aws-sdk/client-route-53';
import type { RateLimiter } from '../../resend/ports.js';

/** Route 53 counts per second. */
export const ROUTE53_RATE_WINDOW_MS = 1_000;

/**
 * The longest one request waits for its slot before it fails as a passing error (the workflow
 * retries the task with backoff), when the invocation's deadline does not cut it shorter: long
 * enough to queue behind a burst of workflows (100 publishes of 2 requests each take 40 s at 5 per
 * second).
 */
export const ROUTE53_SLOT_WAIT_MS = 60_000;

/** Upper bound on one Route 53 attempt (`ROUTE53_BOUNDS.requestTimeoutMs`): part of a shared slot's lease. */
export const ROUTE53_ATTEMPT_TIMEOUT_MS = 5_000;

/** The budget's windows at `ratePerSecond` (`DNS_DCV_ROUTE53_RATE_PER_S`). */
export function route53Windows(ratePerSecond: number) {
  return [{ limit: ratePerSecond, windowMs: ROUTE53_RATE_WINDOW_MS }] as const;
}

/** No slot freed within {@link ROUTE53_SLOT_WAIT_MS}, or before the call's deadline: the request was not sent. */
export class Route53BudgetExhaustedError extends Error {
  override readonly name = 'Route53BudgetExhausted';
}

/** The commands the adapter sends (`records.ts`). */
export type Route53Command =
  | ChangeResourceRecordSetsCommand
  | GetChangeCommand
  | ListHostedZonesByNameCommand
  | ListResourceRecordSetsCommand;

/**
 * `command`, each attempt of which (the SDK's retries included: Route 53 counts them too) first takes
 * a slot of `limiter` and gives it back when answered or failed. A request waits for its slot at
 * most {@link ROUTE53_SLOT_WAIT_MS}, and never so long that its attempt could not end by `deadline`
 * (the invocation's): then it is not sent, and fails with {@link Route53BudgetExhaustedError}.
 */
export function takesSlot<C extends Route53Command>(
  command: C,
  limiter: RateLimiter,
  deadline: number | undefined,
  now: () => number = Date.now,
): C {
  // The deserialize step runs once per attempt, inside the SDK's retries (as
  // `rate-limit/shared-budget.ts` weighs its answers); the middleware only wraps the exchange,
  // the same for every command's types.
  const stack = command.middlewareStack as GetChangeCommand['middlewareStack'];
  stack.add(
    (next) => async (args) => {
      const at = now();
      const waitUntil = Math.min(
        at + ROUTE53_SLOT_WAIT_MS,
        (deadline ?? Number.POSITIVE_INFINITY) - ROUTE53_ATTEMPT_TIMEOUT_MS,
      );
      if (!(await limiter.acquire(waitUntil))) {
        throw new Route53BudgetExhaustedError(
          `no Route 53 request slot freed within ${Math.max(0, waitUntil - at)} ms (DNS_DCV_ROUTE53_RATE_PER_S)`,
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
  return command;
}
