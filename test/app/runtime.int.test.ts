/**
 * The composition root with a state table (`functions/app/runtime.ts`): its client, the shared
 * budget and the idempotency store are built with the container, against dynalite; DigiCert is the
 * simulator. What the pieces do is tested beside them (test/rate-limit, test/resend); this checks
 * that the runtime wires them together.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { httpV2Event, lambdaContext } from '../../dev/lambda-events.js';
import { createHandler } from '../../functions/resend-dcv-emails/handler.js';
import { type Dynalite, startDynaliteForSdk } from '../support/dynalite.js';
import { type Harness, startHarness } from '../support/harness.js';

let h: Harness;
let dynamo: Dynalite;

beforeAll(async () => {
  h = await startHarness();
  dynamo = await startDynaliteForSdk();
});

afterAll(async () => {
  await Promise.all([h.close(), dynamo.close()]);
});

beforeEach(() => h.reset());

describe('a runtime with a state table', () => {
  it("pauses another container's budget on the table when DigiCert answers this one 429", async () => {
    const tableEnv = { STATE_TABLE_NAME: await dynamo.createTable(), DIGICERT_MAX_ATTEMPTS: '1' };
    const first = h.runtime(tableEnv);
    const other = h.runtime(tableEnv);
    h.simulator.script(7101, { kind: 'rate_limited', retryAfter: '1' });

    const pausedFrom = Date.now();
    const answer = await createHandler(() => first)(
      httpV2Event({ orderId: '7101' }),
      lambdaContext('runtime-429', () => 10_000),
    );
    if (!('flush' in first.limiter) || typeof first.limiter.flush !== 'function') {
      throw new Error('the runtime built the shared budget');
    }
    await first.limiter.flush();
    const granted = await other.limiter.acquire(Date.now() + 5_000);

    expect(answer).toMatchObject({ statusCode: 429 });
    expect(granted).toBe(true);
    expect(Date.now() - pausedFrom).toBeGreaterThanOrEqual(1_000);
  });

  it('answers 503 state_unavailable without calling DigiCert when the table it was built with does not exist', async () => {
    const handler = h.handler({ STATE_TABLE_NAME: 'no-such-table' }, { stateTable: { maxAttempts: 1 } });

    const answer = await handler(
      httpV2Event({ orderId: '7102', headers: { 'idempotency-key': 'runtime-no-table' } }),
      lambdaContext('runtime-no-table', () => 10_000),
    );

    expect(answer).toMatchObject({ statusCode: 503 });
    expect(JSON.stringify(answer)).toContain('state_unavailable');
    expect(h.simulator.requestsFor(7102)).toHaveLength(0);
  });
});
