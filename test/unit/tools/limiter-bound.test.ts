import { describe, expect, it } from 'vitest';
import { limiterBoundMs } from '../../../tools/bench-fixtures.js';

const PER_5S = (limit: number) => ({ limit, windowMs: 5_000 });

describe('limiterBoundMs', () => {
  it('is the concurrency bound alone when every order fits in the first window', () => {
    expect(limiterBoundMs(80, [PER_5S(100)], 8, 20)).toBe(10 * 20);
  });

  it('adds one whole window for orders beyond the first window, then the rest at full concurrency', () => {
    // 250 in the first window, 250 after 5 s, sent 8 at a time at 20 ms each.
    expect(limiterBoundMs(500, [PER_5S(250)], 8, 20)).toBe(5_000 + Math.ceil(250 / 8) * 20);
  });

  it('takes the limit that makes the batch wait longest', () => {
    const limits = [PER_5S(1_000), { limit: 100, windowMs: 180_000 }];

    expect(limiterBoundMs(150, limits, 10, 10)).toBe(180_000 + 5 * 10);
  });
});
