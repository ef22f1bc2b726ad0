/**
 * The shared budget (docs/contract.md §7): a ring of slots per window on the state table, so that
 * all containers together never send DigiCert more than `limit` requests in any `windowMs`, for
 * each window, whatever the network delays. A ticket names one slot in every ring; a request claims
 * them with a conditional write (or books them from when they free), is sent, and on `release()`
 * blocks them for one window after DigiCert's answer. The design, why it is exact, its throughput
 * and its cost: docs/design/rate-budget.md. The 429 pause rides on the ticket item (`pause.ts`);
 * while the table cannot be reached, `fallback.ts` takes over.
 */
import {
  BatchGetItemCommand,
  type DynamoDBClient,
  UpdateItemCommand,
  type UpdateItemCommandInput,
  type UpdateItemCommandOutput,
} from '@aws-sdk/client-dynamodb';
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
import type { RateWindow } from './window.js';

/** The narrow part of the DynamoDB client this adapter uses (tests may wrap it to inject faults). */
export type DynamoDbSender = Pick<DynamoDBClient, 'send'>;

export interface SharedRateBudgetOptions {
  readonly client: DynamoDbSender;
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

interface Ring {
  readonly limit: number;
  readonly windowMs: number;
  readonly prefix: string;
}

interface Grant {
  readonly holder: string;
  readonly slots: readonly string[];
  readonly grantedAt: number;
}

interface Ticket {
  /** Ticket number from 0: slot n mod L in each ring. */
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

/** The ring itself: its acquire rejects when the table cannot be reached (`fallback.ts` decides what then). */
class RingBudget implements TableBudget {
  readonly #client: DynamoDbSender;
  readonly #table: string;
  readonly #rings: readonly Ring[];
  readonly #ticketsKey: string;
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
  /** Grants not yet released, oldest first (`release()` carries no identity: docs/design/rate-budget.md). */
  readonly #grants: Grant[] = [];
  readonly #pending = new Set<Promise<void>>();
  #sequence = 0;
  readonly #ticketWaiters: TicketWaiter[] = [];
  #ticketInFlight = false;
  /** How long this container's requests take from grant to answer (a moving average): when a held slot is likely to free. */
  #latencyMs = 0;
  #pausedUntil = 0;
  /** When the slot or the pause behind this container's latest refusal ends (the caller's `Retry-After`). */
  #refusedUntil: number | undefined;

  constructor(options: SharedRateBudgetOptions, clock: BudgetClock) {
    this.#client = options.client;
    this.#table = options.tableName;
    const keyPrefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
    this.#rings = [...options.windows]
      .sort((a, b) => a.windowMs - b.windowMs)
      .map(({ limit, windowMs }) => ({ limit, windowMs, prefix: `${keyPrefix}#${windowMs}ms#` }));
    this.#ticketsKey = `${keyPrefix}#tickets`;
    this.#attemptTimeoutMs = options.attemptTimeoutMs;
    this.#marginMs = options.clockSkewMarginMs ?? 50;
    this.#callTimeoutMs = options.callTimeoutMs ?? 1_000;
    this.#leaseSlackMs = options.leaseSlackMs ?? 2_000;
    this.#containerId = options.containerId ?? Math.random().toString(36).slice(2, 12);
    this.#clock = clock;
    this.#random = options.random ?? Math.random;
    this.#skew = new ClockSkewGauge(this.#marginMs);
    this.#onClockSkew = options.onClockSkew;
  }

  /** Rejects with `TableUnavailableError` or `DeadlineReachedError` (see `TableBudget`). */
  async acquire(deadline: number): Promise<boolean> {
    if (deadline < this.#clock.now()) return this.#refuse(undefined);
    return this.#acquireShared(deadline, `${this.#containerId}#${++this.#sequence}`);
  }

  retryAt(): number | undefined {
    return latestAhead(this.#clock.now(), this.#refusedUntil, this.#pausedUntil);
  }

  release(): void {
    const grant = this.#grants.shift();
    if (!grant) return;
    const answeredAt = this.#clock.now();
    this.#latencyMs += (answeredAt - grant.grantedAt - this.#latencyMs) / 8;
    this.#track(
      Promise.all(
        grant.slots.map((key, i) => {
          const ring = this.#rings[i] as Ring;
          // A clock proven behind frees its slots that much later (as the others' clocks read them).
          const late = this.#skew.skew().behindUpToMs;
          return this.#releaseSlot(key, grant.holder, answeredAt + ring.windowMs + this.#marginMs + late);
        }),
      ).then(() => undefined),
    );
  }

  pause(retryAfterSeconds?: number): void {
    const now = this.#clock.now();
    const until = now + pauseMs(retryAfterSeconds, this.#random);
    if (until <= this.#pausedUntil) return;
    this.#pausedUntil = until;
    // Only ever extended: a shorter pause written later must not cut a longer one short. A stored
    // pause longer than one 429 can cause (written before pauses were capped) is replaced.
    this.#track(
      this.#update(
        {
          Key: { id: { S: this.#ticketsKey } },
          UpdateExpression: 'SET paused_until = :until, expiration = :exp',
          ConditionExpression:
            'attribute_not_exists(paused_until) OR paused_until < :until OR paused_until > :longest',
          ExpressionAttributeValues: {
            ':until': num(until),
            ':longest': num(now + MAX_PAUSE_MS + PAUSE_READ_SLACK_MS),
            ':exp': num(expirationOf(until)),
          },
        },
        now + this.#callTimeoutMs,
      ).then(
        () => undefined,
        () => undefined,
      ),
    );
  }

  async flush(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }

  pausedUntil(): number {
    return this.#pausedUntil;
  }

  async #acquireShared(deadline: number, holder: string): Promise<boolean> {
    const ticket = await this.#takeTicket(deadline);
    const n = ticket.n;
    let pausedUntil = this.#cappedPause(ticket.pausedUntil);
    const slots = this.#rings.map((ring) => `${ring.prefix}${n % ring.limit}`);

    // A claim may book a slot ahead: "held by me from `start`", where `start` is when the slot frees
    // (`free_at <= :start`); the request then leaves at `start`, not one table round trip after it.
    // A ticket below every ring's limit names slots no earlier ticket used: claim them all at once
    // (one round trip). Any other ticket's slots were used before and are most likely still held
    // by a request one round earlier: read them first (one read instead of a failed write), and
    // book them all at once from when the last of them frees.
    let start = this.#clock.now();
    let claimFirst = this.#rings.every((ring) => n < ring.limit);
    for (;;) {
      const paused = Math.max(pausedUntil, this.#pausedUntil);
      if (!(await waitOutPause(this.#clock, paused, deadline))) return this.#refuse(paused);
      start = Math.max(start, this.#clock.now());
      if (start > deadline) return this.#refuse(start);
      if (claimFirst) {
        if (await this.#claimAll(slots, holder, start, deadline)) {
          // A clock proven ahead claims early by the others' clocks: it sends that much later.
          await sleepUntil(this.#clock, start + this.#skew.skew().aheadUpToMs);
          this.#grants.push({ holder, slots, grantedAt: this.#clock.now() });
          return true;
        }
      }
      claimFirst = true;
      // Doubles while a holder stays overdue: a slow table must not be polled harder.
      let pollMs = POLL_MS;
      for (;;) {
        const seen = await this.#look(slots, deadline);
        pausedUntil = this.#cappedPause(seen.pausedUntil);
        const now = this.#clock.now();
        const paused = Math.max(pausedUntil, this.#pausedUntil);
        // Released (its free time is known), or a lease about to run out: bookable from then.
        const held = seen.slots
          .map((slot, i) => ({ ...slot, hold: (this.#rings[i] as Ring).windowMs + this.#marginMs }))
          .filter((slot) => slot.held && slot.freeAt > now + pollMs);
        if (held.length === 0) {
          start = Math.max(paused, now, ...seen.slots.map((slot) => slot.freeAt));
          if (start > deadline) return this.#refuse(start);
          // A slot in use that frees well before another of this ticket's slots would sit idle
          // from then until `start` once booked, while an older ticket on it could use it: leave
          // it to them, and look again shortly before `start`.
          const lookBy = start - Math.min(...this.#rings.map((ring) => ring.windowMs)) / 4;
          if (seen.slots.some((slot) => slot.freeAt > now && slot.freeAt < lookBy) && lookBy > now + pollMs) {
            await this.#clock.sleep(lookBy - now);
            continue;
          }
          break;
        }
        // Held: it frees W after an answer that cannot precede its claim; look again when this
        // container's requests usually answer (the release then says when), then less and less often.
        const freeNoEarlier = Math.max(paused, ...held.map((slot) => slot.claimedAt + slot.hold));
        if (freeNoEarlier > deadline) return this.#refuse(freeNoEarlier);
        const lookAt = Math.max(
          now + pollMs,
          ...held.map((slot) => Math.min(slot.freeAt, slot.claimedAt + this.#latencyMs)),
        );
        // Capped at a small part of the window: a waiter that looks late lets a later ticket on the
        // same slot (another container's, one round ahead of it) book the slot first, and loses a round.
        pollMs = Math.min(
          2 * pollMs,
          Math.max(POLL_MS, Math.min(...held.map((slot) => slot.hold)) / POLL_SHARE),
        );
        await this.#clock.sleep(lookAt - now);
      }
    }
  }

  #refuse(until: number | undefined): false {
    this.#refusedUntil = until;
    return false;
  }

  /**
   * The pause as stored, or `MAX_PAUSE_MS` from now for one stored further ahead than a 429 can
   * pause (written before pauses were capped), which is then rewritten so: it ends within
   * `MAX_PAUSE_MS` of being first read, not a day after the 429.
   */
  #cappedPause(stored: number): number {
    const now = this.#clock.now();
    if (stored <= now + MAX_PAUSE_MS + PAUSE_READ_SLACK_MS) return stored;
    const capped = now + MAX_PAUSE_MS;
    this.#track(
      this.#update(
        {
          Key: { id: { S: this.#ticketsKey } },
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
        Key: { id: { S: this.#ticketsKey } },
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
   * Claims (or books from `start`) the ticket's slot in every ring, all at once. `false` when one is
   * not free by `start`; the others are then given back free from `start` (never earlier than they
   * were: the claim required `free_at <= start`), since nothing was sent on them.
   */
  async #claimAll(
    slots: readonly string[],
    holder: string,
    start: number,
    deadline: number,
  ): Promise<boolean> {
    const claimed = await Promise.all(
      slots.map((key, i) => this.#claim(key, holder, start, this.#rings[i] as Ring, deadline)),
    );
    if (claimed.every(Boolean)) return true;
    await Promise.all(
      slots.map((key, i) => (claimed[i] ? this.#releaseSlot(key, holder, start) : undefined)),
    );
    return false;
  }

  /**
   * Claims one slot for a request that leaves at `start` (now, or when the slot frees); `false` when
   * it is not free by then. The lease covers that request until it has surely been answered and
   * counted, should this container never release it.
   */
  async #claim(key: string, holder: string, start: number, ring: Ring, deadline: number): Promise<boolean> {
    const lease =
      start +
      this.#attemptTimeoutMs +
      ring.windowMs +
      this.#marginMs +
      this.#leaseSlackMs +
      this.#skew.skew().behindUpToMs +
      this.#skew.skew().aheadUpToMs;
    try {
      await this.#update(
        {
          Key: { id: { S: key } },
          UpdateExpression:
            'SET free_at = :lease, held = :held, holder = :me, claimed_at = :start, expiration = :exp',
          ConditionExpression: 'attribute_not_exists(free_at) OR free_at <= :start',
          ExpressionAttributeValues: {
            ':lease': num(lease),
            ':held': { BOOL: true },
            ':me': { S: holder },
            ':start': num(start),
            ':exp': num(expirationOf(lease)),
          },
        },
        deadline,
      );
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }

  /** The ticket's slots and the shared pause, in one read. */
  async #look(
    keys: readonly string[],
    deadline: number,
  ): Promise<{ slots: { freeAt: number; held: boolean; claimedAt: number }[]; pausedUntil: number }> {
    const read = await this.#call(
      (abortSignal) =>
        this.#client.send(
          this.#sampled(
            new BatchGetItemCommand({
              RequestItems: {
                [this.#table]: {
                  Keys: [...keys, this.#ticketsKey].map((key) => ({ id: { S: key } })),
                  ConsistentRead: true,
                  ProjectionExpression: 'id, free_at, held, claimed_at, paused_until',
                },
              },
            }),
          ),
          { abortSignal },
        ),
      deadline,
    );
    const items = read.Responses?.[this.#table] ?? [];
    if (Object.keys(read.UnprocessedKeys ?? {}).length > 0) {
      // DynamoDB may leave keys unread under load: ask again (bounded by the caller's deadline).
      throw new TableUnavailableError('The state table left a read unprocessed');
    }
    const tickets = items.find((item) => item.id?.S === this.#ticketsKey);
    return {
      slots: keys.map((key) => {
        const slot = items.find((item) => item.id?.S === key);
        return {
          freeAt: Number(slot?.free_at?.N ?? '0'),
          held: slot?.held?.BOOL === true,
          claimedAt: Number(slot?.claimed_at?.N ?? '0'),
        };
      }),
      pausedUntil: Number(tickets?.paused_until?.N ?? '0'),
    };
  }

  /** Frees a slot from `freeAt`, if `holder` still holds it; retried a few times, never thrown. */
  async #releaseSlot(key: string, holder: string, freeAt: number): Promise<void> {
    for (let attempt = 1; attempt <= RELEASE_ATTEMPTS; attempt += 1) {
      try {
        await this.#update(
          {
            Key: { id: { S: key } },
            UpdateExpression: 'SET free_at = :free, held = :held, expiration = :exp',
            ConditionExpression: 'holder = :me',
            ExpressionAttributeValues: {
              ':free': num(freeAt),
              ':held': { BOOL: false },
              ':me': { S: holder },
              ':exp': num(expirationOf(freeAt)),
            },
          },
          this.#clock.now() + this.#callTimeoutMs,
        );
        return;
      } catch (error) {
        // Someone else holds it: our lease ran out, which only ever frees the slot later than this would.
        if (isConditionFailed(error)) return;
        // Otherwise the lease frees the slot eventually: later than this release would, never earlier.
      }
    }
  }

  #update(
    input: Omit<UpdateItemCommandInput, 'TableName'>,
    deadline: number,
  ): Promise<UpdateItemCommandOutput> {
    return this.#call(
      (abortSignal) =>
        this.#client.send(this.#sampled(new UpdateItemCommand({ ...input, TableName: this.#table })), {
          abortSignal,
        }),
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
   * `command`, whose answer's `Date` is weighed against this clock (`clock-skew.ts`): at the wire,
   * once per attempt, so that neither the client's retries nor its backoff widen the bounds.
   */
  #sampled<C extends BatchGetItemCommand | UpdateItemCommand>(command: C): C {
    // The middleware only reads the raw answer: the same for either command's types.
    const stack = command.middlewareStack as UpdateItemCommand['middlewareStack'];
    stack.add((next) => (args) => this.#weigh(() => next(args)), {
      step: 'deserialize',
      name: 'rateBudgetClockSkew',
    });
    return command;
  }

  async #weigh<R extends { readonly response: unknown }>(send: () => Promise<R>): Promise<R> {
    const sentAt = this.#clock.now();
    const result = await send();
    const headers = (result.response as { headers?: Record<string, string | undefined> }).headers;
    this.#skew.record(sentAt, this.#clock.now(), headers?.date);
    if (this.#onClockSkew !== undefined && this.#skew.skew() !== NO_SKEW) {
      const tell = this.#onClockSkew;
      this.#onClockSkew = undefined;
      tell(this.#skew.bounds());
    }
    return result;
  }

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
