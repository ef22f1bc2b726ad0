import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createSlidingWindowLimiter,
  type SlidingWindowLimiter,
} from '../../functions/rate-limit/sliding-window.js';
import type { RateWindow } from '../../functions/rate-limit/window.js';
import { FakeClock, flush } from '../support/fake-clock.js';
import { maxInAnyWindow } from '../support/windows.js';

const NO_DEADLINE = Number.MAX_SAFE_INTEGER;

/** A promise's outcome as it stands now: `undefined` while pending. */
function track(promise: Promise<boolean>): { value: boolean | undefined } {
  const state: { value: boolean | undefined } = { value: undefined };
  void promise.then((value) => {
    state.value = value;
  });
  return state;
}

function limiterWith(clock: FakeClock, windows: RateWindow[]): SlidingWindowLimiter {
  return createSlidingWindowLimiter({ windows, clock });
}

/** A request that DigiCert answers at once: acquire, then release. */
async function request(limiter: SlidingWindowLimiter, deadline = NO_DEADLINE): Promise<boolean> {
  const granted = await limiter.acquire(deadline);
  if (granted) limiter.release();
  return granted;
}

describe('sliding window rate limiter', () => {
  it('grants up to the limit at once, without a timer', async () => {
    const clock = new FakeClock();
    const limiter = limiterWith(clock, [{ limit: 3, windowMs: 1_000 }]);

    const granted = await Promise.all([1, 2, 3].map(() => request(limiter)));

    expect(granted).toEqual([true, true, true]);
    expect(clock.pending).toBe(0);
  });

  it('makes the next request wait until the oldest one leaves the window', async () => {
    const clock = new FakeClock();
    const limiter = limiterWith(clock, [{ limit: 2, windowMs: 1_000 }]);
    await request(limiter);
    await clock.advance(300);
    await request(limiter);

    const third = track(request(limiter));
    await clock.advance(699);
    const beforeWindowEnds = third.value;
    await clock.advance(1);

    expect(beforeWindowEnds).toBeUndefined();
    expect(third.value).toBe(true);
  });

  it('counts the window from the release of a request, not from its grant', async () => {
    const clock = new FakeClock();
    const limiter = limiterWith(clock, [{ limit: 1, windowMs: 1_000 }]);
    await limiter.acquire(NO_DEADLINE);
    await clock.advance(300); // DigiCert took 300 ms to answer
    limiter.release();

    const next = track(request(limiter));
    await clock.advance(999);
    const aWindowAfterGrant = next.value;
    await clock.advance(1);

    expect(aWindowAfterGrant).toBeUndefined();
    expect(next.value).toBe(true);
  });

  it('holds the slot of a request in flight without polling until it is released', async () => {
    const clock = new FakeClock();
    const limiter = limiterWith(clock, [{ limit: 1, windowMs: 1_000 }]);
    await limiter.acquire(NO_DEADLINE);

    const next = track(request(limiter, clock.now() + 60_000));
    await clock.advance(30_000);
    const whileInFlight = next.value;
    const firedWhileInFlight = clock.fired;
    limiter.release();
    await clock.advance(1_000);

    expect(whileInFlight).toBeUndefined();
    expect(firedWhileInFlight).toBe(0);
    expect(next.value).toBe(true);
  });

  it('waits for the longest window that is full, not only the shortest', async () => {
    const clock = new FakeClock();
    const limiter = limiterWith(clock, [
      { limit: 2, windowMs: 100 },
      { limit: 3, windowMs: 1_000 },
    ]);
    const start = clock.now();
    const grantedAt: number[] = [];

    const all = [1, 2, 3, 4].map(() => request(limiter).then(() => grantedAt.push(clock.now() - start)));
    await flush();
    await clock.advance(1_000);
    await Promise.all(all);

    expect(grantedAt).toEqual([0, 0, 100, 1_000]);
  });

  it('serves waiters first come, first served', async () => {
    const clock = new FakeClock();
    const limiter = limiterWith(clock, [{ limit: 1, windowMs: 100 }]);
    const order: string[] = [];

    const all = ['a', 'b', 'c', 'd'].map((name) => request(limiter).then(() => order.push(name)));
    await flush();
    await clock.advance(300);
    await Promise.all(all);

    expect(order).toEqual(['a', 'b', 'c', 'd']);
  });

  it('answers false at once when no slot frees before the deadline', async () => {
    const clock = new FakeClock();
    const limiter = limiterWith(clock, [{ limit: 1, windowMs: 1_000 }]);
    await request(limiter);

    const late = track(limiter.acquire(clock.now() + 999));
    await flush();

    expect(late.value).toBe(false);
    expect(clock.pending).toBe(0);
  });

  it('counts the waiters ahead when deciding whether a slot frees in time', async () => {
    const clock = new FakeClock();
    const limiter = limiterWith(clock, [{ limit: 1, windowMs: 1_000 }]);
    const t0 = clock.now();
    await request(limiter);

    const second = track(request(limiter, t0 + 5_000)); // its turn: t0 + 1000
    const third = track(request(limiter, t0 + 1_500)); // its turn would be t0 + 2000
    const fourth = track(request(limiter, t0 + 2_000)); // its turn: t0 + 2000, since the third gave up
    await flush();
    const thirdAtOnce = third.value;
    await clock.advance(2_000);

    expect(thirdAtOnce).toBe(false);
    expect(second.value).toBe(true);
    expect(fourth.value).toBe(true);
  });

  it('answers false when the deadline passes while waiting, even if the timer fires late', async () => {
    const clock = new FakeClock();
    const limiter = limiterWith(clock, [{ limit: 1, windowMs: 1_000 }]);
    await request(limiter);
    const waiting = track(limiter.acquire(clock.now() + 1_200));

    await clock.stall(1_500);

    expect(waiting.value).toBe(false);
    expect(limiter.waiting).toBe(0);
  });

  it('answers false at its deadline a waiter held up by a request that never finishes', async () => {
    const clock = new FakeClock();
    const limiter = limiterWith(clock, [{ limit: 1, windowMs: 1_000 }]);
    await limiter.acquire(NO_DEADLINE);

    const waiting = track(limiter.acquire(clock.now() + 5_000));
    await clock.advance(5_001);

    expect(waiting.value).toBe(false);
    expect(clock.pending).toBe(0);
  });

  it('leaves no timer behind once every waiter is answered', async () => {
    const clock = new FakeClock();
    const limiter = limiterWith(clock, [{ limit: 2, windowMs: 500 }]);
    const all = Array.from({ length: 7 }, () => request(limiter));
    await flush();

    await clock.advance(2_000);
    await Promise.all(all);

    expect(limiter.waiting).toBe(0);
    expect(limiter.inFlight).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('ignores a release without a grant', async () => {
    const clock = new FakeClock();
    const limiter = limiterWith(clock, [{ limit: 1, windowMs: 1_000 }]);

    limiter.release();

    expect(await request(limiter)).toBe(true);
  });

  it('rejects a limit that is not a positive integer', () => {
    expect(() => createSlidingWindowLimiter({ windows: [{ limit: 0, windowMs: 1_000 }] })).toThrow(
      RangeError,
    );
  });

  it('never lets DigiCert see more than the limit in any window, whatever the arrivals and latencies', async () => {
    const arrival = fc.record({
      gap: fc.integer({ min: 0, max: 150 }),
      latency: fc.integer({ min: 0, max: 300 }),
      // Where DigiCert counts the request, between its grant and its answer.
      seenAt: fc.double({ min: 0, max: 1, noNaN: true }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 10, max: 200 }),
        fc.integer({ min: 1, max: 4 }),
        fc.array(arrival, { minLength: 1, maxLength: 40 }),
        async (shortLimit, shortWindow, extra, arrivals) => {
          const clock = new FakeClock();
          const windows = [
            { limit: shortLimit, windowMs: shortWindow },
            { limit: shortLimit + extra, windowMs: shortWindow * 5 },
          ];
          const limiter = createSlidingWindowLimiter({ windows, clock });
          const seen: number[] = [];
          const requests: Promise<unknown>[] = [];
          let at = 0;
          for (const { gap, latency, seenAt } of arrivals) {
            at += gap;
            // Several requests may arrive at the same instant (a gap of 0).
            clock.schedule(() => {
              const granted = limiter.acquire(NO_DEADLINE).then(() => {
                seen.push(clock.now() + seenAt * latency);
                clock.schedule(() => limiter.release(), latency);
              });
              requests.push(granted);
            }, at);
          }

          await clock.advance(at + arrivals.length * (shortWindow * 5 + 300));
          await Promise.all(requests);

          expect(seen).toHaveLength(arrivals.length);
          for (const { limit, windowMs } of windows) {
            expect(maxInAnyWindow(seen, windowMs)).toBeLessThanOrEqual(limit);
          }
          expect(limiter.inFlight).toBe(0);
          expect(clock.pending).toBe(0);
        },
      ),
      { numRuns: 60 },
    );
  });
});
