/**
 * The sweep's share of the rate budget (docs/contract.md §11, `DCV_SWEEP_BUDGET_SHARE`): a request
 * of the sweep takes a slot from a budget of that share first, then one from the budget every
 * caller shares. The sweep can therefore never hold more than its share of any window, and callers
 * always have the rest to themselves.
 */
import type { RateLimit } from '../app/config.js';
import type { RateLimiter } from '../resend/ports.js';

/** `windows` scaled to `share` (each at least one request). */
export function shareOf(windows: readonly RateLimit[], share: number): RateLimit[] {
  return windows.map(({ limit, windowMs }) => ({ limit: Math.max(1, Math.floor(limit * share)), windowMs }));
}

/** A limiter that grants a slot only when both `share` and `shared` grant one; releases both. */
export function withinShare(share: RateLimiter, shared: RateLimiter): RateLimiter {
  return {
    async acquire(deadline) {
      if (!(await share.acquire(deadline))) return false;
      let granted = false;
      try {
        granted = await shared.acquire(deadline);
        return granted;
      } finally {
        // The share's slot was for a request that will not be sent.
        if (!granted) share.release?.();
      }
    },
    release() {
      shared.release?.();
      share.release?.();
    },
  };
}
