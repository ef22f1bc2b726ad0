/**
 * The rate budget every container shares (docs/contract.md §7), kept in the state table: all
 * containers together never send DigiCert more than `limit` requests in any `windowMs`, for each
 * window, and a 429 from DigiCert pauses all of them.
 *
 * ## Design: a ring of slots per window
 * For a window of W ms and a limit L the table holds L slot items, `rate-budget#<W>ms#0..L-1`, and
 * one ticket item, `rate-budget#tickets`. A request
 *  1. takes a ticket: `ADD n 1` on the ticket item (the same write returns `paused_until`, the
 *     shared 429 pause, so the pause costs no extra request); ticket t means slot t mod L in every ring;
 *  2. claims its slot in every ring with a conditional write, all rings at once:
 *     `SET free_at = :lease, held = true, holder = :me IF attribute_not_exists(free_at) OR free_at <= :start`,
 *     where `start` is now. A ticket below every ring's limit names slots no earlier ticket used
 *     and claims them straight away; any other ticket first reads its slots (one read of all of
 *     them): when each is released (or free) it says when it frees, and the request books them
 *     all from the latest of those times (the same write, `start` = that time) and leaves at
 *     `start` without another round trip (when one of them is in use and frees more than a quarter
 *     of the shortest window before that, it looks again then instead: booked now, that slot would
 *     sit idle while an older ticket on it could use it); a held slot cannot free before its claim + W, so it looks
 *     again when this container's requests usually answer, then at least 16 times per window while
 *     the holder is overdue (a waiter that looks late lets the next round's ticket on the same
 *     slot book it first, and loses a whole round); all bounded by the caller's deadline (slots it
 *     did get by a claim that failed on another ring are given back as they were: nothing was sent
 *     on them). Exclusivity comes from the conditional write alone;
 *  3. sends, at `start` (the grant is the last thing before the request leaves);
 *  4. on `release()`, after DigiCert has answered (or the attempt failed or was never made), writes
 *     `free_at = answer time + W + skew margin, held = false` on each slot, if it still holds it.
 *
 * ## Why it is exact
 * A slot is held from its claim, before the request can reach DigiCert, until W after the answer,
 * after which DigiCert has surely counted it. The next request on the same slot needs a claim with
 * `free_at <= start` and leaves no earlier than `start`, so it leaves at least W after the previous
 * request's answer, and so after its arrival at DigiCert: a slot carries at most one arrival in
 * any interval of length W. Take any window [t, t + W): every request that arrived in it is, at the
 * instant t + W − ε, either still in flight (its slot held) or answered at some time ≥ t (its slot
 * blocked until ≥ t + W); distinct requests hold distinct slots at that instant (a slot is re-claimed
 * only once it is free), and a ring has L slots. So no window holds more than L arrivals, in each
 * ring, whatever the network delays, the number of containers, or the gap between grant and send.
 *
 * `release()` carries no identity (the domain's `RateLimiter`), so each container releases its
 * oldest grant first. That is still exact: per container, the slots held always number the requests
 * in flight, and every answer blocks one slot for W from the moment of the answer, which is all the
 * counting above uses; giving back the oldest claim first leaves the youngest (longest) leases held.
 *
 * Clocks: `free_at` is written with the releasing container's clock and compared with the claiming
 * container's clock. Lambda clocks are synchronised by the Amazon Time Sync Service (errors well
 * under a millisecond); `clockSkewMarginMs` (default 50 ms, for two clocks each off by up to 25 ms)
 * is added to every `free_at`, so that a fast clock cannot claim early.
 *
 * A container that dies holding a slot leaves its lease: `free_at = claim + attempt timeout + W +
 * lease slack`, after which its request has surely been answered or abandoned, and counted.
 *
 * ## Burst throughput
 * A burst gets all the windows allow: L requests at once, then each slot again W after its answer
 * (the next request has booked it meanwhile, so no table round trip stands in between); 500 orders under 90 per 5 s take about
 * 6 rounds, 26–28 s. A token bucket that never breaks the windows would need over 80 s.
 *
 * ## Cost per DigiCert request
 * One ticket write (shared by the acquires of a container that start together), one claim per ring
 * and one release per ring: 5 write requests with the default two windows, plus 1–2 reads (each of
 * three items) for a request whose slots were used before.
 *
 * ## The table unreachable
 * A DynamoDB call that fails (after the client's bounded retries, or after `callTimeoutMs`) sends
 * this container to `fallback`, a per-container limiter whose limits are the budget divided by the
 * most containers that can run (the stack passes that number), for `fallbackProbeMs`; then one
 * acquire tries the table again. Without a fallback the acquire is refused (`false`).
 */
import {
  BatchGetItemCommand,
  type DynamoDBClient,
  UpdateItemCommand,
  type UpdateItemCommandInput,
  type UpdateItemCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { DEFAULT_RETRY_AFTER_SECONDS } from '../app/contract.js';
import type { RateLimiter } from '../resend/ports.js';

/** At most `limit` requests within any `windowMs` interval. */
export interface BudgetWindow {
  readonly limit: number;
  readonly windowMs: number;
}

/** Time, injectable so that tests can skew one container's clock. */
export interface BudgetClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** The narrow part of the DynamoDB client this adapter uses (tests may wrap it to inject faults). */
export type DynamoDbSender = Pick<DynamoDBClient, 'send'>;

/** A limiter that needs to be told when its request has finished. */
export interface ReleasingRateLimiter extends RateLimiter {
  release(): void;
}

export interface SharedRateBudgetOptions {
  readonly client: DynamoDbSender;
  readonly tableName: string;
  readonly windows: readonly BudgetWindow[];
  /** Upper bound on one DigiCert attempt (`DIGICERT_TIMEOUT_MS`): part of a slot's lease. */
  readonly attemptTimeoutMs: number;
  /**
   * Used while the table cannot be reached: a limiter that keeps this container within its share of
   * the budget. Without one, acquires are refused while the table cannot be reached.
   */
  readonly fallback?: ReleasingRateLimiter;
  /** Added to every `free_at` against clock differences between containers. @default 50 */
  readonly clockSkewMarginMs?: number;
  /** Upper bound on one DynamoDB call, retries included. @default 1000 */
  readonly callTimeoutMs?: number;
  /** How long a container uses the fallback after a failed call before trying the table again. @default 5000 */
  readonly fallbackProbeMs?: number;
  /** Extra lease time for a holder that never releases (see the lease above). @default 2000 */
  readonly leaseSlackMs?: number;
  /** Identifies this container in `holder` (a random id by default). */
  readonly containerId?: string;
  readonly clock?: BudgetClock;
  readonly random?: () => number;
  /** Told when the table cannot be reached and the fallback takes over (logs); must not throw. */
  readonly onTableUnavailable?: (error: unknown) => void;
}

/** The shared budget: the domain's `RateLimiter`, plus the 429 pause. */
export interface SharedRateBudget extends ReleasingRateLimiter {
  /**
   * DigiCert answered 429: every container waits `retryAfterSeconds` (when DigiCert sent one), else
   * 5 s plus up to 1 s of jitter, before its next request.
   */
  pause(retryAfterSeconds?: number): void;
  /** Resolves when the writes started by `release` and `pause` have finished (tests, shutdown). */
  flush(): Promise<void>;
}

const TICKETS_KEY = 'rate-budget#tickets';
/** Added to the default pause after a 429 without `Retry-After`, so that containers do not resume in step. */
const PAUSE_JITTER_MS = 1_000;
/** Budget items are rewritten while in use; the table's TTL removes rings no longer used. */
const ITEM_TTL_SECONDS = 86_400;
const RELEASE_ATTEMPTS = 3;
/** How soon a waiter looks again at a slot whose holder is overdue (its release may be on its way). */
const POLL_MS = 100;
/** A waiter looks at an overdue holder's slot at least this many times per window. */
const POLL_SHARE = 16;

const systemClock: BudgetClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

interface Ring {
  readonly limit: number;
  readonly windowMs: number;
  readonly prefix: string;
}

type Grant =
  | {
      readonly kind: 'shared';
      readonly holder: string;
      readonly slots: readonly string[];
      readonly grantedAt: number;
    }
  | { readonly kind: 'fallback' };

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

/** The table cannot be reached (not a lost race). */
class TableUnavailable extends Error {
  override readonly name = 'TableUnavailable';
}

/** A call was cut short by the caller's deadline: no slot in time, whatever the table's state. */
class DeadlineReached extends Error {
  override readonly name = 'DeadlineReached';
}

/**
 * Builds the shared budget over the state table. Every granted `acquire` must be followed by one
 * `release` when the request has been answered (or failed, or was not sent).
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
  return new RingBudget(options);
}

class RingBudget implements SharedRateBudget {
  readonly #client: DynamoDbSender;
  readonly #table: string;
  readonly #rings: readonly Ring[];
  readonly #attemptTimeoutMs: number;
  readonly #fallback: ReleasingRateLimiter | undefined;
  readonly #marginMs: number;
  readonly #callTimeoutMs: number;
  readonly #probeMs: number;
  readonly #leaseSlackMs: number;
  readonly #containerId: string;
  readonly #clock: BudgetClock;
  readonly #random: () => number;
  readonly #onTableUnavailable: ((error: unknown) => void) | undefined;
  /** Grants not yet released, oldest first (see "release() carries no identity" above). */
  readonly #grants: Grant[] = [];
  readonly #pending = new Set<Promise<void>>();
  #sequence = 0;
  readonly #ticketWaiters: TicketWaiter[] = [];
  #ticketInFlight = false;
  /** How long this container's requests take from grant to answer (a moving average): when a held slot is likely to free. */
  #latencyMs = 0;
  #pausedUntil = 0;
  /** Until when acquires go to the fallback without trying the table. */
  #fallbackUntil = 0;

  constructor(options: SharedRateBudgetOptions) {
    this.#client = options.client;
    this.#table = options.tableName;
    this.#rings = [...options.windows]
      .sort((a, b) => a.windowMs - b.windowMs)
      .map(({ limit, windowMs }) => ({ limit, windowMs, prefix: `rate-budget#${windowMs}ms#` }));
    this.#attemptTimeoutMs = options.attemptTimeoutMs;
    this.#fallback = options.fallback;
    this.#marginMs = options.clockSkewMarginMs ?? 50;
    this.#callTimeoutMs = options.callTimeoutMs ?? 1_000;
    this.#probeMs = options.fallbackProbeMs ?? 5_000;
    this.#leaseSlackMs = options.leaseSlackMs ?? 2_000;
    this.#containerId = options.containerId ?? Math.random().toString(36).slice(2, 12);
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#onTableUnavailable = options.onTableUnavailable;
  }

  async acquire(deadline: number): Promise<boolean> {
    const now = this.#clock.now();
    if (deadline < now) return false;
    if (now < this.#fallbackUntil) return this.#acquireFallback(deadline);
    // While this acquire probes the table, the others use the fallback instead of queueing on it.
    if (this.#fallbackUntil > 0) this.#fallbackUntil = now + this.#probeMs;
    const holder = `${this.#containerId}#${++this.#sequence}`;
    try {
      const granted = await this.#acquireShared(deadline, holder);
      this.#fallbackUntil = 0;
      return granted;
    } catch (error) {
      if (error instanceof DeadlineReached) return false;
      if (!(error instanceof TableUnavailable)) throw error;
      this.#fallbackUntil = this.#clock.now() + this.#probeMs;
      this.#onTableUnavailable?.(error.cause);
      return this.#acquireFallback(deadline);
    }
  }

  release(): void {
    const grant = this.#grants.shift();
    if (!grant) return;
    if (grant.kind === 'fallback') {
      this.#fallback?.release();
      return;
    }
    const answeredAt = this.#clock.now();
    this.#latencyMs += (answeredAt - grant.grantedAt - this.#latencyMs) / 8;
    this.#track(
      Promise.all(
        grant.slots.map((key, i) => {
          const ring = this.#rings[i] as Ring;
          return this.#releaseSlot(key, grant.holder, answeredAt + ring.windowMs + this.#marginMs);
        }),
      ).then(() => undefined),
    );
  }

  pause(retryAfterSeconds?: number): void {
    const now = this.#clock.now();
    const pauseMs =
      retryAfterSeconds === undefined
        ? DEFAULT_RETRY_AFTER_SECONDS * 1000 + Math.floor(this.#random() * PAUSE_JITTER_MS)
        : Math.max(0, retryAfterSeconds * 1000);
    const until = now + pauseMs;
    if (until <= this.#pausedUntil) return;
    this.#pausedUntil = until;
    // Only ever extended: a shorter pause written later must not cut a longer one short.
    this.#track(
      this.#update(
        {
          Key: { id: { S: TICKETS_KEY } },
          UpdateExpression: 'SET paused_until = :until, expiration = :exp',
          ConditionExpression: 'attribute_not_exists(paused_until) OR paused_until < :until',
          ExpressionAttributeValues: { ':until': num(until), ':exp': num(expirationOf(until)) },
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

  async #acquireFallback(deadline: number): Promise<boolean> {
    if (!this.#fallback) return false;
    if (!(await this.#waitForPause(this.#pausedUntil, deadline))) return false;
    const granted = await this.#fallback.acquire(deadline);
    if (granted) this.#grants.push({ kind: 'fallback' });
    return granted;
  }

  /** Sleeps through a pause; `false` when it lasts past the deadline. */
  async #waitForPause(pausedUntil: number, deadline: number): Promise<boolean> {
    if (pausedUntil <= this.#clock.now()) return true;
    if (pausedUntil > deadline) return false;
    await this.#sleepUntil(pausedUntil);
    return true;
  }

  /** Until the clock reads `at` or later: a timer may fire a millisecond early by the wall clock. */
  async #sleepUntil(at: number): Promise<void> {
    for (let now = this.#clock.now(); now < at; now = this.#clock.now()) await this.#clock.sleep(at - now);
  }

  async #acquireShared(deadline: number, holder: string): Promise<boolean> {
    const ticket = await this.#takeTicket(deadline);
    const n = ticket.n;
    let pausedUntil = ticket.pausedUntil;
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
      if (!(await this.#waitForPause(Math.max(pausedUntil, this.#pausedUntil), deadline))) return false;
      start = Math.max(start, this.#clock.now());
      if (start > deadline) return false;
      if (claimFirst) {
        if (await this.#claimAll(slots, holder, start, deadline)) {
          await this.#sleepUntil(start);
          this.#grants.push({ kind: 'shared', holder, slots, grantedAt: this.#clock.now() });
          return true;
        }
      }
      claimFirst = true;
      // Doubles while a holder stays overdue: a slow table must not be polled harder.
      let pollMs = POLL_MS;
      for (;;) {
        const seen = await this.#look(slots, deadline);
        pausedUntil = seen.pausedUntil;
        const now = this.#clock.now();
        const paused = Math.max(pausedUntil, this.#pausedUntil);
        // Released (its free time is known), or a lease about to run out: bookable from then.
        const held = seen.slots
          .map((slot, i) => ({ ...slot, hold: (this.#rings[i] as Ring).windowMs + this.#marginMs }))
          .filter((slot) => slot.held && slot.freeAt > now + pollMs);
        if (held.length === 0) {
          start = Math.max(paused, now, ...seen.slots.map((slot) => slot.freeAt));
          if (start > deadline) return false;
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
        if (held.some((slot) => slot.claimedAt + slot.hold > deadline)) return false;
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
        Key: { id: { S: TICKETS_KEY } },
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
    const lease = start + this.#attemptTimeoutMs + ring.windowMs + this.#marginMs + this.#leaseSlackMs;
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
          new BatchGetItemCommand({
            RequestItems: {
              [this.#table]: {
                Keys: [...keys, TICKETS_KEY].map((key) => ({ id: { S: key } })),
                ConsistentRead: true,
                ProjectionExpression: 'id, free_at, held, claimed_at, paused_until',
              },
            },
          }),
          { abortSignal },
        ),
      deadline,
    );
    const items = read.Responses?.[this.#table] ?? [];
    if (Object.keys(read.UnprocessedKeys ?? {}).length > 0) {
      // DynamoDB may leave keys unread under load: ask again (bounded by the caller's deadline).
      throw new TableUnavailable('The state table left a read unprocessed');
    }
    const tickets = items.find((item) => item.id?.S === TICKETS_KEY);
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
        this.#client.send(new UpdateItemCommand({ ...input, TableName: this.#table }), { abortSignal }),
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
      if (byDeadline && this.#clock.now() >= deadline) throw new DeadlineReached();
      throw new TableUnavailable('The state table could not be reached for the rate budget', {
        cause: error,
      });
    }
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
