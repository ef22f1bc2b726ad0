/**
 * The 429 pause (docs/contract.md §7): when DigiCert answers 429, every container waits before its
 * next request. The shared budget keeps the pause on the state table (`shared-budget.ts`); this is
 * the hook that tells it, and the pause's length. Why: docs/design/rate-budget.md, "The 429 pause".
 */
import { DEFAULT_RETRY_AFTER_SECONDS } from '../app/contract.js';
import type { AttemptObserver, RateLimiter } from '../resend/ports.js';

/** Time, injectable so that tests can skew one container's clock. */
export interface BudgetClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemBudgetClock: BudgetClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** A 429 without `Retry-After`: at least DigiCert's short window, plus jitter so that containers do not resume in step. */
const PAUSE_JITTER_MS = 1_000;

/**
 * The longest pause one 429 causes: DigiCert's longest window (docs/contract.md §7). A longer
 * `Retry-After` (DigiCert's parser passes up to a day on) cannot mean more than that the long window
 * is full, which empties within it; waiting a day would stop every container for a day.
 */
export const MAX_PAUSE_MS = 180_000;

/** A limiter that can pause every container (the shared budget). */
export interface Pausable {
  /**
   * DigiCert answered 429: every container waits `retryAfterSeconds` (when DigiCert sent one), else
   * 5 s plus up to 1 s of jitter, before its next request; never more than `MAX_PAUSE_MS`.
   */
  pause(retryAfterSeconds?: number): void;
}

/**
 * How long a 429 pauses: DigiCert's `Retry-After` when it sent one, else 5 s plus jitter; at most
 * `MAX_PAUSE_MS`.
 */
export function pauseMs(retryAfterSeconds: number | undefined, random: () => number = Math.random): number {
  const ms =
    retryAfterSeconds === undefined
      ? DEFAULT_RETRY_AFTER_SECONDS * 1000 + Math.floor(random() * PAUSE_JITTER_MS)
      : Math.max(0, retryAfterSeconds * 1000);
  return Math.min(MAX_PAUSE_MS, ms);
}

/** A limiter that can say when a request it refused could have had a slot (the shared budget). */
export interface RetryHinting {
  /**
   * Epoch ms at which the slot or the pause behind this container's latest refusal ends, or the
   * 429 pause it knows of, whichever is later; `undefined` when neither lies ahead (the table could
   * not be read, or the deadline had passed: nothing says when).
   */
  retryAt(): number | undefined;
}

/** Whether `limiter` can say when a refused request's slot or pause ends. */
export function isRetryHinting(limiter: RateLimiter): limiter is RateLimiter & RetryHinting {
  return typeof (limiter as { retryAt?: unknown }).retryAt === 'function';
}

/** Until `clock` reads `at` or later: a timer may fire a millisecond early by the wall clock. */
export async function sleepUntil(clock: BudgetClock, at: number): Promise<void> {
  for (let now = clock.now(); now < at; now = clock.now()) await clock.sleep(at - now);
}

/** The latest of `times` still ahead of `now`, or `undefined`. */
export function latestAhead(now: number, ...times: readonly (number | undefined)[]): number | undefined {
  const ahead = times.filter((time): time is number => time !== undefined && time > now);
  return ahead.length === 0 ? undefined : Math.max(...ahead);
}

/** Sleeps through a pause that ends at `pausedUntil`; `false` (at once) when it lasts past `deadline`. */
export async function waitOutPause(
  clock: BudgetClock,
  pausedUntil: number,
  deadline: number,
): Promise<boolean> {
  if (pausedUntil <= clock.now()) return true;
  if (pausedUntil > deadline) return false;
  await sleepUntil(clock, pausedUntil);
  return true;
}

/** Whether `limiter` is one whose 429 pause should be triggered (the shared budget). */
export function isPausable(limiter: RateLimiter): limiter is RateLimiter & Pausable {
  return typeof (limiter as { pause?: unknown }).pause === 'function';
}

/**
 * The attempt observer that turns DigiCert's 429 into a pause of every container; `undefined` for a
 * limiter that has no shared pause (the per-container sliding window).
 */
export function pauseOnRateLimited(limiter: RateLimiter): AttemptObserver | undefined {
  if (!isPausable(limiter)) return undefined;
  return ({ outcome }) => {
    if (outcome.kind === 'rate_limited') limiter.pause(outcome.retryAfterSeconds);
  };
}
