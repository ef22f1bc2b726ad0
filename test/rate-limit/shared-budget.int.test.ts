/**
 * The ring of slots (functions/rate-limit/shared-budget.ts) against a real
 * DynamoDB-compatible server: several budgets on one table stand for several containers. Windows
 * are scaled down (hundreds of milliseconds) so that each test takes about a second; every timing
 * assertion is a lower bound the design guarantees, never a "fast enough" check.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCountingProxy } from '../../dev/counting-proxy.js';
import { createLogger } from '../../functions/observability/logger.js';
import { createRateLimiter } from '../../functions/rate-limit/container-limiter.js';
import { fallbackShare, ringWindows } from '../../functions/rate-limit/fallback.js';
import { type BudgetClock, pauseOnRateLimited } from '../../functions/rate-limit/pause.js';
import {
  createSharedRateBudget,
  type SharedRateBudget,
  type SharedRateBudgetOptions,
} from '../../functions/rate-limit/shared-budget.js';
import { createSlidingWindowLimiter } from '../../functions/rate-limit/sliding-window.js';
import type { RateWindow } from '../../functions/rate-limit/window.js';
import { type Dynalite, startDynalite } from '../support/dynalite.js';
import { maxInAnyWindow } from '../support/windows.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function sdkClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDLOCALSTANDIN', secretAccessKey: 'local-stand-in-secret' },
    maxAttempts: 2,
  });
}

/** A clock `offsetMs` away from real time (a container whose clock is off). */
function skewedClock(offsetMs: number): BudgetClock {
  return { now: () => Date.now() + offsetMs, sleep };
}

let db: Dynalite;
let client: DynamoDBClient;

beforeAll(async () => {
  db = await startDynalite();
  client = sdkClient(db.endpoint);
});

afterAll(async () => {
  client.destroy();
  await db.close();
});

/** A fresh table per test: rings from one test must not hold slots in the next. */
async function budgets(
  count: number,
  windows: readonly RateWindow[],
  extra: Partial<SharedRateBudgetOptions> | ((i: number) => Partial<SharedRateBudgetOptions>) = {},
): Promise<SharedRateBudget[]> {
  const tableName = await db.createTable();
  return Array.from({ length: count }, (_, i) =>
    createSharedRateBudget({
      client,
      tableName,
      windows,
      attemptTimeoutMs: 1_000,
      containerId: `container-${i}`,
      ...(typeof extra === 'function' ? extra(i) : extra),
    }),
  );
}

/**
 * Sends `perContainer` requests from each budget, `concurrency` at a time, to a fake DigiCert that
 * "arrives" each request at a random moment within a random latency: the real time of every arrival.
 */
async function run(
  containers: readonly SharedRateBudget[],
  perContainer: number,
  concurrency = 4,
): Promise<number[]> {
  const arrivals: number[] = [];
  await Promise.all(
    containers.map(async (budget) => {
      let next = 0;
      const worker = async () => {
        while (next < perContainer) {
          next += 1;
          if (!(await budget.acquire(Date.now() + 30_000))) throw new Error('no slot before the deadline');
          const latency = 5 + Math.random() * 40;
          await sleep(Math.random() * latency);
          arrivals.push(Date.now());
          await sleep(latency / 2);
          budget.release();
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
      await budget.flush();
    }),
  );
  return arrivals;
}

describe('the shared rate budget (a ring of slots in the state table)', () => {
  it('never lets several containers together exceed the limit in any window', async () => {
    const windows = [{ limit: 8, windowMs: 250 }];
    const containers = await budgets(3, windows);

    const arrivals = await run(containers, 16);

    expect(arrivals).toHaveLength(48);
    expect(maxInAnyWindow(arrivals, 250)).toBeLessThanOrEqual(8);
  });

  it('holds every window at once: the short one and the long one', async () => {
    const windows = [
      { limit: 6, windowMs: 200 },
      { limit: 15, windowMs: 1_000 },
    ];
    const containers = await budgets(3, windows);

    const arrivals = await run(containers, 8);

    expect(arrivals).toHaveLength(24);
    expect(maxInAnyWindow(arrivals, 200)).toBeLessThanOrEqual(6);
    expect(maxInAnyWindow(arrivals, 1_000)).toBeLessThanOrEqual(15);
  });

  it('stays within the limit when container clocks differ by less than the skew margin', async () => {
    const windows = [{ limit: 5, windowMs: 200 }];
    const containers = await budgets(3, windows, (i) => ({
      clock: skewedClock([-20, 0, 20][i] ?? 0),
      clockSkewMarginMs: 50,
    }));

    const arrivals = await run(containers, 10);

    expect(maxInAnyWindow(arrivals, 200)).toBeLessThanOrEqual(5);
  });

  it("measures a container's clock against the Date of the table's answers, warns once, and keeps the windows when it is 400 ms off", async () => {
    const windows = [{ limit: 4, windowMs: 1_000 }];
    const offsets = [400, 0, -400];
    const told: (readonly [number, number])[][] = offsets.map(() => []);
    const containers = await budgets(3, windows, (i) => ({
      clock: skewedClock(offsets[i] ?? 0),
      clockSkewMarginMs: 50,
      onClockSkew: ({ lowMs, highMs }) => told[i]?.push([lowMs, highMs]),
    }));

    // A container learns its clock from the answers to its first few requests (each one's Date
    // has whole seconds): serve a few, until both skewed ones have been told (bounded).
    for (let round = 0; round < 10 && (told[0]?.length === 0 || told[2]?.length === 0); round += 1) {
      await run(containers, 1, 1);
      await sleep(137);
    }
    const arrivals = await run(containers, 8);

    expect(told[0]).toHaveLength(1);
    expect(told[2]).toHaveLength(1);
    expect(told[1]).toEqual([]);
    // The bounds hold the true offset.
    expect(told[0]?.[0]?.[0]).toBeLessThanOrEqual(400);
    expect(told[0]?.[0]?.[1]).toBeGreaterThanOrEqual(400);
    expect(told[2]?.[0]?.[0]).toBeLessThanOrEqual(-400);
    expect(told[2]?.[0]?.[1]).toBeGreaterThanOrEqual(-400);
    expect(arrivals).toHaveLength(24);
    expect(maxInAnyWindow(arrivals, 1_000)).toBeLessThanOrEqual(4);
  });

  it("logs one warning per container, not per request, when the table's Date proves its clock off", async () => {
    const tableName = await db.createTable();
    const lines: string[] = [];
    const limiter = createRateLimiter({
      config: {
        rateLimits: [{ limit: 50, windowMs: 200 }],
        rateLimitShareDivisor: undefined,
        stateTableName: tableName,
        digicertTimeoutMs: 1_000,
      },
      stateTable: client,
      logger: createLogger({ write: (line) => lines.push(line) }),
      shared: { clock: skewedClock(-700) },
    });
    const warnings = () => lines.filter((line) => line.includes("container's clock is off"));

    for (let i = 0; i < 40 && warnings().length === 0; i += 1) {
      expect(await limiter.acquire(Date.now() + 5_000)).toBe(true);
      limiter.release?.();
      await sleep(53);
    }
    for (let i = 0; i < 10; i += 1) {
      await limiter.acquire(Date.now() + 5_000);
      limiter.release?.();
    }

    expect(warnings()).toHaveLength(1);
    expect(JSON.parse(warnings()[0] ?? '{}')).toMatchObject({ level: 'WARN' });
  });

  it('grants a whole window at once to a burst, and refuses at once a request no slot can serve before its deadline', async () => {
    const [a, b] = await budgets(2, [{ limit: 10, windowMs: 60_000 }]);
    if (!a || !b) throw new Error('two budgets');

    const grants = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).acquire(Date.now() + 60_000)),
    );
    const startedAt = Date.now();
    const late = await a.acquire(Date.now() + 5_000);

    expect(grants).toEqual(Array(10).fill(true));
    expect(late).toBe(false);
    // A held slot cannot free before a whole window from now, so there is nothing to wait for.
    expect(Date.now() - startedAt).toBeLessThan(5_000);
  });

  it("takes a request's slot in every window with one write and gives them back with another, below the limits", async () => {
    const tableName = await db.createTable();
    const proxy = await startCountingProxy(db.endpoint);
    const counted = sdkClient(proxy.endpoint);
    try {
      const budget = createSharedRateBudget({
        client: counted,
        tableName,
        windows: [
          { limit: 10, windowMs: 1_000 },
          { limit: 30, windowMs: 60_000 },
        ],
        attemptTimeoutMs: 1_000,
      });

      for (let i = 0; i < 8; i += 1) {
        expect(await budget.acquire(Date.now() + 5_000)).toBe(true);
        budget.release();
      }
      await budget.flush();

      expect(Object.fromEntries(proxy.counts)).toEqual({ UpdateItem: 16 });
    } finally {
      counted.destroy();
      await proxy.close();
    }
  });

  it('lets two containers that pick the same items learn them from the table and still fill the window at once', async () => {
    const tableName = await db.createTable();
    const proxy = await startCountingProxy(db.endpoint);
    const counted = sdkClient(proxy.endpoint);
    try {
      const [a, b] = [0, 1].map((i) =>
        createSharedRateBudget({
          client: counted,
          tableName,
          windows: [{ limit: 6, windowMs: 60_000 }],
          attemptTimeoutMs: 1_000,
          containerId: `container-${i}`,
          // Both start their picks at item 0.
          random: () => 0,
        }),
      );
      if (!a || !b) throw new Error('two budgets');

      const grants = await Promise.all(
        [0, 1, 2, 3, 4, 5].map((i) => (i % 2 ? a : b).acquire(Date.now() + 2_000)),
      );

      expect(grants).toEqual(Array(6).fill(true));
      expect(proxy.counts.get('UpdateItem') ?? 0).toBeGreaterThan(6);
    } finally {
      counted.destroy();
      await proxy.close();
    }
  });

  it('frees a slot one window after the answer, not after the grant', async () => {
    const [a, b] = await budgets(2, [{ limit: 1, windowMs: 200 }], { clockSkewMarginMs: 0 });
    if (!a || !b) throw new Error('two budgets');

    await a.acquire(Date.now() + 5_000);
    await sleep(150);
    const answeredAt = Date.now();
    a.release();
    await b.acquire(Date.now() + 5_000);
    const grantedAt = Date.now();

    expect(grantedAt - answeredAt).toBeGreaterThanOrEqual(200);
  });

  it("frees a crashed holder's slot when its lease runs out", async () => {
    const [crashed, survivor] = await budgets(2, [{ limit: 1, windowMs: 100 }], {
      attemptTimeoutMs: 100,
      leaseSlackMs: 50,
      clockSkewMarginMs: 0,
    });
    if (!crashed || !survivor) throw new Error('two budgets');

    const claimedAt = Date.now();
    await crashed.acquire(Date.now() + 5_000);
    const granted = await survivor.acquire(Date.now() + 5_000);

    expect(granted).toBe(true);
    expect(Date.now() - claimedAt).toBeGreaterThanOrEqual(100 + 100 + 50);
  });

  it("pauses every container after one container's 429, for the Retry-After it carried", async () => {
    const [a, b] = await budgets(2, [{ limit: 10, windowMs: 200 }]);
    if (!a || !b) throw new Error('two budgets');

    await a.acquire(Date.now() + 5_000);
    a.release();
    const pausedAt = Date.now();
    a.pause(0.4);
    await a.flush();
    await b.acquire(Date.now() + 5_000);

    expect(Date.now() - pausedAt).toBeGreaterThanOrEqual(400);
  });

  it('pauses at least 5 s after a 429 without Retry-After, so a caller with less time is refused', async () => {
    const [a, b] = await budgets(2, [{ limit: 10, windowMs: 200 }]);
    if (!a || !b) throw new Error('two budgets');

    a.pause();
    await a.flush();

    expect(await b.acquire(Date.now() + 4_000)).toBe(false);
    expect(await a.acquire(Date.now() + 4_000)).toBe(false);
  });

  it('falls back to the per-container share when the table cannot be reached, and refuses without one', async () => {
    const unreachable = sdkClient('http://127.0.0.1:9');
    try {
      const windows = [{ limit: 8, windowMs: 250 }];
      const failures: unknown[] = [];
      const shares = Array.from({ length: 4 }, () =>
        createSharedRateBudget({
          client: unreachable,
          tableName: 'dcv-resend-state-unreachable',
          windows,
          attemptTimeoutMs: 1_000,
          callTimeoutMs: 200,
          fallback: createSlidingWindowLimiter({ windows: [{ limit: 2, windowMs: 250 }] }),
          onTableUnavailable: (error) => failures.push(error),
        }),
      );
      const refusing = createSharedRateBudget({
        client: unreachable,
        tableName: 'dcv-resend-state-unreachable',
        windows,
        attemptTimeoutMs: 1_000,
        callTimeoutMs: 200,
      });

      const arrivals = await run(shares, 6, 2);

      expect(arrivals).toHaveLength(24);
      expect(maxInAnyWindow(arrivals, 250)).toBeLessThanOrEqual(8);
      expect(failures.length).toBeGreaterThan(0);
      expect(await refusing.acquire(Date.now() + 5_000)).toBe(false);
    } finally {
      unreachable.destroy();
    }
  });

  it("pauses every container when the use case reports DigiCert's 429 to the runtime's observer", async () => {
    const tableName = await db.createTable();
    const logger = createLogger({ write: () => undefined });
    const config = {
      rateLimits: [{ limit: 10, windowMs: 200 }],
      rateLimitShareDivisor: 2,
      stateTableName: tableName,
      digicertTimeoutMs: 1_000,
    };
    const a = createRateLimiter({ config, stateTable: client, logger });
    const b = createRateLimiter({ config, stateTable: client, logger });
    const observe = pauseOnRateLimited(a);
    if (!observe || !('flush' in a) || typeof a.flush !== 'function') throw new Error('a shared budget');

    const pausedAt = Date.now();
    observe({
      orderId: 1,
      attempt: 1,
      durationMs: 5,
      outcome: { kind: 'rate_limited', status: 429, retryAfterSeconds: 0.3 },
    });
    await a.flush();
    await b.acquire(Date.now() + 5_000);

    expect(Date.now() - pausedAt).toBeGreaterThanOrEqual(300);
  });
});

describe('the per-container share while the table cannot be reached', () => {
  it.each([
    [80, [1, 11]],
    [4, [22, 225]],
    [1, [90, 900]],
  ])('divides the default budget among at most %i containers', (divisor, limits) => {
    const share = fallbackShare(
      [
        { limit: 90, windowMs: 5_000 },
        { limit: 900, windowMs: 180_000 },
      ],
      divisor,
    );

    expect(share?.map((w) => w.limit)).toEqual(limits);
  });

  it.each([
    [80, [82, 812]],
    [20, [82, 810]],
    [10, [81, 810]],
    [1, [90, 900]],
    [undefined, [90, 900]],
  ])('leaves the shares of a tenth of at most %s containers out of the ring', (divisor, limits) => {
    const ring = ringWindows(
      [
        { limit: 90, windowMs: 5_000 },
        { limit: 900, windowMs: 180_000 },
      ],
      divisor,
    );

    expect(ring.map((w) => w.limit)).toEqual(limits);
  });

  it('has no share (the budget refuses) when the most containers is unknown or a share rounds to nothing', () => {
    expect(fallbackShare([{ limit: 90, windowMs: 5_000 }], undefined)).toBeUndefined();
    expect(fallbackShare([{ limit: 90, windowMs: 5_000 }], 91)).toBeUndefined();
  });

  it('keeps to the per-process sliding window without a state table (local runs)', async () => {
    const limiter = createRateLimiter({
      config: {
        rateLimits: [{ limit: 1, windowMs: 60_000 }],
        rateLimitShareDivisor: undefined,
        stateTableName: undefined,
        digicertTimeoutMs: 1_000,
      },
      stateTable: undefined,
      logger: createLogger({ write: () => undefined }),
    });

    expect(pauseOnRateLimited(limiter)).toBeUndefined();
    expect(await limiter.acquire(Date.now() + 1_000)).toBe(true);
    limiter.release?.();
    expect(await limiter.acquire(Date.now() + 100)).toBe(false);
  });
});
