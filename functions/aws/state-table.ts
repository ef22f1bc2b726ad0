/**
 * The one DynamoDB client of a container, for the state table (docs/contract.md §4 `STATE_TABLE_NAME`):
 * idempotency records and the sweep's ledger go through it (and the shared rate budget where its
 * signed client, `signed-budget-table.ts`, does not serve), built on their first use
 * (`app/state-sdk.ts`). The SDK reads `AWS_REGION` and `AWS_ENDPOINT_URL_DYNAMODB` itself (tests point it
 * at dynalite that way).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ClientBounds } from '../lib/client-bounds.js';
import { STATE_TABLE_BOUNDS, type StateTableEndpoint } from './state-table-bounds.js';

export { STATE_TABLE_BOUNDS, type StateTableEndpoint } from './state-table-bounds.js';

/**
 * Builds the container's DynamoDB client with bounded retries and timeouts. `endpoint` (a URL, or
 * a {@link StateTableEndpoint}) overrides the SDK's own resolution; leave it out otherwise.
 */
export function createStateTableClient(
  bounds: Partial<ClientBounds> = {},
  endpoint?: string | StateTableEndpoint,
): DynamoDBClient {
  const { maxAttempts, connectionTimeoutMs, requestTimeoutMs } = { ...STATE_TABLE_BOUNDS, ...bounds };
  const target = typeof endpoint === 'string' ? { url: endpoint } : endpoint;
  return new DynamoDBClient({
    ...(target === undefined ? {} : { endpoint: target.url }),
    ...(target?.region === undefined ? {} : { region: target.region }),
    ...(target?.credentials === undefined ? {} : { credentials: target.credentials }),
    maxAttempts,
    requestHandler: {
      connectionTimeout: connectionTimeoutMs,
      requestTimeout: requestTimeoutMs,
      // Without this the SDK only logs a warning when requestTimeout passes, and keeps waiting.
      throwOnRequestTimeout: true,
    },
  });
}
