/**
 * The state table's bounds and endpoint, apart from its DynamoDB client (`state-table.ts`): the
 * budget's signed client (`signed-budget-table.ts`) takes them too, without loading the SDK.
 */
import type { ClientBounds } from '../lib/client-bounds.js';

/**
 * DynamoDB answers in milliseconds when it answers at all. The SDK's standard retry strategy retries
 * throttling, 5xx, resets and timeouts with jittered backoff; these bounds keep a throttled or
 * unreachable table from eating the invocation: at most 3 attempts of at most 1.5 s each (a
 * connection must open within 500 ms), plus the SDK's backoff, so one call gives up within about 6 s
 * (a connection refused: well under a second). A read or write that needs the table then fails as
 * `state_unavailable` rather than waiting for API Gateway's 30 s.
 */
export const STATE_TABLE_BOUNDS: ClientBounds = {
  maxAttempts: 3,
  connectionTimeoutMs: 500,
  requestTimeoutMs: 1_500,
};

/**
 * A state table the SDK's own resolution would not find: a fault stand-in (tests), or the table
 * embedded in local runs (`dev/local-state-table.ts`), which also gives the region and the dummy
 * credentials its requests are signed with, so that no AWS profile is read for it.
 */
export interface StateTableEndpoint {
  readonly url: string;
  /** @default the SDK's (`AWS_REGION`, the profile's) */
  readonly region?: string;
  /** @default the SDK's credential chain */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}
