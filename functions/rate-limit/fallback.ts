/**
 * The fallback (docs/contract.md §7): while the state table cannot be reached, a container keeps to
 * its share of the budget, the limit divided by the most containers that can run, or refuses when no
 * share is known; after `probeMs` one acquire tries the table again. The ring on the table leaves
 * the shares of `fallbackSeats` containers unused (`ringWindows`), so that the containers on the
 * table and those on their share together keep to the budget. Why a share and not "send anyway",
 * and why that many seats: docs/design/rate-budget.md, "The table unreachable".
 */
import type { RateLimiter } from '../resend/ports.js';
import { type BudgetClock, latestAhead, type Pausable, type RetryHinting, waitOutPause } from './pause.js';
import type { RateWindow } from './window.js';

/** A limiter that needs to be told when its request has finished. */
export interface ReleasingRateLimiter extends RateLimiter {
  release(): void;
}

/** A table-backed limiter's table cannot be reached (not a lost race). */
export class TableUnavailableError extends Error {
  override readonly name = 'TableUnavailableError';
}

/** A table call was cut short by the caller's deadline: nothing learned about the table. */
export class DeadlineReachedError extends Error {
  override readonly name = 'DeadlineReachedError';
}

/**
 * The budget on the table, as the fallback sees it: `acquire` rejects with `TableUnavailableError`
 * or `DeadlineReachedError` instead of answering `false` for them.
 */
export interface TableBudget extends ReleasingRateLimiter, Pausable, RetryHinting {
  /** The pause this container knows of (epoch ms; 0 for none): the fallback keeps to it too. */
  pausedUntil(): number;
  /** Resolves when the writes started by `release` and `pause` have finished. */
  flush(): Promise<void>;
}

export interface FallbackOptions {
  /** The container's share of the budget; without one, acquires are refused while the table cannot be reached. */
  readonly fallback: ReleasingRateLimiter | undefined;
  /** How long the fallback is used after a failed call before one acquire tries the table again. */
  readonly probeMs: number;
  readonly clock: BudgetClock;
  /** Told when the table cannot be reached and the fallback takes over (logs); must not throw. */
  readonly onTableUnavailable?: (error: unknown) => void;
  /**
   * How long after its last request on its share a container back on the table still keeps to its
   * share as well: the longest window, in which that request still counts.
   */
  readonly holdShareMs: number;
}

/**
 * One share of the budget per container while the table cannot be reached: the limit divided by the
 * most containers that can run, so that all of them together still keep to it. `undefined` (refuse
 * instead) when no divisor is known or a share would round down to nothing.
 */
export function fallbackShare(
  windows: readonly RateWindow[],
  divisor: number | undefined,
): RateWindow[] | undefined {
  if (divisor === undefined) return undefined;
  const share = windows.map(({ limit, windowMs }) => ({ limit: Math.floor(limit / divisor), windowMs }));
  return share.every((window) => window.limit >= 1) ? share : undefined;
}

/**
 * How many containers the ring leaves room for on their share at once: a tenth of the most
 * containers, at least one; none when only one can run (it is never on the table and on its share
 * at once, and back on the table it keeps to its share for a window: `FallbackSwitch`).
 */
export function fallbackSeats(divisor: number): number {
  return divisor <= 1 ? 0 : Math.ceil(divisor / 10);
}

/**
 * The ring's windows: the budget less the shares of `fallbackSeats(divisor)` containers, the
 * reserve that containers on their share use while the others use the table. Without a share the
 * ring has the whole budget.
 */
export function ringWindows(
  windows: readonly RateWindow[],
  divisor: number | undefined,
): readonly RateWindow[] {
  const share = fallbackShare(windows, divisor);
  if (share === undefined || divisor === undefined) return windows;
  const seats = fallbackSeats(divisor);
  return windows.map(({ limit, windowMs }, i) => ({
    limit: limit - seats * (share[i]?.limit ?? 0),
    windowMs,
  }));
}

/** `budget`, switching to `options.fallback` (or refusing) while its table cannot be reached. */
export function withFallback(
  budget: TableBudget,
  options: FallbackOptions,
): ReleasingRateLimiter & Pausable & RetryHinting & { flush(): Promise<void> } {
  return new FallbackSwitch(budget, options);
}

class FallbackSwitch implements ReleasingRateLimiter, Pausable, RetryHinting {
  readonly #budget: TableBudget;
  readonly #options: FallbackOptions;
  /** Who granted each request not yet released, oldest first (`release()` carries no identity). */
  readonly #grants: ('table' | 'fallback' | 'both')[] = [];
  /**
   * Until when a request on the table also keeps to this container's share (`holdShareMs` after the
   * last request on it was answered; and while one is in flight).
   */
  #shareUntil = 0;
  /** Until when acquires go to the fallback without trying the table. */
  #fallbackUntil = 0;
  /** Set when this container's latest refusal came from the fallback; else the table's says when it ends. */
  #refusedUntil: { readonly at: number | undefined } | undefined;

  constructor(budget: TableBudget, options: FallbackOptions) {
    this.#budget = budget;
    this.#options = options;
  }

  async acquire(deadline: number): Promise<boolean> {
    const { clock, probeMs } = this.#options;
    const now = clock.now();
    if (deadline < now) return false;
    if (now < this.#fallbackUntil) return this.#acquireFallback(deadline);
    // While this acquire probes the table, the others use the fallback instead of queueing on it.
    if (this.#fallbackUntil > 0) this.#fallbackUntil = now + probeMs;
    // Back on the table, the requests this container sent on its share still count in DigiCert's
    // windows, beside the ring's: until they have left them it keeps to its share as well.
    const { fallback } = this.#options;
    const alsoShare =
      fallback !== undefined && (now < this.#shareUntil || this.#grants.some((grant) => grant !== 'table'));
    if (alsoShare && !(await fallback.acquire(deadline))) {
      this.#refusedUntil = { at: undefined };
      return false;
    }
    try {
      const granted = await this.#budget.acquire(deadline);
      this.#fallbackUntil = 0;
      if (granted) this.#grants.push(alsoShare ? 'both' : 'table');
      else {
        if (alsoShare) fallback.release();
        this.#refusedUntil = undefined;
      }
      return granted;
    } catch (error) {
      if (alsoShare) fallback.release();
      if (error instanceof DeadlineReachedError) {
        this.#refusedUntil = { at: undefined };
        return false;
      }
      if (!(error instanceof TableUnavailableError)) throw error;
      this.#fallbackUntil = clock.now() + probeMs;
      this.#options.onTableUnavailable?.(error.cause);
      return this.#acquireFallback(deadline);
    }
  }

  release(): void {
    const grant = this.#grants.shift();
    if (grant === 'table' || grant === 'both') this.#budget.release();
    if (grant === 'fallback' || grant === 'both') {
      this.#options.fallback?.release();
      this.#shareUntil = this.#options.clock.now() + this.#options.holdShareMs;
    }
  }

  pause(retryAfterSeconds?: number): void {
    this.#budget.pause(retryAfterSeconds);
  }

  flush(): Promise<void> {
    return this.#budget.flush();
  }

  retryAt(): number | undefined {
    if (this.#refusedUntil === undefined) return this.#budget.retryAt();
    return latestAhead(this.#options.clock.now(), this.#refusedUntil.at, this.#budget.pausedUntil());
  }

  async #acquireFallback(deadline: number): Promise<boolean> {
    const { fallback, clock } = this.#options;
    // Without a share nothing says when the table will answer again; the share's own refusal neither.
    if (!fallback) {
      this.#refusedUntil = { at: undefined };
      return false;
    }
    const paused = this.#budget.pausedUntil();
    if (!(await waitOutPause(clock, paused, deadline))) {
      this.#refusedUntil = { at: paused };
      return false;
    }
    const granted = await fallback.acquire(deadline);
    if (granted) this.#grants.push('fallback');
    else this.#refusedUntil = { at: undefined };
    return granted;
  }
}
