/**
 * The idempotency store is loaded by the first delivery that needs a record (a chunk of its own in
 * the deployed bundle). These tests pass their own loader; `test/tools/bundle-loading.int.test.ts`
 * loads the real chunk from the built bundle.
 */

import { describe, expect, it } from 'vitest';
import { OnDemandIdempotencyStore } from '../../functions/aws/on-demand-idempotency-store.js';
import { UpstreamError } from '../../functions/lib/errors.js';
import type { DeliveryKey, IdempotencyStore } from '../../functions/resend/idempotency.js';
import { passThroughStore } from '../support/idempotency.js';

const KEY: DeliveryKey = { scope: 'http', delivery: 'key-1' };

/** A store that runs the work, counting how often one was built. */
function fakeStore(built: { count: number }): IdempotencyStore {
  built.count += 1;
  return passThroughStore();
}

describe('the idempotency store loaded on demand', () => {
  it('is not loaded until a delivery needs a record', () => {
    let loads = 0;
    new OnDemandIdempotencyStore(() => {
      loads += 1;
      return Promise.resolve(fakeStore({ count: 0 }));
    });

    expect(loads).toBe(0);
  });

  it('is loaded and built once per container, however many deliveries arrive at once', async () => {
    const built = { count: 0 };
    let loads = 0;
    const store = new OnDemandIdempotencyStore(() => {
      loads += 1;
      return Promise.resolve(fakeStore(built));
    });

    const answers = await Promise.all(
      [1, 2, 3].map((n) => store.once(KEY, { n }, Date.now() + 1_000, async () => n)),
    );
    await store.once(KEY, {}, Date.now() + 1_000, async () => 4);

    expect(answers.map((answer) => answer.value)).toEqual([1, 2, 3]);
    expect(loads).toBe(1);
    expect(built.count).toBe(1);
  });

  it('fails a delivery as state_unavailable, without running its work, when the store cannot be loaded', async () => {
    const cause = new Error("Cannot find module './chunk-X.mjs'");
    const store = new OnDemandIdempotencyStore(() => Promise.reject(cause));
    let ran = false;

    const failed = store.once(KEY, {}, Date.now() + 1_000, async () => {
      ran = true;
    });

    await expect(failed).rejects.toBeInstanceOf(UpstreamError);
    await expect(failed).rejects.toMatchObject({ code: 'state_unavailable', cause });
    expect(ran).toBe(false);
  });

  it('tries the load again for the next delivery after a failed one', async () => {
    let loads = 0;
    const store = new OnDemandIdempotencyStore(() => {
      loads += 1;
      return loads === 1 ? Promise.reject(new Error('EMFILE')) : Promise.resolve(fakeStore({ count: 0 }));
    });

    await expect(store.once(KEY, {}, Date.now() + 1_000, async () => 'first')).rejects.toMatchObject({
      code: 'state_unavailable',
    });
    await expect(store.once(KEY, {}, Date.now() + 1_000, async () => 'second')).resolves.toEqual({
      value: 'second',
      replayed: false,
    });
    expect(loads).toBe(2);
  });
});
