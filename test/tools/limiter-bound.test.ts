import { describe, expect, it } from 'vitest';
import { limiterBoundMs } from '../../tools/bench/fixtures.js';

const PER_5S = (limit: number) => ({ limit, windowMs: 5_000 });

describe('limiterBoundMs', () => {
  it('is the concurrency bound alone when every order fits in the first window', () => {
    expect(limiterBoundMs(80, [PER_5S(100)], 8, 20)).toBe(10 * 20);
  });

  it('adds a window and a call for each window the batch waits, then the last window at full concurrency', () => {
    // 100 at once (8 at a time), then each further 100 one window after the slots they reuse were released.
    expect(limiterBoundMs(500, [PER_5S(100)], 8, 20)).toBe(4 * (5_000 + 20) + Math.ceil(100 / 8) * 20);
  });

  it('takes the limit that makes the batch wait longest', () => {
    const limits = [PER_5S(1_000), { limit: 100, windowMs: 180_000 }];

    expect(limiterBoundMs(150, limits, 10, 10)).toBe(180_000 + 10 + 5 * 10);
  });

  it('is never below what the concurrency alone allows', () => {
    expect(limiterBoundMs(100, [{ limit: 50, windowMs: 10 }], 1, 20)).toBe(100 * 20);
  });
});
