/**
 * The `Retry-After` of a refused request (docs/contract.md §7): when the use case gives up for want
 * of a slot, or after DigiCert's 429s, the caller is told when the slot or the 429 pause that stopped
 * it really ends, as the shared budget knows it, not a fixed 5 s (too short during a pause, which a
 * retry then only prolongs) nor DigiCert's own value (which the pause caps at 180 s).
 */
import { UpstreamError } from '../lib/errors.js';
import type { RateLimiter } from '../resend/ports.js';
import { isRetryHinting } from './pause.js';

/**
 * `call` (the resend use case, an order's DCV status), whose `request_limit_exceeded` errors carry the time until the slot or the pause behind
 * this container's latest refusal ends, or the 429 pause (rounded up to whole seconds), when
 * `limiter` knows one. Refusals close together in one container see the same pause and neighbouring
 * slots, so the latest one speaks for each.
 */
export function withLimiterRetryAfter<A extends unknown[], R>(
  call: (...args: A) => Promise<R>,
  limiter: RateLimiter,
  now: () => number = Date.now,
): (...args: A) => Promise<R> {
  if (!isRetryHinting(limiter)) return call;
  return async (...args) => {
    try {
      return await call(...args);
    } catch (error) {
      if (!(error instanceof UpstreamError) || error.code !== 'request_limit_exceeded') throw error;
      const until = limiter.retryAt();
      if (until === undefined) throw error;
      throw new UpstreamError(error.code, error.message, {
        cause: error.cause,
        attempts: error.attempts,
        retryAfterSeconds: Math.max(1, Math.ceil((until - now()) / 1000)),
      });
    }
  };
}
