/**
 * The state table's pieces that need the DynamoDB SDK (and Powertools): the container's one SDK
 * client and the idempotency store on it. `state.ts` imports this module on their first use, in a
 * chunk of its own, so that a plain HTTP resend's cold start loads neither (docs/performance.md,
 * "Eager state").
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBIdempotencyStore } from '../aws/idempotency-store.js';
import { createStateTableClient } from '../aws/state-table.js';
import type { Logger } from '../observability/logger.js';
import type { IdempotencyStore } from '../resend/idempotency.js';
import type { RuntimeOverrides } from './compose.js';
import type { Config } from './config.js';

export interface SdkState {
  readonly client: DynamoDBClient;
  readonly idempotency: IdempotencyStore;
}

/** The SDK client (bounds and endpoint from `overrides`) and the idempotency store on it. */
export function createSdkState(options: {
  readonly config: Config;
  readonly tableName: string;
  readonly logger: Logger;
  readonly overrides: RuntimeOverrides;
}): SdkState {
  const { config, tableName, logger, overrides } = options;
  const client = createStateTableClient(overrides.stateTable, overrides.stateTableEndpoint);
  return {
    client,
    idempotency: new DynamoDBIdempotencyStore({
      client,
      tableName,
      ttlSeconds: config.idempotencyTtlSeconds,
      ...(overrides.orderClaimMs === undefined ? {} : { orderClaimMs: overrides.orderClaimMs }),
      // docs/contract.md §6: names the order, never the delivery id (a caller's key).
      onUnrecorded: (error, { order, inProgress }) =>
        logger.warn(
          inProgress
            ? "DigiCert's answer could not be recorded; the delivery stays in progress, so a redelivery does not send it again"
            : "DigiCert's answer could not be recorded; the delivery's record lapses at this invocation's deadline",
          {
            ...(order === undefined ? {} : { order_id: order }),
            reason: error instanceof Error ? error.message : 'unknown',
          },
        ),
    }),
  };
}
