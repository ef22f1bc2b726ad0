/**
 * The idempotency store (`idempotency-store.ts`: Powertools' idempotency utility, its JMESPath
 * engine and its DynamoDB persistence layer, about 50 KB of bundle) loaded on first use. Only
 * deliveries that are recorded need it (docs/contract.md §6: HTTP with an `Idempotency-Key`, direct,
 * scheduled, EventBridge and queue deliveries); a plain HTTP resend never reads or compiles it. The
 * deployed bundle keeps it in a chunk of its own (`tools/bundle-options.ts`).
 */
import { UpstreamError } from '../domain/errors.js';
import type { DeliveryKey, IdempotencyStore, Once } from '../domain/idempotency.js';
import type { DynamoDBIdempotencyStoreOptions } from './idempotency-store.js';

/** What the store's module provides: the class to build the store with. */
export interface StoreModule {
  readonly DynamoDBIdempotencyStore: new (options: DynamoDBIdempotencyStoreOptions) => IdempotencyStore;
}

/** Imports the store's module (tests pass their own). */
export type StoreLoader = () => Promise<StoreModule>;

const importStore: StoreLoader = () => import('./idempotency-store.js');

/** An `IdempotencyStore` that builds the DynamoDB store once, when the first delivery needs it. */
export class OnDemandIdempotencyStore implements IdempotencyStore {
  readonly #options: DynamoDBIdempotencyStoreOptions;
  readonly #load: StoreLoader;
  #store: Promise<IdempotencyStore> | undefined;

  constructor(options: DynamoDBIdempotencyStoreOptions, load: StoreLoader = importStore) {
    this.#options = options;
    this.#load = load;
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
    this.#store ??= this.#load().then(
      ({ DynamoDBIdempotencyStore }) => new DynamoDBIdempotencyStore(this.#options),
      (error: unknown) => {
        // Not kept: the next delivery tries again (a file read can fail once, e.g. out of descriptors).
        this.#store = undefined;
        // The delivery cannot be recorded, so, as when the table cannot be reached, DigiCert is not called.
        throw new UpstreamError(
          'state_unavailable',
          'The idempotency store could not be loaded, so the delivery could not be recorded; DigiCert was not called',
          { cause: error },
        );
      },
    );
    return this.#store;
  }
}
