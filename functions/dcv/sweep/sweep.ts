/**
 * The pending-DCV sweep (docs/contract.md §11): list the account's pending orders, read each one,
 * count what the metrics need and, by policy, resend (or move to DNS DCV) the email-DCV orders that
 * have waited long enough, each at most once per cooldown. With a queue, a sweep is a page message
 * that reads one page, queues its orders in parts and queues the next page, so a sweep of any size
 * finishes without one invocation running long; without one it runs in the invocation that started
 * it. A dry run reads and plans, and acts on nothing.
 *
 * Every DigiCert request goes through the sweep's own dependencies, whose limiter holds the sweep
 * to its share of the budget (`rate-limit/budget-share.ts`); it knows nothing of Lambda or SQS.
 */
import { randomBytes } from 'node:crypto';
import type { SweepPolicy } from '../../app/contract.js';
import { DigiCertRequestError, ValidationError } from '../../lib/errors.js';
import { type IdempotencyStore, idempotentResend } from '../../resend/idempotency.js';
import type { ResendUseCase } from '../../resend/use-case.js';
import type { DigiCertOrder, PendingOrdersQuery } from '../status.js';
import { parseDigiCertDate } from '../status.js';
import type { SweepLedger } from './ledger.js';
import {
  SWEEP_PART_ORDERS,
  type SweepMessage,
  type SweepPageMessage,
  type SweepPartMessage,
} from './messages.js';
import {
  addCounts,
  countOrder,
  countOutcome,
  NO_COUNTS,
  type PlannedOrder,
  planOrder,
  type SweepCounts,
  type SweepOrder,
  type SweepSettings,
  type SweepSummary,
  summarize,
} from './plan.js';

/** DigiCert's largest page of the order list. */
export const SWEEP_PAGE_LIMIT = 1000;
/** Orders of one part worked on at once. */
const PART_CONCURRENCY = 4;
/** A sweep in an invocation starts no new part this close to the invocation's deadline. */
export const SWEEP_DEADLINE_MARGIN_MS = 10_000;

const HOUR_MS = 3_600_000;

/** Where the sweep queues its pages and parts (the bulk queue). */
export interface SweepQueue {
  send(messages: readonly SweepMessage[]): Promise<void>;
}

/** What the sweep tells operators (logs and metrics: `report.ts`). */
export interface SweepReporter {
  /** The resends, migrations and errors of a part (or of a sweep run in one invocation), once. */
  acted(sweepId: string, counts: SweepCounts): void;
  /** A sweep's whole counts, once, when its last part is done. */
  completed(sweepId: string, summary: SweepSummary): void;
  /** An order or a page the sweep could not read or act on. */
  failed(
    sweepId: string,
    subject: { readonly orderId?: number; readonly offset?: number },
    error: unknown,
  ): void;
}

export interface SweepDependencies {
  readonly settings: SweepSettings;
  readonly pendingOrders: PendingOrdersQuery;
  /** `GET /order/certificate/{id}`. */
  readonly readOrder: (orderId: number, options: { deadline: number }) => Promise<DigiCertOrder>;
  /** The resend, within the sweep's share of the budget. */
  readonly resend: ResendUseCase;
  readonly idempotency: IdempotencyStore | undefined;
  readonly ledger: SweepLedger;
  /** The bulk queue; without one a sweep runs in its invocation. */
  readonly queue: SweepQueue | undefined;
  /** Whether every name is in an allowed hosted zone (`migrate`); absent: none is. */
  readonly migratable?: (dnsNames: readonly string[]) => Promise<boolean>;
  /** Moves an order to DNS DCV (docs/contract.md §12); absent: a `migrate` order is resent. */
  readonly migrate?: (orderId: number, options: { deadline: number }) => Promise<void>;
  readonly report: SweepReporter;
  readonly now?: () => number;
  readonly newSweepId?: () => string;
}

export interface SweepRequest {
  readonly dryRun: boolean;
  /** Dry runs only: the policy to plan with. @default the configured one */
  readonly policy?: SweepPolicy;
  /** Dry runs only: the first order of the list to plan. @default 0 */
  readonly offset?: number;
}

/** The answer to `{"action": "sweep"}` (docs/contract.md §11). */
export type SweepAnswer =
  | {
      readonly sweep_id: string;
      readonly policy: SweepPolicy;
      readonly dry_run: false;
      readonly queued: true;
    }
  | {
      readonly sweep_id: string;
      readonly policy: SweepPolicy;
      readonly dry_run: false;
      readonly queued: false;
      readonly complete: boolean;
      readonly next_offset: number | null;
      readonly summary: SweepSummary;
    }
  | {
      readonly sweep_id: null;
      readonly policy: SweepPolicy;
      readonly dry_run: true;
      readonly complete: boolean;
      readonly next_offset: number | null;
      readonly orders: readonly PlannedOrder[];
      readonly summary: SweepSummary;
    };

/** How a queued message ended: `retry` comes back (something passing failed). */
export type SweepMessageOutcome =
  | { readonly verdict: 'done' }
  | { readonly verdict: 'retry'; readonly reason: string };

export interface Sweep {
  start(request: SweepRequest, options: { deadline: number }): Promise<SweepAnswer>;
  /** Works through one of the sweep's queued messages. */
  work(message: SweepMessage, options: { deadline: number }): Promise<SweepMessageOutcome>;
}

/** An order's failure that another try may not have (DigiCert unavailable, the budget, the deadline). */
function isPassing(error: unknown): boolean {
  return !(error instanceof DigiCertRequestError || error instanceof ValidationError);
}

/** The sweep's view of DigiCert's order. */
export function sweepOrderOf(order: DigiCertOrder): SweepOrder {
  const expires = order.dcv_token?.expiration_date;
  return {
    id: order.id,
    status: order.status,
    createdAt: parseDigiCertDate(order.date_created) ?? Number.NaN,
    dcvMethod: order.dcv_method ?? null,
    randomValueExpiresAt: expires == null ? undefined : parseDigiCertDate(expires),
    dnsNames:
      order.certificate?.dns_names ?? (order.certificate?.common_name ? [order.certificate.common_name] : []),
  };
}

/** The ids of a page's orders still listed as pending, in the list's order, each once. */
function pendingIds(orders: readonly DigiCertOrder[]): number[] {
  return [...new Set(orders.filter((order) => order.status === 'pending').map((order) => order.id))];
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, index) =>
    items.slice(index * size, (index + 1) * size),
  );
}

function newSweepId(now: number): string {
  return `sweep-${new Date(now).toISOString().replace(/\.\d+Z$/, 'Z')}-${randomBytes(3).toString('hex')}`;
}

export function createSweep(deps: SweepDependencies): Sweep {
  const now = deps.now ?? Date.now;
  const cooldownMs = deps.settings.cooldownHours * HOUR_MS;

  /** One order: read, counted, planned and (unless dry) acted on. Throws only passing failures. */
  const sweepOrder = async (
    orderId: number,
    context: { sweepId: string | undefined; policy: SweepPolicy; dryRun: boolean; deadline: number },
  ): Promise<{ counts: SweepCounts; planned: PlannedOrder | undefined }> => {
    const settings = { ...deps.settings, policy: context.policy };
    let counts = NO_COUNTS;
    let order: SweepOrder;
    try {
      order = sweepOrderOf(await deps.readOrder(orderId, { deadline: context.deadline }));
    } catch (error) {
      if (isPassing(error)) throw error;
      deps.report.failed(context.sweepId ?? 'dry-run', { orderId }, error);
      return { counts: countOutcome(counts, 'error'), planned: undefined };
    }
    const at = now();
    counts = countOrder(counts, order, at);
    const migratable =
      settings.policy === 'migrate' && deps.migratable !== undefined && order.status === 'pending'
        ? await deps.migratable(order.dnsNames)
        : false;
    const claim = context.dryRun ? await deps.ledger.peek(orderId) : undefined;
    let planned = planOrder(order, { settings, now: at, sweepId: context.sweepId, claim, migratable });
    if (context.dryRun || planned.action === 'none' || context.sweepId === undefined) {
      if (context.dryRun && planned.action !== 'none') {
        counts = countOutcome(counts, planned.action === 'resend' ? 'resent' : 'migrated');
      }
      return { counts, planned };
    }
    const claimed = await deps.ledger.claim(orderId, context.sweepId, at, cooldownMs);
    if (!claimed.claimed) {
      planned = planOrder(order, { settings, now: at, sweepId: context.sweepId, claim: claimed, migratable });
      return { counts, planned };
    }
    try {
      if (planned.action === 'migrate' && deps.migrate !== undefined) {
        await deps.migrate(orderId, { deadline: context.deadline });
        return { counts: countOutcome(counts, 'migrated'), planned };
      }
      // docs/contract.md §6: the sweep's resends are one delivery per sweep, recorded per order.
      const resend = deps.idempotency
        ? idempotentResend(deps.idempotency, `sweep:${context.sweepId}`, deps.resend)
        : deps.resend;
      await resend({ order_id: orderId }, { deadline: context.deadline });
      return { counts: countOutcome(counts, 'resent'), planned };
    } catch (error) {
      if (isPassing(error)) throw error;
      deps.report.failed(context.sweepId, { orderId }, error);
      return { counts: countOutcome(counts, 'error'), planned };
    }
  };

  /** The orders of one part, `PART_CONCURRENCY` at a time; throws the first passing failure once all ended. */
  const sweepPart = async (
    orderIds: readonly number[],
    context: { sweepId: string | undefined; policy: SweepPolicy; dryRun: boolean; deadline: number },
  ): Promise<{ counts: SweepCounts; planned: PlannedOrder[]; passing: unknown[] }> => {
    const results: ({ counts: SweepCounts; planned: PlannedOrder | undefined } | undefined)[] = [];
    const passing: unknown[] = [];
    let next = 0;
    const worker = async () => {
      for (let index = next++; index < orderIds.length; index = next++) {
        const orderId = orderIds[index] as number;
        try {
          results[index] = await sweepOrder(orderId, context);
        } catch (error) {
          passing.push(error);
          deps.report.failed(context.sweepId ?? 'dry-run', { orderId }, error);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(PART_CONCURRENCY, orderIds.length) }, worker));
    let counts = NO_COUNTS;
    const planned: PlannedOrder[] = [];
    for (const result of results) {
      if (result === undefined) continue;
      counts = addCounts(counts, result.counts);
      if (result.planned) planned.push(result.planned);
    }
    return { counts, planned, passing };
  };

  /** Reads pages from `offset` and works through them in this invocation (dry or not). */
  const sweepHere = async (
    context: { sweepId: string | undefined; policy: SweepPolicy; dryRun: boolean; deadline: number },
    offset: number,
  ) => {
    let counts = NO_COUNTS;
    const planned: PlannedOrder[] = [];
    let at = offset;
    const enoughTime = () => now() < context.deadline - SWEEP_DEADLINE_MARGIN_MS;
    while (enoughTime()) {
      const page = await deps.pendingOrders(
        { offset: at, limit: SWEEP_PAGE_LIMIT },
        { deadline: context.deadline },
      );
      const ids = pendingIds(page.orders);
      for (const [index, part] of chunks(ids, SWEEP_PART_ORDERS).entries()) {
        if (!enoughTime()) {
          // Go on from this part's first order: its position in the page is at least its index.
          const position = page.orders.findIndex((order) => order.id === part[0]);
          return { counts, planned, next: at + Math.max(position, index * SWEEP_PART_ORDERS) };
        }
        const result = await sweepPart(part, context);
        counts = addCounts(counts, result.counts);
        for (const _ of result.passing) counts = countOutcome(counts, 'error');
        planned.push(...result.planned);
      }
      const next = at + page.orders.length;
      if (page.orders.length === 0 || next >= page.page.total) return { counts, planned, next: null };
      at = next;
    }
    return { counts, planned, next: at };
  };

  const start = async (request: SweepRequest, { deadline }: { deadline: number }): Promise<SweepAnswer> => {
    const policy = request.policy ?? deps.settings.policy;
    if (request.dryRun) {
      const run = await sweepHere(
        { sweepId: undefined, policy, dryRun: true, deadline },
        request.offset ?? 0,
      );
      return {
        sweep_id: null,
        policy,
        dry_run: true,
        complete: run.next === null,
        next_offset: run.next,
        orders: run.planned,
        summary: summarize(run.counts, now()),
      };
    }
    const sweepId = deps.newSweepId?.() ?? newSweepId(now());
    if (deps.queue) {
      await deps.queue.send([{ id: sweepId, policy, page: { offset: 0 } }]);
      return { sweep_id: sweepId, policy, dry_run: false, queued: true };
    }
    const run = await sweepHere({ sweepId, policy, dryRun: false, deadline }, 0);
    const summary = summarize(run.counts, now());
    deps.report.acted(sweepId, run.counts);
    if (run.next === null) deps.report.completed(sweepId, summary);
    return {
      sweep_id: sweepId,
      policy,
      dry_run: false,
      queued: false,
      complete: run.next === null,
      next_offset: run.next,
      summary,
    };
  };

  /** A page: its parts queued, the page recorded, then the next page queued (in that order: the sweep is complete only once its last page is recorded). */
  const workPage = async (message: SweepPageMessage, deadline: number): Promise<SweepMessageOutcome> => {
    const queue = deps.queue;
    if (!queue)
      return { verdict: 'retry', reason: 'no queue to put the sweep’s parts on (ORDERS_QUEUE_URL)' };
    const { offset } = message.page;
    let page: Awaited<ReturnType<PendingOrdersQuery>>;
    try {
      page = await deps.pendingOrders({ offset, limit: SWEEP_PAGE_LIMIT }, { deadline });
    } catch (error) {
      deps.report.failed(message.id, { offset }, error);
      if (isPassing(error)) return { verdict: 'retry', reason: `the page at ${offset} could not be read` };
      // DigiCert refused the page: the sweep ends here, with what it has.
      const errors = countOutcome(NO_COUNTS, 'error');
      const recorded = await deps.ledger.partDone(message.id, `${offset}:refused`, errors);
      if (recorded.first) deps.report.acted(message.id, errors);
      const ended = await deps.ledger.pageRead(message.id, { offset, parts: 1, last: true });
      const completed = recorded.completed ?? ended.completed;
      if (completed) deps.report.completed(message.id, summarize(completed, now()));
      return { verdict: 'done' };
    }
    const parts = chunks(pendingIds(page.orders), SWEEP_PART_ORDERS).map(
      (orders, index): SweepPartMessage => ({
        id: message.id,
        policy: message.policy,
        part: `${offset}:${index}`,
        orders,
      }),
    );
    if (parts.length > 0) await queue.send(parts);
    const next = offset + page.orders.length;
    const last = page.orders.length === 0 || next >= page.page.total;
    const recorded = await deps.ledger.pageRead(message.id, { offset, parts: parts.length, last });
    if (recorded.completed) deps.report.completed(message.id, summarize(recorded.completed, now()));
    if (!last) await queue.send([{ id: message.id, policy: message.policy, page: { offset: next } }]);
    return { verdict: 'done' };
  };

  const workPart = async (message: SweepPartMessage, deadline: number): Promise<SweepMessageOutcome> => {
    const result = await sweepPart(message.orders, {
      sweepId: message.id,
      policy: message.policy,
      dryRun: false,
      deadline,
    });
    if (result.passing.length > 0) {
      return {
        verdict: 'retry',
        reason: `${result.passing.length} order(s) of part ${message.part} failed for a passing reason`,
      };
    }
    const recorded = await deps.ledger.partDone(message.id, message.part, result.counts);
    if (recorded.first) deps.report.acted(message.id, result.counts);
    if (recorded.completed) deps.report.completed(message.id, summarize(recorded.completed, now()));
    return { verdict: 'done' };
  };

  return {
    start,
    work: (message, { deadline }) =>
      'page' in message ? workPage(message, deadline) : workPart(message, deadline),
  };
}
