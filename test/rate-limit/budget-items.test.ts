import { describe, expect, it } from 'vitest';
import { BudgetLayout, earliestSlots } from '../../functions/rate-limit/budget-items.js';

describe('the layout of the shared budget in the state table', () => {
  it.each([
    [82, 812],
    [90, 900],
    [25, 150],
    [7, 7],
    [5, 23],
  ])('spreads every window’s slots over one item per slot of the smallest limit (%i, %i)', (short, long) => {
    const layout = new BudgetLayout(
      [
        { limit: long, windowMs: 180_000 },
        { limit: short, windowMs: 5_000 },
      ],
      'rate-budget',
    );
    const items = Array.from({ length: layout.items }, (_, item) => item);

    expect(layout.items).toBe(Math.min(short, long));
    expect(layout.rings.map((ring) => ring.windowMs)).toEqual([5_000, 180_000]);
    expect(items.map((item) => layout.slotsOn(layout.base, item))).toEqual(items.map(() => 1));
    expect(items.reduce((sum, item) => sum + layout.slotsOn(0, item), 0)).toBe(short);
    expect(items.reduce((sum, item) => sum + layout.slotsOn(1, item), 0)).toBe(long);
  });

  it('takes the ring with the smallest limit as the one with a slot per item, whichever its window', () => {
    const layout = new BudgetLayout(
      [
        { limit: 50, windowMs: 1_000 },
        { limit: 20, windowMs: 60_000 },
      ],
      'p',
    );

    expect(layout.items).toBe(20);
    expect(layout.base).toBe(1);
    expect(Array.from({ length: 20 }, (_, i) => layout.slotsOn(0, i))).toEqual([
      ...Array(10).fill(3),
      ...Array(10).fill(2),
    ]);
  });

  it('names items and slot attributes by prefix and window', () => {
    const layout = new BudgetLayout([{ limit: 10, windowMs: 5_000 }], 'sweep-budget');

    expect(layout.key(3)).toBe('sweep-budget#slot#3');
    expect(layout.ticketsKey).toBe('sweep-budget#tickets');
    expect(layout.attribute(0, 0)).toBe('w5000_0');
  });

  it('sends tickets round the items containers pick themselves when the ring is larger than those', () => {
    const small = new BudgetLayout([{ limit: 82, windowMs: 5_000 }], 'p');
    const large = new BudgetLayout([{ limit: 1_000, windowMs: 5_000 }], 'p');

    expect(small.pickable).toBe(82);
    expect([0, 81, 82, 83].map((n) => small.ticketItem(n))).toEqual([0, 81, 0, 1]);
    expect(large.pickable).toBe(256);
    expect([0, 743, 744].map((n) => large.ticketItem(n))).toEqual([256, 999, 256]);
    expect([small.firstTicketOn(81), small.firstTicketOn(82)]).toEqual([true, false]);
    expect([large.firstTicketOn(743), large.firstTicketOn(744)]).toEqual([true, false]);
  });

  it('refuses two limits for one window', () => {
    expect(
      () =>
        new BudgetLayout(
          [
            { limit: 10, windowMs: 5_000 },
            { limit: 20, windowMs: 5_000 },
          ],
          'p',
        ),
    ).toThrow(/two rate limits for one window of 5000 ms/);
  });

  it('reads an item as stored, a slot never used as free since 0, and picks the slot of each window that frees first', () => {
    const layout = new BudgetLayout(
      [
        { limit: 2, windowMs: 5_000 },
        { limit: 6, windowMs: 180_000 },
      ],
      'p',
    );

    const view = layout.view(0, {
      w5000_0: { N: '1000' },
      w180000_0: { N: '9000' },
      w180000_2: { N: '4000' },
      held: { BOOL: false },
      paused_until: { N: '77' },
    });

    expect(view).toEqual({ free: [[1000], [9000, 0, 4000]], held: false, claimedAt: 0, pausedUntil: 77 });
    expect(earliestSlots(view)).toEqual([0, 1]);
  });
});
