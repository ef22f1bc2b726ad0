/**
 * The DNS-DCV workflow's tasks (docs/contract.md §12): each takes the state and answers the next
 * one; the state machine decides what runs next and how long to wait. `publish` adds our values
 * in the allowed zones, `changeStatus` asks Route 53 whether they are everywhere, `check` asks
 * DigiCert to check now and says when to ask again, `cleanup` removes our values (only those,
 * again and again without harm) and, when the order was not validated, says why.
 */

import type { DcvCheckResult, DnsDcvCalls } from './digicert-dcv.js';
import { DnsChangeNotInSyncError } from './errors.js';
import type { DnsZones } from './ports.js';
import type { DnsDcvReporter } from './report.js';
import {
  type DnsDcvState,
  type DnsDcvStateRecord,
  MAX_SYNC_POLLS,
  nextCheckSeconds,
  WORKFLOW_LIMIT_SECONDS,
  type WorkflowError,
} from './state.js';

export interface DnsDcvTaskDependencies {
  readonly hostedZoneIds: readonly string[];
  readonly calls: Pick<DnsDcvCalls, 'checkDcv'>;
  /** `undefined` when no zone is configured: nothing is published or removed. */
  readonly zones: (() => Promise<DnsZones>) | undefined;
  readonly report: DnsDcvReporter;
  readonly now?: () => number;
}

export interface DnsDcvTaskOptions {
  readonly deadline: number;
  /** The failure that sent the workflow to its cleanup. */
  readonly error?: WorkflowError | undefined;
}

export type DnsDcvTaskRun = (state: DnsDcvState, options: DnsDcvTaskOptions) => Promise<DnsDcvState>;

export interface DnsDcvTasks {
  readonly publish: DnsDcvTaskRun;
  readonly 'change-status': DnsDcvTaskRun;
  readonly check: DnsDcvTaskRun;
  readonly cleanup: DnsDcvTaskRun;
}

/** Reasons of `DnsDcvFailed` that are not an error's name. */
export const NOT_VALIDATED_REASONS = {
  expired: 'RandomValueExpired',
  gaveUp: 'GaveUp',
  other: 'NotValidated',
} as const;

export function createDnsDcvTasks(deps: DnsDcvTaskDependencies): DnsDcvTasks {
  const now = deps.now ?? Date.now;
  const allowed = new Set(deps.hostedZoneIds);
  /** Records the workflow may write: published, in a zone still allowed. */
  const ours = (state: DnsDcvState) =>
    state.records.filter(
      (record): record is DnsDcvStateRecord & { hosted_zone_id: string } =>
        record.published && record.hosted_zone_id !== null && allowed.has(record.hosted_zone_id),
    );
  const zonesFor = async (state: DnsDcvState): Promise<DnsZones | undefined> =>
    deps.zones === undefined || ours(state).length === 0 ? undefined : deps.zones();

  return {
    async publish(state, { deadline }) {
      const zones = await zonesFor(state);
      const changes: string[] = [];
      for (const record of ours(state)) {
        const change = await zones?.publish(toZoneRecord(record), { deadline });
        if (change !== undefined) changes.push(change);
      }
      // A record whose zone is no longer allowed is the user's to publish.
      const records = state.records.map((record) =>
        record.published && (record.hosted_zone_id === null || !allowed.has(record.hosted_zone_id))
          ? { ...record, published: false }
          : record,
      );
      return { ...state, records, changes, in_sync: false, sync_polls: 0 };
    },

    async 'change-status'(state, { deadline }) {
      if (state.changes.length === 0) return { ...state, in_sync: true };
      if (state.sync_polls >= MAX_SYNC_POLLS) {
        throw new DnsChangeNotInSyncError(
          `Route 53 did not report the changes of order ${state.order_id} in sync after ${state.sync_polls} polls`,
        );
      }
      const zones = deps.zones === undefined ? undefined : await deps.zones();
      let inSync = true;
      for (const change of state.changes) {
        if ((await zones?.changeStatus(change, { deadline })) !== 'INSYNC') {
          inSync = false;
          break;
        }
      }
      return { ...state, in_sync: inSync, sync_polls: state.sync_polls + 1 };
    },

    async check(state, { deadline }) {
      const result: DcvCheckResult = await deps.calls.checkDcv(state.order_id, { deadline });
      const at = now();
      const elapsed = Math.max(0, (at - Date.parse(state.started_at)) / 1000);
      const checks = state.checks + 1;
      if (result.validated) {
        deps.report.validated(state.order_id, Math.round(elapsed));
        return { ...state, checks, validated: true, last_codes: [] };
      }
      const expiresAt = Date.parse(state.expires_at);
      const expired = result.expired || (Number.isFinite(expiresAt) && at >= expiresAt);
      return {
        ...state,
        checks,
        validated: false,
        expired,
        gave_up: expired || elapsed >= WORKFLOW_LIMIT_SECONDS,
        next_check_seconds: nextCheckSeconds(elapsed),
        last_codes: [...result.codes],
      };
    },

    async cleanup(state, { deadline, error }) {
      const zones = await zonesFor(state);
      for (const record of ours(state)) await zones?.cleanup(toZoneRecord(record), { deadline });
      if (!state.validated) deps.report.failed(state.order_id, reasonOf(state, error));
      return state;
    },
  };
}

/** Why the workflow ended without validation: the error's name, else what the last check said. */
export function reasonOf(state: DnsDcvState, error: WorkflowError | undefined): string {
  const name = error?.Error?.trim();
  if (name) return name;
  if (state.expired) return NOT_VALIDATED_REASONS.expired;
  if (state.gave_up) return NOT_VALIDATED_REASONS.gaveUp;
  return NOT_VALIDATED_REASONS.other;
}

function toZoneRecord(record: DnsDcvStateRecord & { hosted_zone_id: string }) {
  return { zoneId: record.hosted_zone_id, name: record.name, type: record.type, value: record.value };
}
