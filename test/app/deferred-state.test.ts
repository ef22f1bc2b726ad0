/**
 * The state table's code (`functions/app/state.ts`) is loaded by a container's first call that
 * needs it. These tests pass their own loader; `test/tools/bundle-loading.int.test.ts` loads the
 * real chunks from the built bundle, and the idempotency and shared-budget tests run the real thing.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  DeferredRateLimiter,
  DeferredState,
  pauseOnRateLimited,
} from '../../functions/app/deferred-state.js';
import type { StateWiring } from '../../functions/app/state.js';
import { OnDemandIdempotencyStore } from '../../functions/aws/on-demand-idempotency-store.js';
import { UpstreamError } from '../../functions/lib/errors.js';
import type { DeliveryKey } from '../../functions/resend/idempotency.js';
import type { RateLimiter } from '../../functions/resend/ports.js';
import { passThroughStore } from '../support/idempotency.js';

const KEY: DeliveryKey = { scope: 'http', delivery: 'key-1' };

/** A limiter that grants while it has slots, and records releases and pauses. */
function recordingLimiter(slots: number) {
  const seen = { releases: 0, pauses: [] as (number | undefined)[] };
  const limiter: RateLimiter & { pause(seconds?: number): void } = {
    acquire: async () => {
      if (slots === 0) return false;
      slots -= 1;
      return true;
    },
    release: () => {
      seen.releases += 1;
    },
    pause: (seconds) => {
      seen.pauses.push(seconds);
    },
  };
  return { limiter, seen };
}

const store = passThroughStore();

function wiring(limiter: RateLimiter | undefined): StateWiring {
  return { client: {} as DynamoDBClient, limiter, idempotency: store };
}

describe("the state table's code, loaded on demand", () => {
  it('is not loaded until a call needs it, then once for every concurrent first call', async () => {
    let loads = 0;
    const { limiter } = recordingLimiter(10);
    const state = new DeferredState(
      async () => {
        loads += 1;
        return wiring(limiter);
      },
      () => undefined,
    );
    const deferred = new DeferredRateLimiter(state);
    const records = new OnDemandIdempotencyStore(() => state.ready().then((w) => w.idempotency));

    expect(loads).toBe(0);
    const granted = await Promise.all([
      deferred.acquire(Date.now() + 1_000),
      deferred.acquire(Date.now() + 1_000),
    ]);
    await records.once(KEY, {}, Date.now() + 1_000, async () => 'sent');

    expect(granted).toEqual([true, true]);
    expect(loads).toBe(1);
  });

  it("passes grants, refusals, releases and DigiCert's 429 pause through to the shared budget", async () => {
    const { limiter, seen } = recordingLimiter(1);
    const deferred = new DeferredRateLimiter(
      new DeferredState(
        async () => wiring(limiter),
        () => undefined,
      ),
    );
    const observe = pauseOnRateLimited(deferred);
    if (!observe) throw new Error('the deferred limiter carries the pause');

    expect(await deferred.acquire(Date.now() + 1_000)).toBe(true);
    deferred.release();
    expect(await deferred.acquire(Date.now() + 1_000)).toBe(false);
    observe({
      orderId: 1,
      attempt: 1,
      durationMs: 3,
      outcome: { kind: 'rate_limited', status: 429, retryAfterSeconds: 7 },
    });
    observe({ orderId: 1, attempt: 1, durationMs: 3, outcome: { kind: 'sent', status: 204 } });
    await new Promise((resolve) => setImmediate(resolve));

    expect(seen.releases).toBe(1);
    expect(seen.pauses).toEqual([7]);
  });

  it('refuses to send while the code cannot be loaded, says so, and loads it on a later call', async () => {
    const failures: unknown[] = [];
    let attempt = 0;
    const { limiter } = recordingLimiter(10);
    const state = new DeferredState(
      async () => {
        attempt += 1;
        if (attempt === 1) throw new Error('EMFILE: too many open files');
        return wiring(limiter);
      },
      (error) => failures.push(error),
    );
    const deferred = new DeferredRateLimiter(state);

    expect(await deferred.acquire(Date.now() + 1_000)).toBe(false);
    expect(failures).toHaveLength(1);
    expect(await deferred.acquire(Date.now() + 1_000)).toBe(true);
    expect(attempt).toBe(2);
  });

  it('fails a recorded delivery as state_unavailable without running its work while the code cannot be loaded', async () => {
    const state = new DeferredState(
      async () => {
        throw new Error('chunk missing');
      },
      () => undefined,
    );
    // As runtime.ts wires it.
    const records = new OnDemandIdempotencyStore(() => state.ready().then((w) => w.idempotency));
    let ran = false;

    const error = await records
      .once(KEY, {}, Date.now() + 1_000, async () => {
        ran = true;
      })
      .then(
        () => undefined,
        (failure: unknown) => failure,
      );

    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as UpstreamError).code).toBe('state_unavailable');
    expect(ran).toBe(false);
  });

  it('has no pause for a limiter without one (the per-container window)', () => {
    expect(pauseOnRateLimited({ acquire: async () => true })).toBeUndefined();
  });
});
