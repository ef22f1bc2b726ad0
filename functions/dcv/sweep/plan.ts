/**
 * What the pending-DCV sweep does with one order, and what it counts (docs/contract.md §11): pure
 * functions of the order as DigiCert describes it, the policy and the time. The sweep's runner
 * (`sweep.ts`) reads the orders, holds the cooldown and acts; this file only decides and explains.
 */
import { DCV_CLOCK, type SweepPolicy } from '../../app/contract.js';

const HOUR_MS = 3_600_000;

/** One pending order as the sweep sees it, from `GET /order/certificate/{id}`. */
export interface SweepOrder {
  readonly id: number;
  /** DigiCert's status now: an order issued since the list was read is no longer `pending`. */
  readonly status: string;
  /** Epoch ms. */
  readonly createdAt: number;
  /** DigiCert's method name; `null` when DigiCert gives none. */
  readonly dcvMethod: string | null;
  /** Epoch ms; `undefined` without a random value. */
  readonly randomValueExpiresAt: number | undefined;
  readonly dnsNames: readonly string[];
}

export interface SweepSettings {
  readonly policy: SweepPolicy;
  readonly resendAfterHours: number;
  readonly cooldownHours: number;
}

/** Who last acted on an order, and when (a sweep's claim in the ledger). */
export interface SweepClaim {
  readonly sweepId: string;
  /** Epoch ms. */
  readonly actedAt: number;
}

export type SweepAction = 'resend' | 'migrate' | 'none';

/** One order of a plan, as a dry run answers it. */
export interface PlannedOrder {
  readonly order_id: number;
  readonly dcv_method: string | null;
  /** `null` once the order is no longer pending. */
  readonly pending_hours: number | null;
  readonly action: SweepAction;
  readonly reason: string;
}

export interface PlanContext {
  readonly settings: SweepSettings;
  readonly now: number;
  /** This sweep's id: its own claim does not hold it back (a redelivered message goes on). */
  readonly sweepId: string | undefined;
  /** The order's claim, when one is held. */
  readonly claim: SweepClaim | undefined;
  /** Whether every domain of the order is in an allowed hosted zone (the `migrate` policy). */
  readonly migratable: boolean;
}

/** Hours, to one decimal. */
export function hoursBetween(from: number, to: number): number {
  return Math.round((Math.max(0, to - from) / HOUR_MS) * 10) / 10;
}

/** Decides what to do with `order`, and says why. */
export function planOrder(order: SweepOrder, context: PlanContext): PlannedOrder {
  const { settings, now } = context;
  const pending = order.status === 'pending';
  const pendingHours = pending ? hoursBetween(order.createdAt, now) : null;
  const planned = (action: SweepAction, reason: string): PlannedOrder => ({
    order_id: order.id,
    dcv_method: order.dcvMethod,
    pending_hours: pendingHours,
    action,
    reason,
  });
  if (pendingHours === null) return planned('none', `no longer pending (${order.status})`);
  if (order.dcvMethod !== 'email') {
    return planned(
      'none',
      `${order.dcvMethod === null ? 'no DCV method given' : `DNS or HTTP DCV (${order.dcvMethod})`}: no email to resend`,
    );
  }
  if (pendingHours < settings.resendAfterHours) {
    return planned(
      'none',
      `email DCV pending ${pendingHours} h, resent after ${settings.resendAfterHours} h`,
    );
  }
  const claim = context.claim;
  if (claim !== undefined && claim.sweepId !== context.sweepId) {
    const until = claim.actedAt + settings.cooldownHours * HOUR_MS;
    if (until > now) {
      return planned(
        'none',
        `acted on ${hoursBetween(claim.actedAt, now)} h ago by another sweep; cooldown ${settings.cooldownHours} h`,
      );
    }
  }
  const waited = `email DCV pending ${pendingHours} h, at least ${settings.resendAfterHours} h`;
  if (settings.policy === 'report')
    return planned('none', `${waited}; the policy is report: nothing is sent`);
  if (settings.policy === 'migrate' && context.migratable) {
    return planned('migrate', `${waited}; every domain is in an allowed hosted zone: move to DNS DCV`);
  }
  return planned('resend', waited);
}

/** What a sweep counts (docs/contract.md §11); the metrics are made from it. */
export interface SweepSummary {
  readonly pending_orders: number;
  readonly by_dcv_method: Readonly<Record<string, number>>;
  readonly oldest_pending_hours: number;
  readonly random_values_expiring_soon: number;
  readonly pending_past_recheck_window: number;
  readonly resends: number;
  readonly migrations: number;
  readonly errors: number;
}

/**
 * The counts of part of a sweep, summed into the whole (`addCounts`): the oldest order is kept as
 * its creation time, so that the age is taken when the sweep ends.
 */
export interface SweepCounts {
  readonly pending: number;
  readonly byMethod: Readonly<Record<string, number>>;
  /** Epoch ms of the oldest pending order; `undefined` with none. */
  readonly oldestCreatedAt: number | undefined;
  readonly expiringSoon: number;
  readonly pastRecheckWindow: number;
  readonly resends: number;
  readonly migrations: number;
  readonly errors: number;
}

export const NO_COUNTS: SweepCounts = {
  pending: 0,
  byMethod: {},
  oldestCreatedAt: undefined,
  expiringSoon: 0,
  pastRecheckWindow: 0,
  resends: 0,
  migrations: 0,
  errors: 0,
};

/** The method name the `DcvMethod` dimension carries when DigiCert gives none. */
export const UNKNOWN_METHOD = 'unknown';

/** `counts` with one more order read from DigiCert (counted only while it is pending). */
export function countOrder(counts: SweepCounts, order: SweepOrder, now: number): SweepCounts {
  if (order.status !== 'pending') return counts;
  const method = order.dcvMethod ?? UNKNOWN_METHOD;
  const expiresSoon =
    order.randomValueExpiresAt !== undefined &&
    order.randomValueExpiresAt - now <= DCV_CLOCK.randomValueExpiringSoonDays * 24 * HOUR_MS;
  return {
    ...counts,
    pending: counts.pending + 1,
    byMethod: { ...counts.byMethod, [method]: (counts.byMethod[method] ?? 0) + 1 },
    oldestCreatedAt:
      counts.oldestCreatedAt === undefined
        ? order.createdAt
        : Math.min(counts.oldestCreatedAt, order.createdAt),
    expiringSoon: counts.expiringSoon + (expiresSoon ? 1 : 0),
    pastRecheckWindow:
      counts.pastRecheckWindow + (now - order.createdAt > DCV_CLOCK.recheckWindowHours * HOUR_MS ? 1 : 0),
  };
}

/** `counts` with one more outcome of acting. */
export function countOutcome(counts: SweepCounts, outcome: 'resent' | 'migrated' | 'error'): SweepCounts {
  if (outcome === 'resent') return { ...counts, resends: counts.resends + 1 };
  if (outcome === 'migrated') return { ...counts, migrations: counts.migrations + 1 };
  return { ...counts, errors: counts.errors + 1 };
}

/** The sum of two counts. */
export function addCounts(a: SweepCounts, b: SweepCounts): SweepCounts {
  const byMethod: Record<string, number> = { ...a.byMethod };
  for (const [method, count] of Object.entries(b.byMethod))
    byMethod[method] = (byMethod[method] ?? 0) + count;
  const oldest = [a.oldestCreatedAt, b.oldestCreatedAt].filter((at): at is number => at !== undefined);
  return {
    pending: a.pending + b.pending,
    byMethod,
    oldestCreatedAt: oldest.length === 0 ? undefined : Math.min(...oldest),
    expiringSoon: a.expiringSoon + b.expiringSoon,
    pastRecheckWindow: a.pastRecheckWindow + b.pastRecheckWindow,
    resends: a.resends + b.resends,
    migrations: a.migrations + b.migrations,
    errors: a.errors + b.errors,
  };
}

/** The summary of whole counts, at `now` (when the sweep ended). */
export function summarize(counts: SweepCounts, now: number): SweepSummary {
  return {
    pending_orders: counts.pending,
    by_dcv_method: counts.byMethod,
    oldest_pending_hours:
      counts.oldestCreatedAt === undefined ? 0 : hoursBetween(counts.oldestCreatedAt, now),
    random_values_expiring_soon: counts.expiringSoon,
    pending_past_recheck_window: counts.pastRecheckWindow,
    resends: counts.resends,
    migrations: counts.migrations,
    errors: counts.errors,
  };
}
