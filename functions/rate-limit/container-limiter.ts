/**
 * Which rate limiter a container uses (docs/contract.md §7): with a state table, the budget shared
 * by every container, falling back to this container's share while the table cannot be reached;
 * without one (local runs, the CLI's `--local`), today's per-process sliding window.
 */

import type { Config } from '../app/config.js';
import type { Logger } from '../observability/logger.js';
import type { RateLimiter } from '../resend/ports.js';
import type { BudgetTable } from './budget-table.js';
import { fallbackShare, ringWindows } from './fallback.js';
import {
  createSharedRateBudget,
  type DynamoDbSender,
  type SharedRateBudgetOptions,
} from './shared-budget.js';
import { createSlidingWindowLimiter } from './sliding-window.js';

export interface RateBudgetWiring {
  readonly config: Pick<
    Config,
    'rateLimits' | 'rateLimitShareDivisor' | 'stateTableName' | 'digicertTimeoutMs'
  >;
  /**
   * The container's state table: its DynamoDB SDK client, or the budget's own table client
   * (`aws/signed-budget-table.ts`); `undefined` without `STATE_TABLE_NAME`.
   */
  readonly stateTable: DynamoDbSender | BudgetTable | undefined;
  readonly logger: Logger;
  /** Overrides for tests (shorter windows go in through `config.rateLimits`). */
  readonly shared?: Partial<SharedRateBudgetOptions>;
}

/** The container's limiter, shared by every invocation it serves. */
export function createRateLimiter({ config, stateTable, logger, shared }: RateBudgetWiring): RateLimiter {
  if (stateTable === undefined || config.stateTableName === undefined) {
    return createSlidingWindowLimiter({ windows: config.rateLimits });
  }
  const share = fallbackShare(config.rateLimits, config.rateLimitShareDivisor);
  let warned = false;
  return createSharedRateBudget({
    ...('send' in stateTable ? { client: stateTable } : { table: stateTable }),
    tableName: config.stateTableName,
    // The ring leaves the shares of the containers that may be on theirs at once unused.
    windows: ringWindows(config.rateLimits, config.rateLimitShareDivisor),
    attemptTimeoutMs: config.digicertTimeoutMs,
    ...(share ? { fallback: createSlidingWindowLimiter({ windows: share }) } : {}),
    onTableUnavailable: (error) => {
      // Once per container: an outage would otherwise log on every request.
      if (warned) return;
      warned = true;
      logger.warn(
        share
          ? "rate budget: the state table cannot be reached; keeping to this container's share"
          : 'rate budget: the state table cannot be reached; refusing DigiCert requests until it can',
        {
          reason: error instanceof Error ? error.name : 'unknown',
          ...(share ? { share: share.map((w) => `${w.limit}/${w.windowMs}ms`).join(', ') } : {}),
        },
      );
    },
    // Once per container (the budget tells it once): the answers' Date proves this clock off.
    onClockSkew: ({ lowMs, highMs }) =>
      logger.warn(
        "rate budget: this container's clock is off from the state table's by more than half the skew margin; widening this container's margin by as much",
        { offsetLowMs: lowMs, offsetHighMs: highMs },
      ),
    ...shared,
  });
}
