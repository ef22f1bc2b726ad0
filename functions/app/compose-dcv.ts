/**
 * The wiring of the pending-DCV sweep (docs/contract.md §11) and DNS DCV (§12), loaded by the
 * composition root on their first use, in a chunk of their own: an HTTP resend, the bulk queue's
 * resends and the status route never load them. Everything here is built once per container.
 */

import { route53Windows } from '../aws/route53/request-budget.js';
import { DynamoDBSweepLedger } from '../aws/sweep-ledger.js';
import { SqsSweepQueue } from '../aws/sweep-queue.js';
import { SfnWorkflowStarter } from '../aws/workflow-starter.js';
import { createDnsDcvCalls, type DigiCertDnsDcv } from '../dcv/dns/digicert-dcv.js';
import type { DnsZones, WorkflowStarter } from '../dcv/dns/ports.js';
import { createDnsDcvReporter } from '../dcv/dns/report.js';
import { createMigratable, createStartDnsDcv, type StartDnsDcv } from '../dcv/dns/start.js';
import { createDnsDcvTasks, type DnsDcvTasks } from '../dcv/dns/tasks.js';
import { createOrderQuery, createPendingOrdersQuery, type DigiCertOrderReader } from '../dcv/status.js';
import { MemorySweepLedger, type SweepLedger } from '../dcv/sweep/ledger.js';
import { createSweepReporter } from '../dcv/sweep/report.js';
import { createSweep, type Sweep } from '../dcv/sweep/sweep.js';
import type { Telemetry } from '../observability/invocation.js';
import type { Logger } from '../observability/logger.js';
import type { DynamoDbSender } from '../rate-limit/shared-budget.js';
import { createSlidingWindowLimiter } from '../rate-limit/sliding-window.js';
import type { DigiCertCallDependencies } from '../resend/digicert-call.js';
import type { IdempotencyStore } from '../resend/idempotency.js';
import type { DigiCertClient, RateLimiter } from '../resend/ports.js';
import { createResendUseCase } from '../resend/use-case.js';
import type { Config } from './config.js';

/** What the composition root hands over: the parts it already built. */
export interface DcvFeatureParts {
  readonly config: Config;
  /** Every DigiCert call's dependencies: the key, the budget, the retries. */
  readonly calls: DigiCertCallDependencies;
  /** The same within the sweep's share of the budget. */
  readonly sweepCalls: DigiCertCallDependencies;
  readonly digicert: DigiCertClient;
  readonly orderReader: DigiCertOrderReader;
  readonly dnsDcvClient: DigiCertDnsDcv;
  readonly idempotency: IdempotencyStore | undefined;
  readonly stateTable: { readonly client: DynamoDbSender; readonly tableName: string } | undefined;
  /**
   * Every Route 53 request takes a slot of it (Route 53's 5 per second per account): the state
   * table's budget; `undefined` without a table (this container's own window is built here).
   */
  readonly route53Limiter: RateLimiter | undefined;
  /** The runtime's overrides these features take (tests, local runs, the bench). */
  readonly overrides: {
    readonly sweepLedger?: SweepLedger;
    readonly dnsZones?: DnsZones;
    readonly workflow?: WorkflowStarter;
  };
  readonly logger: Logger;
  readonly telemetry: Telemetry;
}

export interface DcvFeatures {
  readonly sweep: Sweep;
  readonly dnsDcv: { readonly start: StartDnsDcv; readonly tasks: DnsDcvTasks };
}

export function composeDcvFeatures(parts: DcvFeatureParts): DcvFeatures {
  const { config, calls, sweepCalls, orderReader, dnsDcvClient, overrides, telemetry } = parts;
  // DNS DCV: the start and the tasks share the key, the budget and the retries.
  const settings = config.dnsDcv;
  const report = createDnsDcvReporter({
    logger: parts.logger,
    service: telemetry.service,
    documentLevel: telemetry.documentLevel,
  });
  const route53Limiter =
    parts.route53Limiter ??
    createSlidingWindowLimiter({ windows: route53Windows(settings.route53RatePerSecond) });
  const zones = dnsZonesOf(settings, overrides.dnsZones, route53Limiter);
  const workflow =
    overrides.workflow ??
    (settings.stateMachineArn === undefined
      ? undefined
      : new SfnWorkflowStarter({ stateMachineArn: settings.stateMachineArn }));
  const startWith = (callDeps: DigiCertCallDependencies) =>
    createStartDnsDcv({
      settings,
      readOrder: createOrderQuery({ ...callDeps, digicert: orderReader }),
      calls: createDnsDcvCalls({ ...callDeps, digicert: dnsDcvClient }),
      zones,
      workflow,
      report,
    });
  // The sweep's migrations take their DigiCert calls from its share, like its resends.
  const migrate = startWith(sweepCalls);
  const dnsDcv = {
    start: startWith(calls),
    tasks: createDnsDcvTasks({
      hostedZoneIds: settings.hostedZoneIds,
      calls: createDnsDcvCalls({ ...calls, digicert: dnsDcvClient }),
      zones,
      report,
    }),
  };
  const sweep = createSweep({
    settings: config.sweep,
    pendingOrders: createPendingOrdersQuery({ ...sweepCalls, digicert: orderReader }),
    readOrder: createOrderQuery({ ...sweepCalls, digicert: orderReader }),
    resend: createResendUseCase({ ...sweepCalls, digicert: parts.digicert }),
    idempotency: parts.idempotency,
    ledger:
      overrides.sweepLedger ??
      (parts.stateTable === undefined ? new MemorySweepLedger() : new DynamoDBSweepLedger(parts.stateTable)),
    migratable: createMigratable({ settings, zones }),
    migrate: async (orderId, options) => {
      await migrate(orderId, 'dns-txt-token', options);
    },
    queue:
      config.ordersQueueUrl === undefined
        ? undefined
        : new SqsSweepQueue({ queueUrl: config.ordersQueueUrl }),
    report: createSweepReporter({
      logger: parts.logger,
      service: telemetry.service,
      documentLevel: telemetry.documentLevel,
    }),
  });
  return { sweep, dnsDcv };
}

/**
 * The hosted zones, built on first use and only when zones are configured: a function without them
 * never loads the Route 53 client (nor STS). Every Route 53 request takes a slot of `limiter`.
 */
function dnsZonesOf(
  settings: Config['dnsDcv'],
  given: DnsZones | undefined,
  limiter: RateLimiter,
): (() => Promise<DnsZones>) | undefined {
  if (given !== undefined) return () => Promise.resolve(given);
  if (settings.hostedZoneIds.length === 0) return undefined;
  let zones: Promise<DnsZones> | undefined;
  return () =>
    (zones ??= import('../aws/route53/dns-dcv-zones.js')
      .then((adapter) => adapter.createDnsDcvZones({ roleArn: settings.roleArn, limiter }))
      .catch((error: unknown) => {
        zones = undefined;
        throw error;
      }));
}
