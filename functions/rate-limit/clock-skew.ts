/**
 * This container's clock against AWS's (docs/design/rate-budget.md, "Clocks"): the shared budget
 * compares times written by one container's clock with another's, and keeps exact while each is
 * within half its skew margin of true time. This gauge checks that assumption against the `Date`
 * of the state table's answers instead of trusting it.
 *
 * A `Date` has whole seconds: the answer was stamped at some true time in [date, date + 1 s),
 * somewhere between the request leaving (`sentAt`, this clock) and the answer arriving
 * (`receivedAt`). So one answer bounds this clock's offset θ (this clock minus true time) to
 * (sentAt − date − 1 s, receivedAt − date]; the bounds of many answers, stamped at different
 * moments of their second, intersect to a narrow interval.
 */

/** What the answers so far prove about this clock, in ms beyond half the margin; 0 when nothing. */
export interface ClockSkew {
  /** This clock is surely ahead of true time by more than half the margin; at most this far ahead. */
  readonly aheadUpToMs: number;
  /** This clock is surely behind true time by more than half the margin; at most this far behind. */
  readonly behindUpToMs: number;
}

export const NO_SKEW: ClockSkew = { aheadUpToMs: 0, behindUpToMs: 0 };

export class ClockSkewGauge {
  readonly #halfMarginMs: number;
  /** Bounds on θ (this clock minus true time), ms. */
  #low = Number.NEGATIVE_INFINITY;
  #high = Number.POSITIVE_INFINITY;

  /** @param marginMs the skew margin the budget adds to every `free_at` (two clocks, half each) */
  constructor(marginMs: number) {
    this.#halfMarginMs = marginMs / 2;
  }

  /** One answer: `date` is its `Date` header (RFC 7231), `sentAt`/`receivedAt` this clock's times. */
  record(sentAt: number, receivedAt: number, date: string | undefined): void {
    if (date === undefined) return;
    const stamped = Date.parse(date);
    if (Number.isNaN(stamped)) return;
    const low = sentAt - (stamped + 1_000);
    const high = receivedAt - stamped;
    // Disjoint from what was known: the clock was stepped (or a proxy's Date misled); start again.
    if (low > this.#high || high < this.#low) {
      this.#low = low;
      this.#high = high;
      return;
    }
    this.#low = Math.max(this.#low, low);
    this.#high = Math.min(this.#high, high);
  }

  /** How far this clock is proven off, beyond half the margin (the rest the margin covers). */
  skew(): ClockSkew {
    const half = this.#halfMarginMs;
    if (this.#low > half) return { aheadUpToMs: this.#high - half, behindUpToMs: 0 };
    if (this.#high < -half) return { aheadUpToMs: 0, behindUpToMs: -this.#low - half };
    return NO_SKEW;
  }

  /** The bounds on this clock's offset from true time, for a log line (ms, rounded). */
  bounds(): { readonly lowMs: number; readonly highMs: number } {
    return { lowMs: Math.round(this.#low), highMs: Math.round(this.#high) };
  }
}
