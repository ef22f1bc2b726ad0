/**
 * Rate limiters for tests: one that never waits (tests of other behaviour), and the real sliding
 * window limiter with its windows shortened (tests that watch it work without waiting seconds).
 * Production code has neither: it wires the real limiter with DigiCert's windows.
 */

import {
  createSlidingWindowLimiter,
  type SlidingWindowLimiter,
} from '../../functions/rate-limit/sliding-window.js';
import type { RateWindow } from '../../functions/rate-limit/window.js';
import type { RateLimiter } from '../../functions/resend/ports.js';

/** A limiter that never waits. */
export const unlimited: RateLimiter = { acquire: () => Promise.resolve(true) };

/**
 * The real limiter over `windows` with every window multiplied by `scale` (`0.1` turns "50 per
 * 5 s" into "50 per 500 ms").
 */
export function scaledLimiter(windows: readonly RateWindow[], scale: number): SlidingWindowLimiter {
  return createSlidingWindowLimiter({
    windows: windows.map(({ limit, windowMs }) => ({ limit, windowMs: windowMs * scale })),
  });
}
