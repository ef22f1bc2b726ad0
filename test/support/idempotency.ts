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
