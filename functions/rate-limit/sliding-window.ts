/**
 * The container's client-side rate limiter: keeps the DigiCert requests of every invocation this
 * container serves under DigiCert's per-key limits (100 per 5 s and 1000 per 3 min, rolling), so
 * that a burst queues here instead of being answered 429 there.
 *
 * A sliding window log, anchored where DigiCert counts. DigiCert counts a request when it arrives,
 * which this side never observes: it lies somewhere between the grant and the end of the attempt.
 * So a request counts against every window from its grant until it is released (in flight), and
 * then for one full window from its release. Whatever the network delays, no window of DigiCert's
 * can then see more than `limit` requests (a window anchored at the grant cannot promise that: a
 * first request on a cold TLS connection arrives long after a later one on a warm connection).
 *
 * Waiters are served first come, first served, when a slot frees: by a release, or by one timer
 * set for the moment the oldest released request leaves its window; nobody polls. A waiter that
 * cannot get a slot before its deadline is answered `false` at once (the queue ahead of it is
 * projected), or at the latest when its deadline passes.
 */
import type { RateLimiter } from '../resend/ports.js';
import type { RateWindow } from './window.js';

/** Time and timers, injectable so that unit tests can drive the limiter with a fake clock. */
export interface LimiterClock {
  now(): number;
  /** Calls `callback` after `delayMs`; the returned function cancels it. */
  schedule(callback: () => void, delayMs: number): () => void;
}

export const systemClock: LimiterClock = {
  now: () => Date.now(),
  schedule: (callback, delayMs) => {
    const timer = setTimeout(callback, delayMs);
    return () => clearTimeout(timer);
  },
};

export interface SlidingWindowLimiterOptions {
  readonly windows: readonly RateWindow[];
  readonly clock?: LimiterClock;
}

export interface SlidingWindowLimiter extends RateLimiter {
  release(): void;
  /** Acquirers waiting for a slot now. */
  readonly waiting: number;
  /** Granted requests not yet released. */
  readonly inFlight: number;
}

interface Waiter {
  readonly deadline: number;
  readonly resolve: (granted: boolean) => void;
}

/** `setTimeout` cannot wait longer (a larger delay fires at once). */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Builds a limiter under which no interval of `windowMs` can hold more than `limit` arrivals at
 * DigiCert, for every one of `windows`, however many callers acquire at once. Every granted
 * `acquire` must be followed by one `release` when the request has finished.
 */
export function createSlidingWindowLimiter(options: SlidingWindowLimiterOptions): SlidingWindowLimiter {
  for (const { limit, windowMs } of options.windows) {
    if (!Number.isSafeInteger(limit) || limit < 1) {
      throw new RangeError(`rate limit must be a positive integer, got ${limit}`);
    }
    if (!Number.isFinite(windowMs) || windowMs <= 0) {
      throw new RangeError(`rate limit window must be a positive number of milliseconds, got ${windowMs}`);
    }
  }
  return new SlidingWindowRateLimiter(options.windows, options.clock ?? systemClock);
}

class SlidingWindowRateLimiter implements SlidingWindowLimiter {
  readonly #windows: readonly RateWindow[];
  readonly #clock: LimiterClock;
  /** Release times of finished requests, ascending; only the last `#keep` matter to any window. */
  readonly #released: number[] = [];
  readonly #keep: number;
  readonly #longestWindowMs: number;
  #inFlight = 0;
  #queue: Waiter[] = [];
  #cancelTimer: (() => void) | undefined;

  constructor(windows: readonly RateWindow[], clock: LimiterClock) {
    this.#windows = windows;
    this.#clock = clock;
    this.#keep = Math.max(0, ...windows.map((w) => w.limit));
    this.#longestWindowMs = Math.max(0, ...windows.map((w) => w.windowMs));
  }

  get waiting(): number {
    return this.#queue.length;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  acquire(deadline: number): Promise<boolean> {
    const now = this.#clock.now();
    // The hot path: nobody waiting and a slot free now. No projection needed (it would say "now").
    if (this.#queue.length === 0 && this.#nextFreeAt() <= now) {
      if (deadline < now) return Promise.resolve(false);
      this.#inFlight += 1;
      return Promise.resolve(true);
    }
    if (this.#projectedGrant(now, this.#queue.length) > deadline) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      this.#queue.push({ deadline, resolve });
      this.#pump();
    });
  }

  release(): void {
    if (this.#inFlight === 0) return;
    this.#inFlight -= 1;
    // Never record a time before the last one: a clock stepping back must not free slots early.
    const now = this.#clock.now();
    this.#released.push(Math.max(now, this.#released[this.#released.length - 1] ?? now));
    // Only the newest `#keep` releases, and none older than the longest window, can matter.
    let stale = Math.max(0, this.#released.length - this.#keep);
    while (stale < this.#released.length && (this.#released[stale] ?? now) <= now - this.#longestWindowMs)
      stale += 1;
    if (stale > 0) this.#released.splice(0, stale);
    if (this.#queue.length > 0) this.#pump();
  }

  /** The earliest time at which one more request keeps every window within its limit. */
  #nextFreeAt(released: readonly number[] = this.#released, inFlight = this.#inFlight): number {
    let at = Number.NEGATIVE_INFINITY;
    for (const { limit, windowMs } of this.#windows) {
      // In-flight requests hold their slots until released; then the released ones count, newest first.
      const fromReleased = limit - inFlight;
      if (fromReleased <= 0) return Number.POSITIVE_INFINITY;
      // Fewer releases than the limit: nothing to wait for.
      if (fromReleased > released.length) continue;
      const oldest = released[released.length - fromReleased] as number;
      at = Math.max(at, oldest + windowMs);
    }
    return at;
  }

  /**
   * When the waiter behind `ahead` others would be served, if all of them are and every request in
   * flight finished now: an optimistic bound, so that only waiters that surely cannot make it are
   * turned away at once.
   */
  #projectedGrant(now: number, ahead: number): number {
    const released = [...this.#released, ...new Array<number>(this.#inFlight).fill(now)].sort(
      (a, b) => a - b,
    );
    let at = now;
    for (let i = 0; i <= ahead; i += 1) {
      at = Math.max(at, this.#nextFreeAt(released, 0));
      released.push(at);
    }
    return at;
  }

  /** Serves the queue as far as the windows allow, expires late waiters, and sets the next timer. */
  #pump(): void {
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
    const now = this.#clock.now();
    for (let head = this.#queue[0]; head !== undefined; head = this.#queue[0]) {
      if (head.deadline < now) {
        this.#queue.shift();
        head.resolve(false);
        continue;
      }
      if (this.#nextFreeAt() > now) break;
      this.#queue.shift();
      this.#inFlight += 1;
      head.resolve(true);
    }
    if (this.#queue.length === 0) return;

    // Waiters further back whose deadline passed (a late timer) are answered now, not at their turn.
    let earliestDeadline = Number.POSITIVE_INFINITY;
    this.#queue = this.#queue.filter((waiter) => {
      if (waiter.deadline < now) {
        waiter.resolve(false);
        return false;
      }
      earliestDeadline = Math.min(earliestDeadline, waiter.deadline);
      return true;
    });
    if (this.#queue.length === 0) return;
    // A slot held in flight frees on `release`, which pumps; only time-bound events need the timer.
    const wakeAt = Math.min(this.#nextFreeAt(), earliestDeadline + 1);
    if (wakeAt === Number.POSITIVE_INFINITY) return;
    this.#cancelTimer = this.#clock.schedule(
      () => {
        this.#cancelTimer = undefined;
        this.#pump();
      },
      Math.min(MAX_TIMER_MS, Math.max(1, Math.ceil(wakeAt - now))),
    );
  }
}
