/**
 * The idempotency port (`resend/idempotency.ts`) on the state table, with Powertools' idempotency
 * utility and its DynamoDB persistence layer: one item per key, `id` = a SHA-256 of the key (the
 * delivery id itself is never stored), `status` INPROGRESS then COMPLETED with the outcome in
 * `data`, `validation` = a SHA-256 of the request, `expiration` (epoch s) checked on read and used
 * by DynamoDB's TTL, `in_progress_expiration` (epoch ms) = the caller's deadline. The first write is
 * a conditional PutItem, so two containers cannot both claim a key; no transactions and no TTL
 * deletion are needed (dynalite has neither).
 */

import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { DEFAULT_RETRY_AFTER_SECONDS } from '../app/contract.js';
import { IdempotencyKeyReusedError, UpstreamError } from '../lib/errors.js';
import type { DeliveryKey, IdempotencyStore, Once } from '../resend/idempotency.js';

/** Every record's id starts with this (Powertools would otherwise use the function's name, which changes per stack). */
export const RECORD_PREFIX = 'dcv-resend';

export interface DynamoDBIdempotencyStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly ttlSeconds: number;
  /**
   * The work ran but its outcome could not be recorded (the table failed after DigiCert answered):
   * the answer is still given, and the record stays "in progress" until the deadline. Must not throw.
   */
  readonly onUnrecorded?: (error: unknown) => void;
}

type Ran<T> = { readonly value: T } | { readonly error: unknown };

/** Implements `IdempotencyStore` with Powertools on one DynamoDB table (partition key `id`). */
export class DynamoDBIdempotencyStore implements IdempotencyStore {
  readonly #layer: DynamoDBPersistenceLayer;
  readonly #options: DynamoDBIdempotencyStoreOptions;

  constructor(options: DynamoDBIdempotencyStoreOptions) {
    this.#options = options;
    this.#layer = new DynamoDBPersistenceLayer({
      tableName: options.tableName,
      awsSdkV3Client: options.client,
    });
  }

  async once<T>(
    key: DeliveryKey,
    request: unknown,
    deadline: number,
    work: () => Promise<T>,
  ): Promise<Once<T>> {
    let ran: Ran<T> | undefined;
    // One config per call: the in-progress expiry comes from this caller's deadline, and
    // concurrent calls in one process (the local server, tests) must not share it.
    const config = new IdempotencyConfig({
      eventKeyJmesPath: 'key',
      payloadValidationJmesPath: 'request',
      throwOnNoIdempotencyKey: true,
      expiresAfterSeconds: this.#options.ttlSeconds,
      hashFunction: 'sha256',
      lambdaContext: deadlineContext(deadline),
    });
    const idempotent = makeIdempotent(
      async (_data: { key: DeliveryKey; request: unknown }): Promise<T> => {
        try {
          const value = await work();
          ran = { value };
          return value;
        } catch (error) {
          ran = { error };
          throw error;
        }
      },
      { persistenceStore: this.#layer, config, keyPrefix: RECORD_PREFIX },
    );
    try {
      const value = await idempotent({ key, request });
      return { value, replayed: ran === undefined };
    } catch (error) {
      const outcome = ran as Ran<T> | undefined;
      // The work's own failure, whether or not its in-progress record could be deleted (if not,
      // it lapses at the deadline): the caller sees what happened, not the table's trouble.
      if (outcome !== undefined && 'error' in outcome) throw outcome.error;
      if (outcome !== undefined) {
        this.#options.onUnrecorded?.(error);
        return { value: outcome.value, replayed: false };
      }
      throw this.#translate(error, key);
    }
  }

  #translate(error: unknown, key: DeliveryKey): Error {
    const name = error instanceof Error ? error.name : '';
    if (name === 'IdempotencyValidationError') {
      const field = key.scope === 'http' ? 'Idempotency-Key' : 'idempotency_key';
      return new IdempotencyKeyReusedError(field, { cause: error });
    }
    if (name === 'IdempotencyAlreadyInProgressError') {
      return new UpstreamError(
        'request_in_progress',
        'The same delivery is still being processed elsewhere; DigiCert was not called again',
        { cause: error, retryAfterSeconds: DEFAULT_RETRY_AFTER_SECONDS },
      );
    }
    return new UpstreamError(
      'state_unavailable',
      'The state table could not be read or written, so the delivery could not be recorded; DigiCert was not called',
      { cause: error },
    );
  }
}

/**
 * Powertools reads only `getRemainingTimeInMillis` from the Lambda context, to set the in-progress
 * expiry; ours is the caller's deadline (never 0, which Powertools treats as "unknown").
 */
function deadlineContext(deadline: number): Context {
  const context: Pick<Context, 'getRemainingTimeInMillis'> = {
    getRemainingTimeInMillis: () => Math.max(1, deadline - Date.now()),
  };
  return context as Context;
}
