/**
 * What a state table brings to a container (docs/contract.md §6, §7): its one DynamoDB client, the
 * rate budget shared by every container, and the idempotency store. `runtime.ts` imports this module
 * only when `STATE_TABLE_NAME` is set, on the first call that needs it: a container without a table
 * (local runs, the CLI's `--local`) never loads the DynamoDB client, and the deployed bundle keeps it
 * in chunks of their own (`tools/bundle-options.ts`).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { OnDemandIdempotencyStore, powertoolsStore } from '../aws/on-demand-idempotency-store.js';
import {
  createStateTableClient,
  type StateTableBounds,
  type StateTableEndpoint,
} from '../aws/state-table.js';
import type { Logger } from '../observability/logger.js';
import { createRateLimiter } from '../rate-limit/container-limiter.js';
import type { SharedRateBudgetOptions } from '../rate-limit/shared-budget.js';
import type { IdempotencyStore } from '../resend/idempotency.js';
import type { RateLimiter } from '../resend/ports.js';
import type { Config } from './config.js';

export interface StateWiringOptions {
  readonly config: Config;
  readonly tableName: string;
  readonly logger: Logger;
  /** Bounds on the DynamoDB client. @default STATE_TABLE_BOUNDS */
  readonly bounds?: Partial<StateTableBounds>;
  /** @default the SDK's (AWS_ENDPOINT_URL_DYNAMODB) */
  readonly endpoint?: string | StateTableEndpoint;
  /** Shared budget settings (tests). */
  readonly sharedBudget?: Partial<SharedRateBudgetOptions>;
  /** Build no shared budget: the runtime was given its own limiter. */
  readonly ownLimiter: boolean;
}

export interface StateWiring {
  readonly client: DynamoDBClient;
  /** The shared budget; `undefined` when the runtime has its own limiter. */
  readonly limiter: RateLimiter | undefined;
  readonly idempotency: IdempotencyStore;
}

/** Builds the container's state-table pieces, once. */
export function createStateWiring(options: StateWiringOptions): StateWiring {
  const { config, tableName, logger } = options;
  const client = createStateTableClient(options.bounds, options.endpoint);
  return {
    client,
    limiter: options.ownLimiter
      ? undefined
      : createRateLimiter({
          config: { ...config, stateTableName: tableName },
          stateTable: client,
          logger,
          ...(options.sharedBudget ? { shared: options.sharedBudget } : {}),
        }),
    // Loaded by the first delivery that is recorded: a plain HTTP resend does not pay for Powertools.
    idempotency: new OnDemandIdempotencyStore(
      powertoolsStore({
        client,
        tableName,
        ttlSeconds: config.idempotencyTtlSeconds,
        onUnrecorded: (error) =>
          logger.warn('outcome not recorded', { reason: error instanceof Error ? error.message : 'unknown' }),
      }),
    ),
  };
}
