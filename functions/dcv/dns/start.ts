/**
 * Moving an order to DNS DCV (docs/contract.md §12): read the order's names, switch its DCV method
 * at DigiCert, compute the records, find each record's allowed hosted zone, and start the workflow
 * that publishes, checks and cleans up. One use case for every way in: HTTP, the direct action, the
 * sweep's `migrate` policy and the CLI. It knows nothing of Lambda events or HTTP statuses.
 */
import type { DnsDcvMethod, DnsDcvTxtName } from '../../app/contract.js';
import { ConfigurationError } from '../../lib/errors.js';
import type { DigiCertOrder } from '../status.js';
import type { DnsDcvCalls, RandomValue } from './digicert-dcv.js';
import { type DnsZones, ExecutionNameTakenError, type WorkflowStarter } from './ports.js';
import { dnsRecordsFor } from './records.js';
import type { DnsDcvReporter } from './report.js';
import {
  type DnsDcvStarted,
  type DnsDcvState,
  type DnsDcvStateRecord,
  executionName,
  isoSeconds,
  nextCheckSeconds,
} from './state.js';

export interface DnsDcvSettings {
  /** `DNS_DCV_HOSTED_ZONE_IDS`; empty: every record is published by hand. */
  readonly hostedZoneIds: readonly string[];
  readonly txtName: DnsDcvTxtName;
}

export interface StartDnsDcvDependencies {
  readonly settings: DnsDcvSettings;
  /** `GET /order/certificate/{id}` (`status.ts`'s `createOrderQuery`). */
  readonly readOrder: (orderId: number, options: { deadline: number }) => Promise<DigiCertOrder>;
  readonly calls: Pick<DnsDcvCalls, 'switchToDns' | 'currentRandomValue'>;
  /** The hosted zones; `undefined` when none is configured (no Route 53 client is built). */
  readonly zones: (() => Promise<DnsZones>) | undefined;
  /** `undefined` outside the stack without a local runner: refused before DigiCert is called. */
  readonly workflow: WorkflowStarter | undefined;
  readonly report: DnsDcvReporter;
  readonly now?: () => number;
}

export type StartDnsDcv = (
  orderId: number,
  method: DnsDcvMethod,
  options: { deadline: number },
) => Promise<DnsDcvStarted>;

/** Builds the use case. */
export function createStartDnsDcv(deps: StartDnsDcvDependencies): StartDnsDcv {
  const now = deps.now ?? Date.now;
  return async (orderId, method, { deadline }) => {
    const workflow = deps.workflow;
    if (workflow === undefined) {
      throw new ConfigurationError(
        'invalid_configuration',
        'DNS DCV needs its workflow: DNS_DCV_STATE_MACHINE_ARN is not set',
      );
    }
    const order = await deps.readOrder(orderId, { deadline });
    const names = dnsNamesOf(order);
    // The order already on this method keeps its value (unless it expired), so a second start
    // finds the running execution by name instead of starting another.
    let value =
      order.dcv_method === method
        ? await deps.calls.currentRandomValue(orderId, { deadline })
        : await deps.calls.switchToDns(orderId, method, { deadline });
    const records = await recordsFor(names, method, value, deps, deadline);
    let state = initialState(orderId, method, value, records, now());
    let started: { executionArn: string; alreadyRunning: boolean };
    try {
      started = await workflow.start(executionName(orderId, value.randomValue), state);
    } catch (error) {
      if (!(error instanceof ExecutionNameTakenError)) throw error;
      // A workflow with this value has ended (failed, or validated and the order reopened): a new
      // value gives a new name.
      value = await deps.calls.switchToDns(orderId, method, { deadline });
      state = initialState(
        orderId,
        method,
        value,
        await recordsFor(names, method, value, deps, deadline),
        now(),
      );
      started = await workflow.start(executionName(orderId, value.randomValue), state);
    }
    if (!started.alreadyRunning) {
      deps.report.started(orderId, { method, execution: started.executionArn });
    }
    return {
      order_id: orderId,
      method,
      random_value: value.randomValue,
      expires_at: value.expiresAt,
      records: state.records,
      execution: started.executionArn,
    };
  };
}

/**
 * Whether every record of `dnsNames` is in an allowed hosted zone (the sweep's `migrate` policy):
 * false without zones, without names, or when one name has no allowed zone.
 */
export function createMigratable(
  deps: Pick<StartDnsDcvDependencies, 'settings' | 'zones'>,
): (dnsNames: readonly string[]) => Promise<boolean> {
  return async (dnsNames) => {
    const getZones = deps.zones;
    if (getZones === undefined || deps.settings.hostedZoneIds.length === 0) return false;
    // Where the records go does not depend on the value; TXT is the method the sweep moves to.
    const records = dnsRecordsFor(dnsNames, 'dns-txt-token', 'x', deps.settings.txtName);
    if (records.length === 0) return false;
    const zones = await getZones();
    for (const record of records) {
      const found = await zones.findZone(record.name, deps.settings.hostedZoneIds);
      if (!found.allowed) return false;
    }
    return true;
  };
}

/** The order's common name and SANs. */
export function dnsNamesOf(order: DigiCertOrder): string[] {
  const certificate = order.certificate ?? {};
  const names = [certificate.common_name ?? '', ...(certificate.dns_names ?? [])];
  return names.filter((name) => name.trim() !== '');
}

async function recordsFor(
  names: readonly string[],
  method: DnsDcvMethod,
  value: RandomValue,
  deps: Pick<StartDnsDcvDependencies, 'settings' | 'zones'>,
  deadline: number,
): Promise<DnsDcvStateRecord[]> {
  const records = dnsRecordsFor(names, method, value.randomValue, deps.settings.txtName);
  const allowed = deps.settings.hostedZoneIds;
  const getZones = deps.zones;
  if (getZones === undefined || allowed.length === 0) {
    return records.map((record) => ({ ...record, hosted_zone_id: null, published: false }));
  }
  const zones = await getZones();
  const placed: DnsDcvStateRecord[] = [];
  for (const record of records) {
    const found = await zones.findZone(record.name, allowed, { deadline });
    placed.push(
      found.allowed
        ? { ...record, hosted_zone_id: found.zoneId, published: true }
        : { ...record, hosted_zone_id: null, published: false },
    );
  }
  return placed;
}

function initialState(
  orderId: number,
  method: DnsDcvMethod,
  value: RandomValue,
  records: readonly DnsDcvStateRecord[],
  at: number,
): DnsDcvState {
  return {
    order_id: orderId,
    method,
    random_value: value.randomValue,
    expires_at: value.expiresAt,
    records,
    started_at: isoSeconds(at),
    changes: [],
    in_sync: false,
    sync_polls: 0,
    checks: 0,
    validated: false,
    expired: false,
    gave_up: false,
    next_check_seconds: nextCheckSeconds(0),
    last_codes: [],
  };
}
