/**
 * Route 53's request budget (functions/aws/route53/request-budget.ts, docs/dns-dcv.md): every
 * request the Route 53 client sends, each SDK retry included, takes a slot first and gives it back
 * when answered. Through the real SDK against the loopback stand-in (dev/route53-standin.ts), and,
 * on dynalite, one budget shared by two containers (two runtimes on one state table).
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { pointRoute53At, Route53StandIn } from '../../dev/route53-standin.js';
import { createRoute53Client } from '../../functions/aws/route53/client.js';
import { dnsZonesOn } from '../../functions/aws/route53/dns-dcv-zones.js';
import { Route53Records } from '../../functions/aws/route53/records.js';
import {
  ROUTE53_ATTEMPT_TIMEOUT_MS,
  ROUTE53_SLOT_WAIT_MS,
  route53Windows,
} from '../../functions/aws/route53/request-budget.js';
import type { DnsDcvState } from '../../functions/dcv/dns/state.js';
import { UpstreamError } from '../../functions/lib/errors.js';
import { createSlidingWindowLimiter } from '../../functions/rate-limit/sliding-window.js';
import type { RateLimiter } from '../../functions/resend/ports.js';
import { type Dynalite, startDynaliteForSdk } from '../support/dynalite.js';
import { type Harness, startHarness } from '../support/harness.js';

const ZONE = { id: 'ZEXAMPLE', name: 'example.com' } as const;

let standIn: Route53StandIn;

beforeEach(async () => {
  standIn = await Route53StandIn.start({ zones: [ZONE] });
  pointRoute53At(standIn.endpoint);
});
afterEach(async () => {
  await standIn.close();
});

/** A limiter that counts what it is asked, around `inner`. */
function counting(inner: RateLimiter) {
  const counts = { acquired: 0, released: 0 };
  const limiter: RateLimiter = {
    acquire: async (deadline) => {
      const granted = await inner.acquire(deadline);
      if (granted) counts.acquired += 1;
      return granted;
    },
    release: () => {
      counts.released += 1;
      inner.release?.();
    },
  };
  return { limiter, counts };
}

describe('the Route 53 client with a request budget', () => {
  it('never lets more than 5 requests arrive within any second, however many calls are made at once', async () => {
    const records = new Route53Records(createRoute53Client(), {
      limiter: createSlidingWindowLimiter({ windows: route53Windows(5) }),
      // Each call lists the zones: 12 requests.
      zoneListMs: 0,
    });

    const found = await Promise.all(
      Array.from({ length: 12 }, (_, i) => records.findZone(`example.com`, [ZONE.id]).then(() => i)),
    );

    expect(found).toHaveLength(12);
    expect(standIn.requests).toHaveLength(12);
    expect(standIn.busiestWindow(1_000)).toBe(5);
  });

  it('takes a slot for each attempt of a throttled call that the SDK retries, and gives each back', async () => {
    standIn.failNext('GetChange', 'Throttling', { times: 2 });
    const { limiter, counts } = counting(createSlidingWindowLimiter({ windows: route53Windows(5) }));
    const records = new Route53Records(createRoute53Client(), { limiter });

    const status = await records.changeStatus('C0000STANDIN').catch((error: unknown) => error);

    // Two throttled attempts, then the stand-in's answer for a change it does not know.
    expect(standIn.requests.map((r) => r.status)).toEqual([400, 400, 404]);
    expect(status).toMatchObject({ name: 'Route53Error', code: 'NoSuchChange' });
    expect(counts).toEqual({ acquired: 3, released: 3 });
  });

  it.each(['Throttling', 'PriorRequestNotComplete'])(
    "turns Route 53's %s (HTTP 400) past the SDK's attempts into an UpstreamError the workflow retries",
    async (code) => {
      standIn.failNext('ChangeResourceRecordSets', code);
      const zones = dnsZonesOn(new Route53Records(createRoute53Client({ bounds: { maxAttempts: 1 } })));

      const publishing = zones.publish({ zoneId: ZONE.id, name: 'www.example.com', type: 'TXT', value: 'v' });

      await expect(publishing).rejects.toBeInstanceOf(UpstreamError);
      expect(standIn.requests.map((r) => `${r.operation} ${r.status}`)).toEqual([
        'ListResourceRecordSets 200',
        'ChangeResourceRecordSets 400',
      ]);
    },
  );

  it('sends nothing when no slot frees within the wait, and fails as an UpstreamError the workflow retries', async () => {
    const refusing: RateLimiter = { acquire: async () => false };
    const zones = dnsZonesOn(new Route53Records(createRoute53Client(), { limiter: refusing }));

    const publishing = zones.publish({ zoneId: ZONE.id, name: 'www.example.com', type: 'TXT', value: 'v' });

    await expect(publishing).rejects.toBeInstanceOf(UpstreamError);
    await expect(publishing).rejects.toMatchObject({ code: 'upstream_unavailable' });
    expect(standIn.requests).toEqual([]);
  });
});

describe('how long a request waits for its slot', () => {
  it("waits no longer than leaves one attempt's time before the call's deadline, else a minute", async () => {
    const asked: number[] = [];
    const recording: RateLimiter = {
      acquire: async (deadline) => {
        asked.push(deadline);
        return false;
      },
    };
    const records = new Route53Records(createRoute53Client(), { limiter: recording });
    const before = Date.now();

    const soon = before + 20_000;
    await expect(records.changeStatus('C1', { deadline: soon })).rejects.toMatchObject({
      code: 'Route53BudgetExhausted',
      retryable: true,
    });
    await expect(records.changeStatus('C2')).rejects.toMatchObject({ code: 'Route53BudgetExhausted' });

    expect(asked[0]).toBe(soon - ROUTE53_ATTEMPT_TIMEOUT_MS);
    expect(asked[1]).toBeGreaterThanOrEqual(before + ROUTE53_SLOT_WAIT_MS);
    expect(asked[1]).toBeLessThan(Date.now() + ROUTE53_SLOT_WAIT_MS + 1);
    expect(standIn.requests).toEqual([]);
  });
});

describe('one Route 53 budget for every container, on the state table', () => {
  let h: Harness;
  let dynamo: Dynalite;

  beforeAll(async () => {
    [h, dynamo] = await Promise.all([startHarness(), startDynaliteForSdk()]);
  });
  afterAll(async () => {
    await Promise.all([h.close(), dynamo.close()]);
  });

  it('keeps two containers publishing at once within 5 Route 53 requests in any second, together', async () => {
    const env = { STATE_TABLE_NAME: dynamo.tableName, DNS_DCV_HOSTED_ZONE_IDS: ZONE.id };
    const containers = [h.runtime(env), h.runtime(env)];
    const deadline = Date.now() + 60_000;
    // Three workflows per container, two records each: 24 requests (a read and a write per record).
    const publishes = containers.flatMap((runtime, c) =>
      [0, 1, 2].map((w) =>
        runtime.dnsDcv.tasks.publish(stateWith([`a${c}${w}.example.com`, `b${c}${w}.example.com`]), {
          deadline,
        }),
      ),
    );

    const published = await Promise.all(publishes);

    expect(published.flatMap((state) => state.changes)).toHaveLength(12);
    expect(standIn.recordSets(ZONE.id).filter((set) => set.type === 'TXT')).toHaveLength(12);
    expect(standIn.requests).toHaveLength(24);
    // Each container alone would allow 5: together they would send up to 10 in the first second.
    expect(standIn.busiestWindow(1_000)).toBeLessThanOrEqual(5);
  }, 60_000);
});

function stateWith(names: readonly string[]): DnsDcvState {
  return {
    order_id: 1,
    method: 'dns-txt-token',
    random_value: 'fdy6m0wy5lq063sz4h0r6qmdt722gyfc',
    expires_at: '2099-01-01T00:00:00Z',
    records: names.map((name) => ({
      name,
      type: 'TXT',
      value: 'fdy6m0wy5lq063sz4h0r6qmdt722gyfc',
      hosted_zone_id: ZONE.id,
      published: true,
    })),
    started_at: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    changes: [],
    in_sync: false,
    sync_polls: 0,
    checks: 0,
    validated: false,
    expired: false,
    gave_up: false,
    next_check_seconds: 60,
    last_codes: [],
  };
}
