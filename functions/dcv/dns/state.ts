/**
 * The DNS-DCV workflow's state (docs/contract.md §12, the workflow contract): the JSON object the
 * state machine passes from task to task, and the pure rules on it (when to check again, when to
 * give up). Every field is present from the start, so the state machine's Choice states never read
 * a missing path.
 */
import {
  array,
  boolean,
  enum as enumOf,
  int,
  looseObject,
  nullable,
  number,
  object,
  optional,
  string,
} from 'zod/mini';
import { DNS_DCV_METHODS, DNS_DCV_TASKS, type DnsDcvMethod, type DnsDcvTask } from '../../app/contract.js';

/** One record of the state and of the 202 answer. */
export interface DnsDcvStateRecord {
  readonly name: string;
  readonly type: 'TXT' | 'CNAME';
  readonly value: string;
  /** The allowed hosted zone that holds the name; `null`: the user publishes it by hand. */
  readonly hosted_zone_id: string | null;
  /** Whether the workflow publishes (and later removes) it. */
  readonly published: boolean;
}

export interface DnsDcvState {
  readonly order_id: number;
  readonly method: DnsDcvMethod;
  readonly random_value: string;
  /** ISO 8601 in UTC. */
  readonly expires_at: string;
  readonly records: readonly DnsDcvStateRecord[];
  /** The workflow's start: the 24 hours count from it. */
  readonly started_at: string;
  /** Route 53 change ids to wait for (after publish). */
  readonly changes: readonly string[];
  readonly in_sync: boolean;
  readonly sync_polls: number;
  readonly checks: number;
  readonly validated: boolean;
  readonly expired: boolean;
  readonly gave_up: boolean;
  readonly next_check_seconds: number;
  /** DigiCert's "not yet" codes of the last check. */
  readonly last_codes: readonly string[];
}

/** The answer to a start (docs/contract.md §12, 202). */
export interface DnsDcvStarted {
  readonly order_id: number;
  readonly method: DnsDcvMethod;
  readonly random_value: string;
  readonly expires_at: string;
  readonly records: readonly DnsDcvStateRecord[];
  /** The execution's ARN. */
  readonly execution: string;
}

/** Step Functions' error of a `Catch` (`ResultPath: $.error`), passed to the cleanup after a failure. */
export interface WorkflowError {
  readonly Error?: string | undefined;
  readonly Cause?: string | undefined;
}

/** One task invocation: `{"dns_dcv_task": ..., "state": {...}, "error"?: {...}}`. */
export interface DnsDcvTaskEvent {
  readonly task: DnsDcvTask;
  readonly state: DnsDcvState;
  readonly error: WorkflowError | undefined;
}

const recordSchema = object({
  name: string(),
  type: enumOf(['TXT', 'CNAME']),
  value: string(),
  hosted_zone_id: nullable(string()),
  published: boolean(),
});

/** Loose: Step Functions may add fields (`error` after a `Catch`); they are kept. */
export const stateSchema = looseObject({
  order_id: int(),
  method: enumOf(DNS_DCV_METHODS),
  random_value: string(),
  expires_at: string(),
  records: array(recordSchema),
  started_at: string(),
  changes: array(string()),
  in_sync: boolean(),
  sync_polls: int(),
  checks: int(),
  validated: boolean(),
  expired: boolean(),
  gave_up: boolean(),
  next_check_seconds: number(),
  last_codes: array(string()),
});

export const taskEventSchema = looseObject({
  dns_dcv_task: enumOf(DNS_DCV_TASKS),
  state: stateSchema,
  error: optional(nullable(looseObject({ Error: optional(string()), Cause: optional(string()) }))),
});

/** The workflow gives up this long after its start (DigiCert's value may still be valid). */
export const WORKFLOW_LIMIT_SECONDS = 24 * 3600;

/** `GetChange` polls before `DnsChangeNotInSync` (Route 53 is usually in sync within a minute). */
export const MAX_SYNC_POLLS = 30;

/**
 * DigiCert's own re-check rhythm: every minute for the first 15 minutes, every 5 minutes for the
 * hour after, then every 15 minutes until the day is over.
 */
export const CHECK_RHYTHM: readonly { readonly untilSeconds: number; readonly everySeconds: number }[] = [
  { untilSeconds: 15 * 60, everySeconds: 60 },
  { untilSeconds: 75 * 60, everySeconds: 300 },
  { untilSeconds: WORKFLOW_LIMIT_SECONDS, everySeconds: 900 },
];

/** Seconds to wait before the next check, `elapsedSeconds` after the start; never past the day's end. Pure. */
export function nextCheckSeconds(elapsedSeconds: number): number {
  const step = CHECK_RHYTHM.find(({ untilSeconds }) => elapsedSeconds < untilSeconds) ?? CHECK_RHYTHM.at(-1);
  const every = step?.everySeconds ?? 900;
  const left = Math.ceil(WORKFLOW_LIMIT_SECONDS - elapsedSeconds);
  return Math.max(1, Math.min(every, left));
}

/** The execution's name: `dcv-<order id>-<first 16 characters of the random value>` (80 at most, `[A-Za-z0-9-_]`). */
export function executionName(orderId: number, randomValue: string): string {
  const part = randomValue.replace(/[^A-Za-z0-9_-]/g, '').slice(0, 16);
  return `dcv-${orderId}-${part}`.slice(0, 80);
}

/** ISO 8601 in UTC, seconds precision. */
export function isoSeconds(epochMs: number): string {
  return new Date(Math.floor(epochMs / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
