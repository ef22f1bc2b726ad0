/**
 * Where the shared budget keeps its slots in the state table (docs/design/rate-budget.md, "One item
 * per request"): one item per slot of the ring with the smallest limit, carrying that item's share of
 * every other ring's slots as attributes, so that a request takes its slot in every window with one
 * conditional write and gives them back with another.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { RateWindow } from './window.js';

/**
 * Items a container may pick itself, without a ticket (the first ones of the ring): a 429 pause is
 * written on each of them, so that a claim that picks one sees the pause in its own condition.
 */
const PICKABLE_ITEMS = 256;

export interface Ring {
  readonly limit: number;
  readonly windowMs: number;
}

/** One item as read: per ring, when each of its slots frees (0: never used), and its holder's claim. */
export interface ItemView {
  readonly free: readonly (readonly number[])[];
  readonly held: boolean;
  readonly claimedAt: number;
  readonly pausedUntil: number;
}

/**
 * The layout. With limits L₀ ≤ L₁ ≤ … the table holds L₀ items (L₀ = the smallest limit); item i
 * carries ⌊Lᵣ / L₀⌋ slots of ring r, one more for i < Lᵣ mod L₀: Lᵣ slots in all, per ring. A request
 * holds one item, and on it one slot of every ring.
 */
export class BudgetLayout {
  /** Sorted by window, shortest first. */
  readonly rings: readonly Ring[];
  /** How many items: the smallest limit. */
  readonly items: number;
  /** The ring with the smallest limit: one slot per item, held while a request is in flight. */
  readonly base: number;
  /** Items `0 .. pickable - 1` are the ones a container picks itself (`PICKABLE_ITEMS`, at most all). */
  readonly pickable: number;
  readonly ticketsKey: string;
  readonly #keyPrefix: string;

  constructor(windows: readonly RateWindow[], keyPrefix: string) {
    this.rings = [...windows].sort((a, b) => a.windowMs - b.windowMs);
    for (const [i, ring] of this.rings.entries()) {
      if (ring.windowMs === this.rings[i - 1]?.windowMs) {
        throw new RangeError(`two rate limits for one window of ${ring.windowMs} ms`);
      }
    }
    this.items = Math.min(...this.rings.map((ring) => ring.limit));
    this.base = this.rings.findIndex((ring) => ring.limit === this.items);
    this.pickable = Math.min(this.items, PICKABLE_ITEMS);
    this.#keyPrefix = keyPrefix;
    this.ticketsKey = `${keyPrefix}#tickets`;
  }

  key(item: number): string {
    return `${this.#keyPrefix}#slot#${item}`;
  }

  /** How many of ring `ring`'s slots item `item` carries. */
  slotsOn(ring: number, item: number): number {
    const { limit } = this.rings[ring] as Ring;
    return Math.floor(limit / this.items) + (item < limit % this.items ? 1 : 0);
  }

  /** The attribute holding when slot `slot` of ring `ring` frees, on any item. */
  attribute(ring: number, slot: number): string {
    return `w${(this.rings[ring] as Ring).windowMs}_${slot}`;
  }

  /**
   * The item ticket `n` names. When some items are never picked (a ring larger than
   * `PICKABLE_ITEMS`), tickets go round those, so that a ticket does not wait behind a picked item.
   */
  ticketItem(n: number): number {
    if (this.pickable === this.items) return n % this.items;
    return this.pickable + (n % (this.items - this.pickable));
  }

  /** Whether ticket `n` is the first on its item (no ticket used it before; a pick may have). */
  firstTicketOn(n: number): boolean {
    return n < this.items - (this.pickable === this.items ? 0 : this.pickable);
  }

  view(item: number, attributes: Record<string, AttributeValue> | undefined): ItemView {
    const number = (name: string) => Number(attributes?.[name]?.N ?? '0');
    return {
      free: this.rings.map((_, r) =>
        Array.from({ length: this.slotsOn(r, item) }, (_, slot) => number(this.attribute(r, slot))),
      ),
      held: attributes?.held?.BOOL === true,
      claimedAt: number('claimed_at'),
      pausedUntil: number('paused_until'),
    };
  }
}

/** In each ring, the item's slot that frees first. */
export function earliestSlots(view: ItemView): number[] {
  return view.free.map((slots) => {
    let best = 0;
    for (const [slot, freeAt] of slots.entries()) if (freeAt < (slots[best] as number)) best = slot;
    return best;
  });
}
