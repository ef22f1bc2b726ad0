/**
 * What a state table brings to a container (docs/contract.md §6, §7): the rate budget shared by
 * every container (and the sweep's share of it, and Route 53's own budget), the idempotency store,
 * and the table itself for the sweep's ledger. The Lambda entry imports this module with the
 * container when `STATE_TABLE_NAME` is set; a container without a table never loads it.
 *
 * The budgets are built here, eagerly, on a SigV4-signed JSON client (`aws/signed-budget-table.ts`)
 * when the environment holds the credentials and region Lambda sets: a plain HTTP resend then
 * takes and frees its slot without loading the DynamoDB SDK or Powertools. The SDK client and the
 * idempotency store (`state-sdk.ts`) are built on their first use (a delivery with a key, the
 * sweep's ledger, a budget call where the signed client does not serve), once per container
 * (docs/performance.md, "Eager state").
 */
import { ROUTE53_ATTEMPT_TIMEOUT_MS, route53Windows } from '../aws/route53/request-budget.js';
import { SignedBudgetTable, signedBudgetTableEligible } from '../aws/signed-budget-table.js';
import { STATE_TABLE_BOUNDS, type StateTableEndpoint } from '../aws/state-table-bounds.js';
import { UpstreamError } from '../lib/errors.js';
import { shareOf } from '../rate-limit/budget-share.js';
import type { BudgetTable } from '../rate-limit/budget-table.js';
import { createRateLimiter } from '../rate-limit/container-limiter.js';
import { sdkBudgetTable } from '../rate-limit/sdk-budget-table.js';
import type { SharedRateBudgetOptions } from '../rate-limit/shared-budget.js';
import type { IdempotencyStore } from '../resend/idempotency.js';
import type { StateFactory } from './compose.js';
import type { Config } from './config.js';
import type { SdkState } from './state-sdk.js';

/** Builds the container's state-table pieces, once; the limiter only when none was given. */
export const createState: StateFactory = (options) => {
  const { config, tableName, logger, overrides } = options;
  // The SDK's pieces, on first use; a failed import is tried again on the next.
  let sdk: Promise<SdkState> | undefined;
  const loadSdk = () =>
    (sdk ??= import('./state-sdk.js')
      .then((module) => module.createSdkState(options))
      .catch((error: unknown) => {
        sdk = undefined;
        throw error;
      }));
  const env = signedEnvironment(process.env, overrides.stateTableEndpoint);
  const table: BudgetTable = signedBudgetTableEligible(env)
    ? new SignedBudgetTable(env, { ...STATE_TABLE_BOUNDS, ...overrides.stateTable })
    : {
        updateItem: async (input, call) => sdkBudgetTable((await loadSdk()).client).updateItem(input, call),
        batchGetItem: async (input, call) =>
          sdkBudgetTable((await loadSdk()).client).batchGetItem(input, call),
      };
  const budget = (
    rateLimits: Config['rateLimits'],
    keyPrefix?: string,
    own: Partial<SharedRateBudgetOptions> = {},
  ) =>
    createRateLimiter({
      config: { ...config, rateLimits },
      stateTable: table,
      logger,
      shared: { ...(keyPrefix === undefined ? {} : { keyPrefix }), ...own, ...overrides.sharedBudget },
    });
  const idempotency: IdempotencyStore = {
    orderClaimMs: overrides.orderClaimMs,
    async once(key, request, deadline, work, onceOptions) {
      let store: IdempotencyStore;
      try {
        store = (await loadSdk()).idempotency;
      } catch (error) {
        // As the store answers for a table it cannot reach: nothing was recorded, DigiCert not called.
        throw new UpstreamError(
          'state_unavailable',
          'The state table could not be read or written, so the delivery could not be recorded; DigiCert was not called',
          { cause: error },
        );
      }
      return store.once(key, request, deadline, work, onceOptions);
    },
  };
  return {
    limiter: overrides.limiter === undefined ? budget(config.rateLimits) : undefined,
    // docs/contract.md §11: the sweep's share, counted in its own items of the same table.
    sweepShare:
      overrides.limiter === undefined
        ? budget(shareOf(config.rateLimits, config.sweep.budgetShare), 'sweep-budget')
        : undefined,
    // docs/contract.md §12: Route 53's requests per second, counted in items of their own; a slot
    // is leased for one Route 53 attempt, not a DigiCert one.
    route53Limiter: budget(route53Windows(config.dnsDcv.route53RatePerSecond), 'route53-budget', {
      attemptTimeoutMs: ROUTE53_ATTEMPT_TIMEOUT_MS,
    }),
    stateTable: { client: async () => (await loadSdk()).client, tableName },
    idempotency,
  };
};

/**
 * The environment the signed client reads: the process's, with the endpoint a runtime override
 * names (a fault stand-in, or the local table with its region and dummy credentials).
 */
function signedEnvironment(
  env: Readonly<Record<string, string | undefined>>,
  endpoint: string | StateTableEndpoint | undefined,
): Readonly<Record<string, string | undefined>> {
  if (endpoint === undefined) return env;
  const target = typeof endpoint === 'string' ? { url: endpoint } : endpoint;
  return {
    ...env,
    AWS_ENDPOINT_URL_DYNAMODB: target.url,
    ...(target.region === undefined ? {} : { AWS_REGION: target.region }),
    ...(target.credentials === undefined
      ? {}
      : {
          AWS_ACCESS_KEY_ID: target.credentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: target.credentials.secretAccessKey,
          AWS_SESSION_TOKEN: undefined,
        }),
  };
}
