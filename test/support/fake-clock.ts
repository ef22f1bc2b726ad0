/**
 * A fake clock for the rate limiter's unit tests: time moves only when a test says so, and timers
 * fire in due order, each followed by a turn of the event loop so that promise continuations run
 * at the time they were resolved.
 */
import type { LimiterClock } from '../../functions/rate-limit/sliding-window.js';

interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly callback: () => void;
}

/** Lets pending promise continuations run (a real macrotask turn, independent of the fake time). */
export const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Upper bound on timers fired by one `advance`: a runaway schedule fails the test instead of hanging. */
const MAX_FIRES = 100_000;

export class FakeClock implements LimiterClock {
  #now: number;
  #seq = 0;
  #timers: Timer[] = [];
  #fired = 0;

  constructor(start = 1_000_000) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  schedule(callback: () => void, delayMs: number): () => void {
    const timer: Timer = { at: this.#now + Math.max(0, delayMs), seq: this.#seq++, callback };
    this.#timers.push(timer);
    return () => {
      this.#timers = this.#timers.filter((t) => t !== timer);
    };
  }

  /** Timers set and not yet fired or cancelled. */
  get pending(): number {
    return this.#timers.length;
  }

  /** Timers fired so far. */
  get fired(): number {
    return this.#fired;
  }

  /** Moves time forward by `ms`, firing each timer at its due time. */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    for (let fired = 0; fired < MAX_FIRES; fired += 1) {
      const next = this.#due(end);
      if (!next) {
        this.#now = end;
        await flush();
        return;
      }
      this.#now = Math.max(this.#now, next.at);
      this.#fired += 1;
      next.callback();
      await flush();
    }
    throw new Error(`FakeClock: more than ${MAX_FIRES} timers fired in one advance`);
  }

  /** The event loop was blocked for `ms`: time passes first, then the overdue timers fire late. */
  async stall(ms: number): Promise<void> {
    this.#now += ms;
    await this.advance(0);
  }

  #due(end: number): Timer | undefined {
    let first: Timer | undefined;
    for (const timer of this.#timers) {
      if (timer.at > end) continue;
      if (!first || timer.at < first.at || (timer.at === first.at && timer.seq < first.seq)) first = timer;
    }
    if (first) this.#timers = this.#timers.filter((t) => t !== first);
    return first;
  }
}
