/**
 * The deployed entry, `functions/resend-dcv-emails/handler.ts`, configured only through
 * `process.env` as Lambda configures it. Each test imports the module afresh: a cold container.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { DigiCertSimulator } from '../../dev/digicert-simulator.js';
import { fakeContext, httpV2Event } from '../../dev/lambda-events.js';
import type { Handler } from '../../functions/resend-dcv-emails/handler.js';
import { CANARY_KEY, type Harness, startHarness } from '../support/harness.js';

let h: Harness;
let other: DigiCertSimulator;
let handler: Handler;

beforeAll(async () => {
  h = await startHarness();
  other = await DigiCertSimulator.start({ validKeys: [CANARY_KEY] });
});
afterAll(async () => {
  await other.close();
  await h.close();
});
beforeEach(async () => {
  h.reset();
  other.reset();
  Object.assign(process.env, h.env);
  // The module keeps its runtime for the container's life, as Lambda does: a new container is a new module.
  vi.resetModules();
  ({ handler } = await import('../../functions/resend-dcv-emails/handler.js'));
});

describe('the deployed handler module', () => {
  it('reads its configuration from the environment and resends', async () => {
    const response = await handler(httpV2Event({ orderId: '41' }), fakeContext());
    expect(response).toMatchObject({ statusCode: 204 });
    expect(h.simulator.requestsFor(41)).toHaveLength(1);
  });

  it('builds its runtime once, from the environment of the first invocation', async () => {
    process.env.DIGICERT_BASE_URL = other.baseUrl;
    await handler({ order_id: 42 }, fakeContext());
    process.env.DIGICERT_BASE_URL = h.env.DIGICERT_BASE_URL;
    await handler({ order_id: 42 }, fakeContext());
    expect(other.requestsFor(42)).toHaveLength(2);
    expect(h.simulator.requestsFor(42)).toHaveLength(0);
  });

  it('fails with ConfigurationError naming the variable when the secret id is missing', async () => {
    delete process.env.DIGICERT_API_KEY_SECRET_ID;
    await expect(handler({ order_id: 43 }, fakeContext())).rejects.toMatchObject({
      name: 'ConfigurationError',
      message: expect.stringContaining('DIGICERT_API_KEY_SECRET_ID'),
    });
    const http = await handler(httpV2Event({ orderId: '43' }), fakeContext());
    expect(http).toMatchObject({ statusCode: 503 });
  });

  it('fails with ConfigurationError naming LOG_LEVEL when it is not a level', async () => {
    process.env.LOG_LEVEL = 'verbose';
    try {
      await expect(handler({ order_id: 49 }, fakeContext())).rejects.toMatchObject({
        name: 'ConfigurationError',
        message: expect.stringContaining('LOG_LEVEL must be one of debug, info, warn, error'),
      });
      expect(h.simulator.requestsFor(49)).toHaveLength(0);
    } finally {
      delete process.env.LOG_LEVEL;
    }
  });

  it('works when run by hand without a Lambda context', async () => {
    const run = handler as unknown as (event: unknown) => Promise<unknown>;
    await expect(run({ order_id: 45 })).resolves.toEqual({ order_id: 45, status: 'sent' });
    await expect(run(httpV2Event({ orderId: '46' }))).resolves.toMatchObject({ statusCode: 204 });
  });

  it('keeps a tenth of a short invocation to answer, rather than a whole second', async () => {
    const context = { ...fakeContext(), getRemainingTimeInMillis: () => 1_000 };
    await expect(handler({ order_id: 47 }, context)).resolves.toEqual({ order_id: 47, status: 'sent' });
    expect(h.simulator.requestsFor(47)).toHaveLength(1);
  });

  it('calls nothing when the invocation has no time left', async () => {
    const context = { ...fakeContext(), getRemainingTimeInMillis: () => 0 };
    await expect(handler({ order_id: 48 }, context)).rejects.toMatchObject({ name: 'UpstreamError' });
    expect(h.simulator.requestsFor(48)).toHaveLength(0);
  });

  it("still answers a malformed request with the caller's 4xx when the configuration is broken", async () => {
    process.env.DIGICERT_TIMEOUT_MS = 'soon';
    const response = await handler(httpV2Event({ orderId: '12a' }), fakeContext());
    expect(response).toMatchObject({ statusCode: 400 });
    await expect(handler({ order_id: 0 }, fakeContext())).rejects.toMatchObject({ name: 'ValidationError' });
    await expect(handler({ order_id: 44 }, fakeContext())).rejects.toMatchObject({
      name: 'ConfigurationError',
      message: expect.stringContaining('DIGICERT_TIMEOUT_MS'),
    });
  });
});
