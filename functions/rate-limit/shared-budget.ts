/**
 * The shared budget (docs/contract.md §7): slots on the state table, so that all containers together
 * never send DigiCert more than `limit` requests in any `windowMs`, for each window, whatever the
 * network delays. A request holds one item (`budget-items.ts`) and on it one slot of every window:
 * it takes them with one conditional write (an item this container picks, or the item its ticket
 * names when picks collide), is sent, and on `release()` blocks them for one window after DigiCert's
 * answer with a second write. The design, why it is exact, its throughput and its cost:
 * docs/design/rate-budget.md. The 429 pause is written on the items (`pause.ts`); while the table
 * cannot be reached, `fallback.ts` takes over.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { BudgetLayout, earliestSlots, type ItemView } from './budget-items.js';
import type { BudgetTable, UpdateItemInput, UpdateItemOutput } from './budget-table.js';
import { ClockSkewGauge, NO_SKEW } from './clock-skew.js';
import {
  DeadlineReachedError,
  type ReleasingRateLimiter,
  type TableBudget,
  TableUnavailableError,
  withFallback,
} from './fallback.js';
import {
  type BudgetClock,
  latestAhead,
  MAX_PAUSE_MS,
  type Pausable,
  pauseMs,
  sleepUntil,
  systemBudgetClock,
  waitOutPause,
} from './pause.js';
import { type DynamoDbSender, sdkBudgetTable } from './sdk-budget-table.js';
import type { RateWindow } from './window.js';

export type { DynamoDbSender } from './sdk-budget-table.js';

export interface SharedRateBudgetOptions {
  /** The state table through a DynamoDB SDK client; or give `table`. */
  readonly client?: DynamoDbSender;
  /** The state table through another adapter (the signed client, `aws/signed-budget-table.ts`); wins over `client`. */
  readonly table?: BudgetTable;
  readonly tableName: string;
  readonly windows: readonly RateWindow[];
  /** Upper bound on one DigiCert attempt (`DIGICERT_TIMEOUT_MS`): part of a slot's lease. */
  readonly attemptTimeoutMs: number;
  /**
   * Used while the table cannot be reached: a limiter that keeps this container within its share of
   * the budget. Without one, acquires are refused while the table cannot be reached. With one,
   * `windows` must leave room for it (`ringWindows` in `fallback.ts`).
   */
  readonly fallback?: ReleasingRateLimiter;
  /** Added to every `free_at` against clock differences between containers. @default 50 */
  readonly clockSkewMarginMs?: number;
  /** Upper bound on one DynamoDB call, retries included. @default 1000 */
  readonly callTimeoutMs?: number;
  /** How long a container uses the fallback after a failed call before trying the table again. @default 5000 */
  readonly fallbackProbeMs?: number;
  /** Extra lease time for a holder that never releases (docs/design/rate-budget.md, "A container that dies"). @default 2000 */
  readonly leaseSlackMs?: number;
  /**
   * The first part of every key of this budget's items: two budgets with different prefixes in one
   * table count apart (the sweep's share, docs/contract.md §11). @default 'rate-budget'
   */
  readonly keyPrefix?: string;
  /** Identifies this container in `holder` (a random id by default). */
  readonly containerId?: string;
  readonly clock?: BudgetClock;
  readonly random?: () => number;
  /** Told when the table cannot be reached and the fallback takes over (logs); must not throw. */
  readonly onTableUnavailable?: (error: unknown) => void;
  /**
   * Told once, when the `Date` of the table's answers proves this container's clock further off
   * than half of `clockSkewMarginMs` (its offset's bounds, ms; the budget widens its own margin by
   * as much from then on); must not throw.
   */
  readonly onClockSkew?: (offset: { readonly lowMs: number; readonly highMs: number }) => void;
}

/** The shared budget: the domain's `RateLimiter`, plus the 429 pause. */
export interface SharedRateBudget extends ReleasingRateLimiter, Pausable {
  /** Resolves when the writes started by `release` and `pause` have finished (tests, shutdown). */
  flush(): Promise<void>;
}

const DEFAULT_KEY_PREFIX = 'rate-budget';
/** Budget items are rewritten while in use; the table's TTL removes rings no longer used. */
const ITEM_TTL_SECONDS = 86_400;
const RELEASE_ATTEMPTS = 3;
/** How soon a waiter looks again at a slot whose holder is overdue (its release may be on its way). */
const POLL_MS = 100;
/** A waiter looks at an overdue holder's slot at least this many times per window. */
const POLL_SHARE = 16;
/**
 * A stored pause further ahead than one 429 can pause (`MAX_PAUSE_MS`), by more than clocks can
 * differ, was written before pauses were capped: it is read as `MAX_PAUSE_MS` from now, and rewritten so.
 */
const PAUSE_READ_SLACK_MS = 1_000;

/** A 429 pause is written on this many items at a time. */
const PAUSE_WRITES_AT_ONCE = 16;

/** An item and, on it, one slot per ring (indexes into the item's slots of that ring). */
interface Slots {
  readonly item: number;
  readonly slots: readonly number[];
}

interface Grant extends Slots {
  readonly holder: string;
  readonly grantedAt: number;
}

interface Ticket {
  /** Ticket number from 0: the item it names is `BudgetLayout.ticketItem(n)`. */
  readonly n: number;
  readonly pausedUntil: number;
}

interface TicketWaiter {
  readonly deadline: number;
  readonly resolve: (ticket: Ticket) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Builds the shared budget over the state table, with its fallback. Every granted `acquire` must be
 * followed by one `release` when the request has been answered (or failed, or was not sent).
 */
export function createSharedRateBudget(options: SharedRateBudgetOptions): SharedRateBudget {
  for (const { limit, windowMs } of options.windows) {
    if (!Number.isSafeInteger(limit) || limit < 1) {
      throw new RangeError(`rate limit must be a positive integer, got ${limit}`);
    }
    if (!Number.isSafeInteger(windowMs) || windowMs <= 0) {
      throw new RangeError(
        `rate limit window must be a positive whole number of milliseconds, got ${windowMs}`,
      );
    }
  }
  if (options.table === undefined && options.client === undefined) {
    throw new TypeError('the shared budget needs the state table: give `table` or `client`');
  }
  const clock = options.clock ?? systemBudgetClock;
  return withFallback(new RingBudget(options, clock), {
    fallback: options.fallback,
    probeMs: options.fallbackProbeMs ?? 5_000,
    holdShareMs:
      Math.max(...options.windows.map((window) => window.windowMs)) + (options.clockSkewMarginMs ?? 50),
    clock,
    ...(options.onTableUnavailable ? { onTableUnavailable: options.onTableUnavailable } : {}),
  });
}

/** The budget itself: its acquire rejects when the table cannot be reached (`fallback.ts` decides what then). */
class RingBudget implements TableBudget {
  readonly #db: BudgetTable;
  readonly #table: string;
  readonly #layout: BudgetLayout;
  readonly #attemptTimeoutMs: number;
  readonly #marginMs: number;
  readonly #callTimeoutMs: number;
  readonly #leaseSlackMs: number;
  readonly #containerId: string;
  readonly #clock: BudgetClock;
  readonly #random: () => number;
  /** This clock against the `Date` of the table's answers (`clock-skew.ts`). */
  readonly #skew: ClockSkewGauge;
  #onClockSkew: SharedRateBudgetOptions['onClockSkew'];
  /**
   * The pickable items as this container last wrote or read them: where it looks for a free one.
   * Only a hint (another container may have taken one since): the claim's condition decides.
   */
  readonly #known = new Map<number, ItemView>();
  /** The next item to try first: containers start at different ones. */
  #cursor: number;
  /** Grants not yet released, oldest first (`release()` carries no identity: docs/design/rate-budget.md). */
  readonly #grants: Grant[] = [];
  readonly #pending = new Set<Promise<void>>();
  #sequence = 0;
  readonly #ticketWaiters: TicketWaiter[] = [];
  #ticketInFlight = false;
  /** How long this container's requests take from grant to answer (a moving average): when a held item is likely to free. */
  #latencyMs = 0;
  /** The pause this container wrote (its own 429). */
  #pausedUntil = 0;
  /** The latest pause read from the table (another container's 429). */
  #sharedPausedUntil = 0;
  /** When the slot or the pause behind this container's latest refusal ends (the caller's `Retry-After`). */
  #refusedUntil: number | undefined;

  constructor(options: SharedRateBudgetOptions, clock: BudgetClock) {
    this.#db = options.table ?? sdkBudgetTable(options.client as DynamoDbSender);
    this.#table = options.tableName;
    this.#layout = new BudgetLayout(options.windows, options.keyPrefix ?? DEFAULT_KEY_PREFIX);
    this.#attemptTimeoutMs = options.attemptTimeoutMs;
    this.#marginMs = options.clockSkewMarginMs ?? 50;
    this.#callTimeoutMs = options.callTimeoutMs ?? 1_000;
    this.#leaseSlackMs = options.leaseSlackMs ?? 2_000;
    this.#containerId = options.containerId ?? Math.random().toString(36).slice(2, 12);
    this.#clock = clock;
    this.#random = options.random ?? Math.random;
    this.#skew = new ClockSkewGauge(this.#marginMs);
    this.#onClockSkew = options.onClockSkew;
    this.#cursor = Math.floor(this.#random() * this.#layout.pickable);
  }

  /** Rejects with `TableUnavailableError` or `DeadlineReachedError` (see `TableBudget`). */
  async acquire(deadline: number): Promise<boolean> {
    if (deadline < this.#clock.now()) return this.#refuse(undefined);
    const holder = `${this.#containerId}#${++this.#sequence}`;
    return (await this.#acquireByPick(deadline, holder)) ?? this.#acquireByTicket(deadline, holder);
  }

  retryAt(): number | undefined {
    return latestAhead(this.#clock.now(), this.#refusedUntil, this.#paused());
  }

  release(): void {
    const grant = this.#grants.shift();
    if (!grant) return;
    const answeredAt = this.#clock.now();
    this.#latencyMs += (answeredAt - grant.grantedAt - this.#latencyMs) / 8;
    // A clock proven behind frees its slots that much later (as the others' clocks read them).
    const late = this.#skew.skew().behindUpToMs;
    const freeAt = this.#layout.rings.map((ring) => answeredAt + ring.windowMs + this.#marginMs + late);
    this.#remember(grant, freeAt, false, grant.grantedAt);
    this.#track(this.#releaseItem(grant, freeAt));
  }

  pause(retryAfterSeconds?: number): void {
    const now = this.#clock.now();
    const until = now + pauseMs(retryAfterSeconds, this.#random);
    if (until <= this.#pausedUntil) return;
    this.#pausedUntil = until;
    // On every item a container picks itself (its claim's condition reads it), then on the ticket
    // item (a ticket's write reads it): once the ticket item has it, every item has it. Only ever
    // extended: a shorter pause written later must not cut a longer one short. A stored pause
    // longer than one 429 can cause (written before pauses were capped) is replaced.
    const write = (key: string) =>
      this.#update(
        {
          Key: { id: { S: key } },
          UpdateExpression: 'SET paused_until = :until, expiration = if_not_exists(expiration, :exp)',
          ConditionExpression:
            'attribute_not_exists(paused_until) OR paused_until < :until OR paused_until > :longest',
          ExpressionAttributeValues: {
            ':until': num(until),
            ':longest': num(now + MAX_PAUSE_MS + PAUSE_READ_SLACK_MS),
            ':exp': num(expirationOf(until)),
          },
        },
        this.#clock.now() + this.#callTimeoutMs,
      ).then(
        () => undefined,
        () => undefined,
      );
    const items = Array.from({ length: this.#layout.pickable }, (_, item) => this.#layout.key(item));
    this.#track(
      (async () => {
        for (let i = 0; i < items.length; i += PAUSE_WRITES_AT_ONCE) {
          await Promise.all(items.slice(i, i + PAUSE_WRITES_AT_ONCE).map(write));
        }
        await write(this.#layout.ticketsKey);
      })(),
    );
  }

  async flush(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }

  pausedUntil(): number {
    return this.#paused();
  }

  /**
   * The common case, one write: claim an item this container believes free. A pick another
   * container took meanwhile teaches this one what the item is, and it picks again. `undefined` when
   * it knows of none free now: the ticket decides then.
   */
  async #acquireByPick(deadline: number, holder: string): Promise<boolean | undefined> {
    // Each failed pick learns one item: bounded by their number.
    for (let attempt = 0; attempt <= this.#layout.pickable; attempt += 1) {
      const paused = this.#paused();
      if (!(await waitOutPause(this.#clock, paused, deadline))) return this.#refuse(paused);
      const pick = this.#pick(this.#clock.now());
      if (pick === undefined) return undefined;
      const outcome = await this.#claim(pick, holder, pick.start, deadline);
      if (outcome === true) {
        await this.#granted(pick, holder, pick.start);
        return true;
      }
      // The table's answer says what the item is (DynamoDB returns it with the failed condition);
      // without it, read it: the next pick, or the ticket, then knows.
      if (outcome === undefined) await this.#look(pick.item, deadline);
    }
    return undefined;
  }

  /**
   * The pickable item to claim now, from the cursor on: the first this container knows free (or has
   * never seen). The claim marks it taken before its write leaves, so that acquires started together
   * pick different items. None while every item is busy: then the ticket queues the request, in
   * order, for the next one.
   */
  #pick(now: number): (Slots & { readonly start: number }) | undefined {
    const count = this.#layout.pickable;
    for (let step = 0; step < count; step += 1) {
      const item = (this.#cursor + step) % count;
      if (this.#known.has(item) && !this.#knownFree(item, now)) continue;
      this.#cursor = (item + 1) % count;
      return { item, slots: this.#slotsFor(item), start: now };
    }
    return undefined;
  }

  /** Every other request: a ticket names the item, whose slots are booked from when they free. */
  async #acquireByTicket(deadline: number, holder: string): Promise<boolean> {
    const ticket = await this.#takeTicket(deadline);
    this.#notePause(this.#cappedPause(ticket.pausedUntil, this.#layout.ticketsKey));
    const item = this.#layout.ticketItem(ticket.n);
    let slots = this.#slotsFor(item);

    // A claim may book an item ahead: "held by me from `start`", where `start` is when its slots
    // free (each `<= :start`); the request then leaves at `start`, not one table round trip after
    // it. The first ticket on an item, or an item this container knows free, is claimed at once
    // (one round trip). Any other was used before and is most likely still held by a request one
    // round earlier: read it first (one read instead of a failed write), and book its slots from
    // when the last of them frees.
    let start = this.#clock.now();
    let claimFirst = this.#layout.firstTicketOn(ticket.n) || this.#knownFree(item, start);
    for (;;) {
      const paused = this.#paused();
      if (!(await waitOutPause(this.#clock, paused, deadline))) return this.#refuse(paused);
      start = Math.max(start, this.#clock.now());
      if (start > deadline) return this.#refuse(start);
      if (claimFirst) {
        if ((await this.#claim({ item, slots }, holder, start, deadline)) === true) {
          await this.#granted({ item, slots }, holder, start);
          return true;
        }
      }
      claimFirst = true;
      // Doubles while a holder stays overdue: a slow table must not be polled harder.
      let pollMs = POLL_MS;
      for (;;) {
        const view = await this.#look(item, deadline);
        const now = this.#clock.now();
        const paused = this.#paused();
        slots = earliestSlots(view);
        const frees = slots.map((slot, r) => view.free[r]?.[slot] ?? 0);
        const holds = this.#layout.rings.map((ring) => ring.windowMs + this.#marginMs);
        // Released (its free time is known), or a lease about to run out: bookable from then.
        if (!view.held || (frees[this.#layout.base] ?? 0) <= now + pollMs) {
          start = Math.max(paused, now, ...frees);
          if (start > deadline) return this.#refuse(start);
          // A slot in use that frees well before another of this item's would sit idle from then
          // until `start` once booked, while an older ticket on the item could use it: leave it to
          // them, and look again shortly before `start`.
          const lookBy = start - Math.min(...this.#layout.rings.map((ring) => ring.windowMs)) / 4;
          if (frees.some((freeAt) => freeAt > now && freeAt < lookBy) && lookBy > now + pollMs) {
            await this.#clock.sleep(lookBy - now);
            continue;
          }
          break;
        }
        // Held: each slot frees W after an answer that cannot precede the claim; look again when
        // this container's requests usually answer (the release then says when), then less and
        // less often.
        const freeNoEarlier = Math.max(
          paused,
          ...frees.map((freeAt, r) => Math.min(freeAt, view.claimedAt + (holds[r] ?? 0))),
        );
        if (freeNoEarlier > deadline) return this.#refuse(freeNoEarlier);
        const lookAt = Math.max(
          now + pollMs,
          Math.min(frees[this.#layout.base] ?? 0, view.claimedAt + this.#latencyMs),
        );
        // Capped at a small part of the window: a waiter that looks late lets a later ticket on the
        // same item (another container's, one round ahead of it) book it first, and loses a round.
        pollMs = Math.min(2 * pollMs, Math.max(POLL_MS, Math.min(...holds) / POLL_SHARE));
        await this.#clock.sleep(lookAt - now);
      }
    }
  }

  #refuse(until: number | undefined): false {
    this.#refusedUntil = until;
    return false;
  }

  #paused(): number {
    return Math.max(this.#pausedUntil, this.#sharedPausedUntil);
  }

  #notePause(until: number): void {
    this.#sharedPausedUntil = Math.max(this.#sharedPausedUntil, until);
  }

  /** The item's slots this container would claim: those it knows free first, or any for an item it has not seen. */
  #slotsFor(item: number): number[] {
    const view = this.#known.get(item);
    if (view !== undefined) return earliestSlots(view);
    return this.#layout.rings.map((_, r) => Math.floor(this.#random() * this.#layout.slotsOn(r, item)));
  }

  #knownFree(item: number, now: number): boolean {
    const view = this.#known.get(item);
    if (view === undefined || view.held) return false;
    return earliestSlots(view).every((slot, r) => (view.free[r]?.[slot] ?? 0) <= now);
  }

  async #granted(taken: Slots, holder: string, start: number): Promise<void> {
    // A clock proven ahead claims early by the others' clocks: it sends that much later.
    await sleepUntil(this.#clock, start + this.#skew.skew().aheadUpToMs);
    this.#grants.push({ ...taken, holder, grantedAt: this.#clock.now() });
  }

  /**
   * The pause as stored, or `MAX_PAUSE_MS` from now for one stored further ahead than a 429 can
   * pause (written before pauses were capped), which is then rewritten so: it ends within
   * `MAX_PAUSE_MS` of being first read, not a day after the 429.
   */
  #cappedPause(stored: number, key: string): number {
    const now = this.#clock.now();
    if (stored <= now + MAX_PAUSE_MS + PAUSE_READ_SLACK_MS) return stored;
    const capped = now + MAX_PAUSE_MS;
    this.#track(
      this.#update(
        {
          Key: { id: { S: key } },
          UpdateExpression: 'SET paused_until = :capped',
          ConditionExpression: 'paused_until = :stored',
          ExpressionAttributeValues: { ':capped': num(capped), ':stored': { N: String(stored) } },
        },
        now + this.#callTimeoutMs,
      ).then(
        () => undefined,
        () => undefined,
      ),
    );
    return capped;
  }

  /**
   * The next ticket and the shared pause. Acquires that arrive while this container's ticket write
   * is in flight share the next one (`ADD n :k` hands out k tickets): one write per batch keeps the
   * ticket item, which every container writes, from becoming a queue.
   */
  #takeTicket(deadline: number): Promise<Ticket> {
    return new Promise<Ticket>((resolve, reject) => {
      this.#ticketWaiters.push({ deadline, resolve, reject });
      this.#pumpTickets();
    });
  }

  #pumpTickets(): void {
    if (this.#ticketInFlight || this.#ticketWaiters.length === 0) return;
    const batch = this.#ticketWaiters.splice(0);
    this.#ticketInFlight = true;
    void this.#update(
      {
        Key: { id: { S: this.#layout.ticketsKey } },
        UpdateExpression: 'ADD n :k SET expiration = :exp',
        ExpressionAttributeValues: { ':k': num(batch.length), ':exp': num(expirationOf(this.#clock.now())) },
        ReturnValues: 'ALL_NEW',
      },
      Math.max(...batch.map((waiter) => waiter.deadline)),
    )
      .then(
        (output) => {
          const last = Number(output.Attributes?.n?.N ?? String(batch.length));
          const pausedUntil = Number(output.Attributes?.paused_until?.N ?? '0');
          for (const [i, waiter] of batch.entries()) {
            waiter.resolve({ n: last - batch.length + i, pausedUntil });
          }
        },
        (error: unknown) => {
          for (const waiter of batch) waiter.reject(error);
        },
      )
      .finally(() => {
        this.#ticketInFlight = false;
        this.#pumpTickets();
      });
  }

  /**
   * Claims (or books from `start`) the item's slot in every ring with one conditional write, unless
   * the item is paused past `start`. `true` when taken; `false` when not free by then, with what the
   * table said the item is remembered; `undefined` when not free and the table did not say (an
   * emulator that does not return the item). The lease covers the request until it has surely been
   * answered and counted, should this container never release it.
   */
  async #claim(taken: Slots, holder: string, start: number, deadline: number): Promise<boolean | undefined> {
    const { behindUpToMs, aheadUpToMs } = this.#skew.skew();
    const leases = this.#layout.rings.map(
      (ring) =>
        start +
        this.#attemptTimeoutMs +
        ring.windowMs +
        this.#marginMs +
        this.#leaseSlackMs +
        behindUpToMs +
        aheadUpToMs,
    );
    const names = taken.slots.map((slot, r) => this.#layout.attribute(r, slot));
    const values: Record<string, AttributeValue> = {
      ':held': { BOOL: true },
      ':me': { S: holder },
      ':start': num(start),
      ':exp': num(expirationOf(Math.max(...leases))),
    };
    for (const [r, lease] of leases.entries()) values[`:lease${r}`] = num(lease);
    // Taken as soon as it is asked for, so that acquires started meanwhile pick other items.
    const before = this.#known.get(taken.item);
    this.#remember(taken, leases, true, start);
    try {
      await this.#update(
        {
          Key: { id: { S: this.#layout.key(taken.item) } },
          UpdateExpression: `SET ${names.map((name, r) => `${name} = :lease${r}, `).join('')}held = :held, holder = :me, claimed_at = :start, expiration = :exp`,
          ConditionExpression: [
            ...names.map((name) => `(attribute_not_exists(${name}) OR ${name} <= :start)`),
            '(attribute_not_exists(paused_until) OR paused_until <= :start)',
          ].join(' AND '),
          ExpressionAttributeValues: values,
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
        deadline,
      );
      return true;
    } catch (error) {
      this.#forget(taken.item, before);
      if (!isConditionFailed(error)) throw error;
      const item = (error as { Item?: Record<string, AttributeValue> }).Item;
      if (item === undefined) return undefined;
      this.#learn(taken.item, item);
      return false;
    }
  }

  /** The item and the ticket item (its pause), in one read. */
  async #look(item: number, deadline: number): Promise<ItemView> {
    const key = this.#layout.key(item);
    const read = await this.#call(
      (signal) =>
        this.#db.batchGetItem(
          {
            RequestItems: {
              [this.#table]: {
                Keys: [key, this.#layout.ticketsKey].map((id) => ({ id: { S: id } })),
                ConsistentRead: true,
              },
            },
          },
          { signal, tap: this.#tap },
        ),
      deadline,
    );
    const items = read.Responses?.[this.#table] ?? [];
    if (Object.keys(read.UnprocessedKeys ?? {}).length > 0) {
      // DynamoDB may leave keys unread under load: ask again (bounded by the caller's deadline).
      throw new TableUnavailableError('The state table left a read unprocessed');
    }
    const tickets = items.find((found) => found.id?.S === this.#layout.ticketsKey);
    this.#notePause(this.#cappedPause(Number(tickets?.paused_until?.N ?? '0'), this.#layout.ticketsKey));
    return this.#learn(item, items.find((found) => found.id?.S === key) ?? {});
  }

  /** Remembers an item as the table had it (and its pause); answers it. */
  #learn(item: number, attributes: Record<string, AttributeValue>): ItemView {
    const read = this.#layout.view(item, attributes);
    const view = { ...read, pausedUntil: this.#cappedPause(read.pausedUntil, this.#layout.key(item)) };
    this.#notePause(view.pausedUntil);
    if (item < this.#layout.pickable) this.#known.set(item, view);
    return view;
  }

  /** Remembers what this container wrote on an item (`frees`: the taken slots' times, per ring). */
  #remember(taken: Slots, frees: readonly number[], held: boolean, claimedAt: number): void {
    if (taken.item >= this.#layout.pickable) return;
    const view = this.#known.get(taken.item) ?? this.#layout.view(taken.item, undefined);
    this.#known.set(taken.item, {
      free: view.free.map((slots, r) =>
        slots.map((freeAt, slot) => (slot === taken.slots[r] ? (frees[r] ?? freeAt) : freeAt)),
      ),
      held,
      claimedAt,
      pausedUntil: view.pausedUntil,
    });
  }

  #forget(item: number, before: ItemView | undefined): void {
    if (before === undefined) this.#known.delete(item);
    else this.#known.set(item, before);
  }

  /** Frees the item's taken slots from `freeAt` (per ring), if `holder` still holds it; retried a few times, never thrown. */
  async #releaseItem(grant: Grant, freeAt: readonly number[]): Promise<void> {
    const names = grant.slots.map((slot, r) => this.#layout.attribute(r, slot));
    const values: Record<string, AttributeValue> = {
      ':held': { BOOL: false },
      ':me': { S: grant.holder },
      ':exp': num(expirationOf(Math.max(...freeAt))),
    };
    for (const [r, at] of freeAt.entries()) values[`:free${r}`] = num(at);
    for (let attempt = 1; attempt <= RELEASE_ATTEMPTS; attempt += 1) {
      try {
        await this.#update(
          {
            Key: { id: { S: this.#layout.key(grant.item) } },
            UpdateExpression: `SET ${names.map((name, r) => `${name} = :free${r}, `).join('')}held = :held, expiration = :exp`,
            ConditionExpression: 'holder = :me',
            ExpressionAttributeValues: values,
          },
          this.#clock.now() + this.#callTimeoutMs,
        );
        return;
      } catch (error) {
        // Someone else holds it: our lease ran out, which only ever frees the slots later than this would.
        if (isConditionFailed(error)) return;
        // Otherwise the lease frees the slots eventually: later than this release would, never earlier.
      }
    }
  }

  #update(input: Omit<UpdateItemInput, 'TableName'>, deadline: number): Promise<UpdateItemOutput> {
    return this.#call(
      (signal) => this.#db.updateItem({ ...input, TableName: this.#table }, { signal, tap: this.#tap }),
      deadline,
    );
  }

  /**
   * One DynamoDB call within `callTimeoutMs` and the caller's deadline. A failed conditional write
   * is passed through (a lost race, not an outage); a call cut short by the caller's own deadline
   * says nothing about the table; anything else means the table cannot be used now.
   */
  async #call<T>(send: (abortSignal: AbortSignal) => Promise<T>, deadline: number): Promise<T> {
    const left = deadline - this.#clock.now();
    const byDeadline = left < this.#callTimeoutMs;
    try {
      return await send(AbortSignal.timeout(Math.max(1, Math.min(this.#callTimeoutMs, left))));
    } catch (error) {
      if (isConditionFailed(error)) throw error;
      if (byDeadline && this.#clock.now() >= deadline) throw new DeadlineReachedError();
      throw new TableUnavailableError('The state table could not be reached for the rate budget', {
        cause: error,
      });
    }
  }

  /**
   * One attempt at the wire, whose answer's `Date` is weighed against this clock (`clock-skew.ts`):
   * once per attempt, so that neither the table client's retries nor its backoff widen the bounds.
   */
  readonly #tap = async <R>(
    send: () => Promise<R>,
    dateOf: (answer: R) => string | undefined,
  ): Promise<R> => {
    const sentAt = this.#clock.now();
    const result = await send();
    this.#skew.record(sentAt, this.#clock.now(), dateOf(result));
    if (this.#onClockSkew !== undefined && this.#skew.skew() !== NO_SKEW) {
      const tell = this.#onClockSkew;
      this.#onClockSkew = undefined;
      tell(this.#skew.bounds());
    }
    return result;
  };

  #track(work: Promise<void>): void {
    this.#pending.add(work);
    void work.finally(() => this.#pending.delete(work));
  }
}

function num(value: number): { N: string } {
  return { N: String(Math.ceil(value)) };
}

function expirationOf(epochMs: number): number {
  return Math.ceil(epochMs / 1000) + ITEM_TTL_SECONDS;
}

function isConditionFailed(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}
