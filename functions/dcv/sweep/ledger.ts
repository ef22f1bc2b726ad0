/**
 * What the sweep remembers between messages, invocations and containers (docs/contract.md §11):
 * each order's claim, so that no order is acted on twice within the cooldown whichever sweep finds
 * it, and each sweep's counts, so that its metrics are written once, when its last part is done.
 * The state table keeps them (`aws/sweep-ledger.ts`); without one, this process does
 * (`MemorySweepLedger`).
 */
import { addCounts, NO_COUNTS, type SweepClaim, type SweepCounts } from './plan.js';

export type ClaimResult = { readonly claimed: true } | ({ readonly claimed: false } & SweepClaim);

/** What recording a page or a part did. */
export interface Recorded {
  /** `false`: it was recorded before (a redelivered message), and nothing changed. */
  readonly first: boolean;
  /** The sweep's whole counts, answered once: to the call that completed it. */
  readonly completed?: SweepCounts;
}

export interface SweepLedger {
  /**
   * Claims `orderId` for `sweepId` until `now + cooldownMs`: granted when no claim is held, the held
   * one is older than the cooldown, or it is this sweep's own (a redelivered message).
   */
  claim(orderId: number, sweepId: string, now: number, cooldownMs: number): Promise<ClaimResult>;
  /** The claim held on `orderId`, if any (dry runs). */
  peek(orderId: number): Promise<SweepClaim | undefined>;
  /**
   * Records that a page was read and split into `parts` parts (`last`: no page follows). Recording
   * the same page again changes nothing.
   */
  pageRead(
    sweepId: string,
    page: { readonly offset: number; readonly parts: number; readonly last: boolean },
  ): Promise<Recorded>;
  /**
   * Adds one part's counts. Recording the same part again changes nothing. The sweep is complete
   * when every page was read and every part of them done.
   */
  partDone(sweepId: string, part: string, counts: SweepCounts): Promise<Recorded>;
}

interface SweepProgress {
  readonly pages: Set<number>;
  readonly parts: Set<string>;
  expected: number;
  last: boolean;
  counts: SweepCounts;
  completed: boolean;
}

/** The ledger of one process: enough for local runs, where one process is every container. */
export class MemorySweepLedger implements SweepLedger {
  readonly #claims = new Map<number, SweepClaim>();
  readonly #sweeps = new Map<string, SweepProgress>();

  async claim(orderId: number, sweepId: string, now: number, cooldownMs: number): Promise<ClaimResult> {
    const held = this.#claims.get(orderId);
    if (held && held.sweepId !== sweepId && held.actedAt > now - cooldownMs)
      return { claimed: false, ...held };
    this.#claims.set(orderId, { sweepId, actedAt: held?.sweepId === sweepId ? held.actedAt : now });
    return { claimed: true };
  }

  async peek(orderId: number): Promise<SweepClaim | undefined> {
    return this.#claims.get(orderId);
  }

  async pageRead(
    sweepId: string,
    page: { readonly offset: number; readonly parts: number; readonly last: boolean },
  ): Promise<Recorded> {
    const progress = this.#progress(sweepId);
    if (progress.pages.has(page.offset)) return { first: false };
    progress.pages.add(page.offset);
    progress.expected += page.parts;
    progress.last ||= page.last;
    return this.#completed(progress);
  }

  async partDone(sweepId: string, part: string, counts: SweepCounts): Promise<Recorded> {
    const progress = this.#progress(sweepId);
    if (progress.parts.has(part)) return { first: false };
    progress.parts.add(part);
    progress.counts = addCounts(progress.counts, counts);
    return this.#completed(progress);
  }

  #progress(sweepId: string): SweepProgress {
    let progress = this.#sweeps.get(sweepId);
    if (!progress) {
      progress = {
        pages: new Set(),
        parts: new Set(),
        expected: 0,
        last: false,
        counts: NO_COUNTS,
        completed: false,
      };
      this.#sweeps.set(sweepId, progress);
    }
    return progress;
  }

  #completed(progress: SweepProgress): Recorded {
    if (progress.completed || !progress.last || progress.parts.size < progress.expected)
      return { first: true };
    progress.completed = true;
    return { first: true, completed: progress.counts };
  }
}
