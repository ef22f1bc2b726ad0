/**
 * What a state table brings to a container (docs/contract.md §6, §7): its one DynamoDB client, the
 * rate budget shared by every container (and the sweep's share of it, and Route 53's own budget),
 * and the idempotency store. Built with the container when
 * `STATE_TABLE_NAME` is set; the Lambda entry imports this module only then, so a container without
 * a table never loads the DynamoDB client or Powertools (docs/performance.md, "Eager state").
 */
import { DynamoDBIdempotencyStore } from '../aws/idempotency-store.js';
import { ROUTE53_ATTEMPT_TIMEOUT_MS, route53Windows } from '../aws/route53/request-budget.js';
import { createStateTableClient } from '../aws/state-table.js';
import { shareOf } from '../rate-limit/budget-share.js';
import { createRateLimiter } from '../rate-limit/container-limiter.js';
import type { SharedRateBudgetOptions } from '../rate-limit/shared-budget.js';
import type { StateFactory } from './compose.js';
import type { Config } from './config.js';

/** Builds the container's state-table pieces, once; the limiter only when none was given. */
export const createState: StateFactory = ({ config, tableName, logger, overrides }) => {
  const client = createStateTableClient(overrides.stateTable, overrides.stateTableEndpoint);
  const budget = (
    rateLimits: Config['rateLimits'],
    keyPrefix?: string,
    own: Partial<SharedRateBudgetOptions> = {},
  ) =>
    createRateLimiter({
      config: { ...config, rateLimits },
      stateTable: client,
      logger,
      shared: { ...(keyPrefix === undefined ? {} : { keyPrefix }), ...own, ...overrides.sharedBudget },
    });
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
    stateTable: { client, tableName },
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
};
