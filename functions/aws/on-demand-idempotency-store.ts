/**
 * An idempotency store built on first use. The runtime wraps the state table's code in one (it is
 * `import()`ed by a container's first DigiCert call, `functions/app/state.ts`), and that code wraps
 * the Powertools store in another (`idempotency-store.ts`: Powertools' idempotency utility, its
 * JMESPath engine and its DynamoDB persistence layer). Only deliveries that are
 * recorded need it (docs/contract.md §6: HTTP with an `Idempotency-Key`, direct, scheduled,
 * EventBridge and queue deliveries); a plain HTTP resend never reads or compiles Powertools. The
 * deployed bundle keeps each in chunks of their own (`tools/bundle-options.ts`).
 */
import { UpstreamError } from '../lib/errors.js';
import type { DeliveryKey, IdempotencyStore, Once } from '../resend/idempotency.js';
import type { DynamoDBIdempotencyStoreOptions } from './idempotency-store.js';

/** Builds the store, loading its code first (tests pass their own). */
export type StoreBuilder = () => Promise<IdempotencyStore>;

/** The Powertools store over the state table, its module imported when first needed. */
export function powertoolsStore(options: DynamoDBIdempotencyStoreOptions): StoreBuilder {
  return () =>
    import('./idempotency-store.js').then(
      ({ DynamoDBIdempotencyStore }) => new DynamoDBIdempotencyStore(options),
    );
}

/** An `IdempotencyStore` that builds its store once, when the first delivery needs it. */
export class OnDemandIdempotencyStore implements IdempotencyStore {
  readonly #build: StoreBuilder;
  #store: Promise<IdempotencyStore> | undefined;

  constructor(build: StoreBuilder) {
    this.#build = build;
  }

  async once<T>(
    key: DeliveryKey,
    request: unknown,
    deadline: number,
    work: () => Promise<T>,
  ): Promise<Once<T>> {
    const store = await this.#ready();
    return store.once(key, request, deadline, work);
  }

  /** The one store of the container; concurrent first calls share one load. */
  #ready(): Promise<IdempotencyStore> {
    this.#store ??= this.#build().catch((error: unknown) => {
      // Not kept: the next delivery tries again (a file read can fail once, e.g. out of descriptors).
      this.#store = undefined;
      // The delivery cannot be recorded, so, as when the table cannot be reached, DigiCert is not called.
      throw new UpstreamError(
        'state_unavailable',
        'The idempotency store could not be loaded, so the delivery could not be recorded; DigiCert was not called',
        { cause: error },
      );
    });
    return this.#store;
  }
}
