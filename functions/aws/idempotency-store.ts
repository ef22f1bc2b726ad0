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
import { type DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { DEFAULT_RETRY_AFTER_SECONDS } from '../app/contract.js';
import { IdempotencyKeyReusedError, UpstreamError } from '../lib/errors.js';
import { isRecord } from '../lib/is-record.js';
import type { DeliveryKey, IdempotencyStore, Once, OnceOptions } from '../resend/idempotency.js';

/** Every record's id starts with this (Powertools would otherwise use the function's name, which changes per stack). */
export const RECORD_PREFIX = 'dcv-resend';

export interface DynamoDBIdempotencyStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly ttlSeconds: number;
  /**
   * The work ran but its outcome could not be recorded before the deadline (the table kept failing
   * after DigiCert answered): the answer is still given. `inProgress`: the record was kept "in
   * progress" beyond the deadline, so no redelivery repeats the work; otherwise (the table refused
   * that too) it lapses at the deadline. `order`: the order the key stands for. Must not throw.
   */
  readonly onUnrecorded?: (error: unknown, about: { order?: number; inProgress: boolean }) => void;
  /** How long one order's claim lasts. @default ORDER_CLAIM_MS */
  readonly orderClaimMs?: number;
  /** Waits between attempts to record an outcome. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Waits between attempts to record an outcome: doubling from the first, at most the cap. */
export const RECORD_RETRY = { firstDelayMs: 100, maxDelayMs: 1_000 } as const;

/** The table's attribute names (Powertools' defaults, named here because `keepInProgress` writes them). */
const ATTRIBUTES = { key: 'id', status: 'status', inProgressExpiry: 'in_progress_expiration' } as const;

/** What Powertools stores (JSON); our keys, requests and outcomes are JSON. */
type Json = Parameters<DynamoDBPersistenceLayer['saveSuccess']>[1];

/** Powertools' layer, plus the one write it lacks. */
class StateTableLayer extends DynamoDBPersistenceLayer {
  readonly #client: DynamoDBClient;
  readonly #tableName: string;

  constructor(client: DynamoDBClient, tableName: string) {
    super({
      tableName,
      awsSdkV3Client: client,
      keyAttr: ATTRIBUTES.key,
      statusAttr: ATTRIBUTES.status,
      inProgressExpiryAttr: ATTRIBUTES.inProgressExpiry,
    });
    this.#client = client;
    this.#tableName = tableName;
  }

  /**
   * Removes the holder's deadline from an "in progress" record: Powertools lets a caller take over
   * such a record only while that deadline exists and has passed, so the record now blocks every
   * caller (409) until it expires (`IDEMPOTENCY_TTL_SECONDS`).
   */
  async keepInProgress(data: { key: DeliveryKey; request: unknown }): Promise<void> {
    // Private in Powertools' types only: the same hash its own writes use.
    const hashed = (
      this as unknown as { getHashedIdempotencyKey(d: unknown): string }
    ).getHashedIdempotencyKey(data);
    await this.#client.send(
      new UpdateItemCommand({
        TableName: this.#tableName,
        Key: { [ATTRIBUTES.key]: { S: hashed } },
        UpdateExpression: 'REMOVE #expiry',
        ConditionExpression: '#status = :inprogress',
        ExpressionAttributeNames: { '#expiry': ATTRIBUTES.inProgressExpiry, '#status': ATTRIBUTES.status },
        ExpressionAttributeValues: { ':inprogress': { S: 'INPROGRESS' } },
      }),
    );
  }
}

type Ran<T> = { readonly value: T } | { readonly error: unknown };

/** Implements `IdempotencyStore` with Powertools on one DynamoDB table (partition key `id`). */
export class DynamoDBIdempotencyStore implements IdempotencyStore {
  readonly #layer: StateTableLayer;
  readonly #options: DynamoDBIdempotencyStoreOptions;
  readonly orderClaimMs: number | undefined;

  constructor(options: DynamoDBIdempotencyStoreOptions) {
    this.#options = options;
    this.orderClaimMs = options.orderClaimMs;
    this.#layer = new StateTableLayer(options.client, options.tableName);
  }

  async once<T>(
    key: DeliveryKey,
    request: unknown,
    deadline: number,
    work: () => Promise<T>,
    options: OnceOptions = {},
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
        await this.#record({ key, request }, outcome.value, deadline, error, options.acts ?? true);
        return { value: outcome.value, replayed: false };
      }
      throw this.#translate(error, key);
    }
  }

  /**
   * The work ran and Powertools could not record its outcome (docs/contract.md §6): recording is
   * retried until the deadline. Work that acted first has its record kept "in progress" beyond its
   * deadline, so that a redelivery answers 409 / transient instead of acting again; Powertools
   * itself leaves the record to lapse at the deadline, when a redelivery would take it over.
   */
  async #record<T>(
    data: { key: DeliveryKey; request: unknown },
    value: T,
    deadline: number,
    error: unknown,
    acts: boolean,
  ): Promise<void> {
    const sleep = this.#options.sleep ?? ((ms: number) => new Promise((resolve) => setTimeout(resolve, ms)));
    let last = error;
    let inProgress = false;
    for (
      let delay: number = RECORD_RETRY.firstDelayMs;
      ;
      delay = Math.min(delay * 2, RECORD_RETRY.maxDelayMs)
    ) {
      if (acts && !inProgress) {
        inProgress = await this.#layer.keepInProgress(data).then(
          () => true,
          () => false,
        );
      }
      if (Date.now() + delay >= deadline) break;
      await sleep(delay);
      try {
        await this.#layer.saveSuccess(data as unknown as Json, value as Json);
        return;
      } catch (retryError) {
        last = retryError;
      }
    }
    const order = data.key.order ?? orderOf(data.request);
    this.#options.onUnrecorded?.(last, { ...(order === undefined ? {} : { order }), inProgress });
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

/** The order an HTTP delivery's request names (its key holds only the delivery). */
function orderOf(request: unknown): number | undefined {
  return isRecord(request) && typeof request.order_id === 'number' ? request.order_id : undefined;
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
