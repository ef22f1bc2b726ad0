/**
 * The state table's pieces (`state.ts`) behind the domain's ports, loaded when first used. The
 * container's first rate-limited call or recorded delivery imports them, once; a failed import is not
 * kept (the next call tries again), and meanwhile nothing is sent that the budget or the record could
 * not vouch for: the limiter refuses (docs/contract.md §7, "or refuse"), and a recorded delivery
 * (`runtime.ts` wraps `ready()` in an `OnDemandIdempotencyStore`) fails as `state_unavailable`
 * without calling DigiCert (§6), as when the table cannot be reached.
 */
import type { AttemptObserver, RateLimiter } from '../resend/ports.js';
import type { StateWiring } from './state.js';

/** Loads the container's state wiring once; concurrent first calls share one load. */
export class DeferredState {
  readonly #load: () => Promise<StateWiring>;
  readonly #onLoadFailed: (error: unknown) => void;
  #wiring: Promise<StateWiring> | undefined;

  constructor(load: () => Promise<StateWiring>, onLoadFailed: (error: unknown) => void) {
    this.#load = load;
    this.#onLoadFailed = onLoadFailed;
  }

  ready(): Promise<StateWiring> {
    this.#wiring ??= this.#load().catch((error: unknown) => {
      this.#wiring = undefined;
      this.#onLoadFailed(error);
      throw error;
    });
    return this.#wiring;
  }
}

/** The shared budget, loaded on the first `acquire`; it also carries the 429 pause (`isPausable`). */
export class DeferredRateLimiter implements RateLimiter {
  readonly #state: DeferredState;
  #limiter: RateLimiter | undefined;

  constructor(state: DeferredState) {
    this.#state = state;
  }

  async acquire(deadline: number): Promise<boolean> {
    const limiter = await this.#limiterOrUndefined();
    // Not loaded: no budget to vouch for the request, so it is not sent.
    return limiter === undefined ? false : limiter.acquire(deadline);
  }

  release(): void {
    // A granted acquire loaded the limiter first.
    this.#limiter?.release?.();
  }

  pause(retryAfterSeconds?: number): void {
    void this.#limiterOrUndefined().then((limiter) => {
      if (limiter !== undefined && isPausable(limiter)) limiter.pause(retryAfterSeconds);
    });
  }

  async #limiterOrUndefined(): Promise<RateLimiter | undefined> {
    if (this.#limiter !== undefined) return this.#limiter;
    try {
      this.#limiter = (await this.#state.ready()).limiter;
    } catch {
      return undefined;
    }
    return this.#limiter;
  }
}

/** Whether `limiter` is one whose 429 pause should be triggered (the shared budget, loaded or not). */
export function isPausable(
  limiter: RateLimiter,
): limiter is RateLimiter & { pause(retryAfterSeconds?: number): void } {
  return typeof (limiter as { pause?: unknown }).pause === 'function';
}

/**
 * The attempt observer that turns DigiCert's 429 into a pause of every container (docs/contract.md
 * §7); `undefined` for a limiter that has no shared pause.
 */
export function pauseOnRateLimited(limiter: RateLimiter): AttemptObserver | undefined {
  if (!isPausable(limiter)) return undefined;
  return ({ outcome }) => {
    if (outcome.kind === 'rate_limited') limiter.pause(outcome.retryAfterSeconds);
  };
}
