/** Idempotency fakes for unit tests of the layers around a store. */
import type { DeliveryKey, IdempotencyStore, Once } from '../../functions/resend/idempotency.js';

/** A store that records nothing: it runs every delivery's work and answers it as not replayed. */
export function passThroughStore(): IdempotencyStore {
  return {
    async once<T>(
      _key: DeliveryKey,
      _request: unknown,
      _deadline: number,
      work: () => Promise<T>,
    ): Promise<Once<T>> {
      return { value: await work(), replayed: false };
    },
  };
}

/**
 * A store in memory, for unit tests of its callers: `once` runs `work` the first time a key is
 * seen and replays its value afterwards; work that throws records nothing.
 */
export function memoryStore(): IdempotencyStore {
  const values = new Map<string, unknown>();
  return {
    async once<T>(
      key: DeliveryKey,
      _request: unknown,
      _deadline: number,
      work: () => Promise<T>,
    ): Promise<Once<T>> {
      const id = JSON.stringify([key.scope, key.delivery, key.order]);
      if (values.has(id)) return { value: values.get(id) as T, replayed: true };
      const value = await work();
      values.set(id, value);
      return { value, replayed: false };
    },
  };
}
