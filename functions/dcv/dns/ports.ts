/**
 * What DNS DCV needs from the outside, in its own terms: the hosted zones (Route 53,
 * `aws/route53/dns-dcv-zones.ts`) and the workflow engine (Step Functions, `aws/workflow-starter.ts`;
 * locally `dev/local-workflow.ts`).
 */
import type { DnsDcvState } from './state.js';

/** One record in one hosted zone. */
export interface ZoneRecord {
  readonly zoneId: string;
  readonly name: string;
  readonly type: 'TXT' | 'CNAME';
  readonly value: string;
}

/** The allowed zone holding a name, or why there is none. */
export type ZoneLookup =
  | { readonly allowed: true; readonly zoneId: string }
  | { readonly allowed: false; readonly reason: string };

/** The invocation's deadline (epoch ms): a call waits for Route 53's request budget no longer than it allows. */
export interface ZoneCallOptions {
  readonly deadline?: number | undefined;
}

/**
 * The hosted zones. Failures are thrown as `UpstreamError` (worth retrying; also when no request
 * slot frees in time), `ConfigurationError` (access denied, no such zone) or the DNS-DCV errors of
 * `errors.ts`.
 */
export interface DnsZones {
  /** The longest public zone holding `name`, if it is one of `allowedZoneIds`. */
  findZone(name: string, allowedZoneIds: readonly string[], call?: ZoneCallOptions): Promise<ZoneLookup>;
  /** Adds our value, keeping the others; the change id to wait for, or `undefined` when already there. */
  publish(record: ZoneRecord, call?: ZoneCallOptions): Promise<string | undefined>;
  /** Removes our value only; `undefined` when it was already gone. */
  cleanup(record: ZoneRecord, call?: ZoneCallOptions): Promise<string | undefined>;
  changeStatus(changeId: string, call?: ZoneCallOptions): Promise<'PENDING' | 'INSYNC'>;
}

/** An execution with this name exists and is over: the name cannot be used again. */
export class ExecutionNameTakenError extends Error {
  override readonly name = 'ExecutionNameTakenError';
}

/** Starts the DNS-DCV workflow. */
export interface WorkflowStarter {
  /**
   * Starts the execution `name` with `input`; when one of that name is running, answers it (with
   * `alreadyRunning`). Throws {@link ExecutionNameTakenError} when one of that name has ended.
   */
  start(
    name: string,
    input: DnsDcvState,
  ): Promise<{ readonly executionArn: string; readonly alreadyRunning: boolean }>;
}
