/**
 * The retry, deadline and key-refresh decisions of the resend use case, with a scripted DigiCert
 * port, a fake clock and a recording sleep: which outcomes are retried, how long it waits, and that
 * it never starts an attempt it cannot finish before the deadline.
 */
import { describe, expect, it } from 'vitest';
import { ConfigurationError, DigiCertRequestError, UpstreamError } from '../../functions/lib/errors.js';
import type { ApiKeyProvider, AttemptOptions, AttemptOutcome } from '../../functions/resend/ports.js';
import {
  createResendUseCase,
  DEFAULT_RETRY_POLICY,
  type ResendDependencies,
} from '../../functions/resend/use-case.js';
import { unlimited } from '../support/limiters.js';

const SENT: AttemptOutcome = { kind: 'sent', status: 204 };
const UNAUTHORIZED: AttemptOutcome = { kind: 'unauthorized', status: 401 };
const RATE_LIMITED: AttemptOutcome = { kind: 'rate_limited', status: 429, retryAfterSeconds: undefined };
const unavailable = (status: number | undefined, retryable = true): AttemptOutcome => ({
  kind: 'unavailable',
  status,
  retryable,
  retryAfterSeconds: undefined,
  detail: `DigiCert answered HTTP ${status}`,
});
const TIMEOUT: AttemptOutcome = { kind: 'timeout', detail: 'no answer in time' };

interface Rig {
  readonly deps: ResendDependencies;
  /** The API key of each DigiCert attempt, in order. */
  readonly keysUsed: string[];
  readonly attemptTimeouts: number[];
  readonly sleeps: number[];
  readonly invalidations: (string | undefined)[];
  readonly clock: { now: number };
}

const START = 1_000_000;

/** A use case whose DigiCert answers `outcomes` in turn (the last repeats); each attempt takes `attemptMs`. */
function rig(
  outcomes: readonly AttemptOutcome[],
  options: { attemptMs?: number; keys?: readonly string[]; random?: number; keyDelayMs?: number } = {},
): Rig {
  const keys = options.keys ?? ['key-1', 'key-2'];
  const clock = { now: START };
  const keysUsed: string[] = [];
  const attemptTimeouts: number[] = [];
  const sleeps: number[] = [];
  const invalidations: (string | undefined)[] = [];
  let keyIndex = 0;
  let call = 0;
  const apiKeys: ApiKeyProvider = {
    getApiKey: () => {
      const key = keys[Math.min(keyIndex, keys.length - 1)] ?? 'key';
      if (options.keyDelayMs === undefined) return Promise.resolve(key);
      return new Promise((resolve) => setTimeout(() => resolve(key), options.keyDelayMs));
    },
    invalidate: (rejected) => {
      invalidations.push(rejected);
      keyIndex += 1;
    },
  };
  const deps: ResendDependencies = {
    apiKeys,
    digicert: {
      resendEmails: (_id: number, _body: unknown, apiKey: string, attempt: AttemptOptions) => {
        keysUsed.push(apiKey);
        attemptTimeouts.push(attempt.timeoutMs);
        clock.now += options.attemptMs ?? 10;
        const outcome = outcomes[Math.min(call, outcomes.length - 1)] ?? SENT;
        call += 1;
        return Promise.resolve(outcome);
      },
    },
    limiter: unlimited,
    retry: DEFAULT_RETRY_POLICY,
    attemptTimeoutMs: 10_000,
    now: () => clock.now,
    sleep: (ms: number) => {
      sleeps.push(ms);
      clock.now += ms;
      return Promise.resolve();
    },
    random: () => options.random ?? 1,
  };
  return { deps, keysUsed, attemptTimeouts, sleeps, invalidations, clock };
}

const ORDER = { order_id: 42 };

async function outcomeOf(r: Rig, deadlineInMs = 25_000): Promise<unknown> {
  try {
    return await createResendUseCase(r.deps)(ORDER, { deadline: r.clock.now + deadlineInMs });
  } catch (error) {
    return error;
  }
}

describe('which DigiCert outcomes are retried', () => {
  it.each([
    ['429 without Retry-After', RATE_LIMITED],
    ['500', unavailable(500)],
    ['502', unavailable(502)],
    ['503', unavailable(503)],
    ['504', unavailable(504)],
    ['a connection reset or refusal', unavailable(undefined)],
  ])('retries %s up to the maximum number of attempts', async (_name, outcome) => {
    const r = rig([outcome]);

    const error = await outcomeOf(r);

    expect(error).toBeInstanceOf(UpstreamError);
    expect(r.keysUsed).toHaveLength(DEFAULT_RETRY_POLICY.maxAttempts);
    expect((error as UpstreamError).attempts).toBe(DEFAULT_RETRY_POLICY.maxAttempts);
  });

  it('repeats a timed-out attempt once only: DigiCert may have acted on it, and it cost a whole timeout', async () => {
    const r = rig([TIMEOUT]);

    const error = await outcomeOf(r);

    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as UpstreamError).code).toBe('upstream_timeout');
    expect(r.keysUsed).toHaveLength(DEFAULT_RETRY_POLICY.maxTimeoutAttempts);
    expect(DEFAULT_RETRY_POLICY.maxTimeoutAttempts).toBe(2);
  });

  it('counts only timeouts against the timeout bound: a 503 then a timeout then a 503 still retries', async () => {
    const r = rig([unavailable(503), TIMEOUT, unavailable(503)]);

    const error = await outcomeOf(r);

    expect(error).toBeInstanceOf(UpstreamError);
    expect(r.keysUsed).toHaveLength(DEFAULT_RETRY_POLICY.maxAttempts);
  });

  const rejected = (status: number, code: string): AttemptOutcome => ({
    kind: 'rejected',
    status,
    errors: [{ code, message: 'no' }],
  });

  it.each([
    ['a 400', rejected(400, 'invalid_dcv_email')],
    ['a 403', rejected(403, 'access_denied|missing_permission')],
    ['a 404', rejected(404, 'not_found|order')],
    ['a 501 (not a transient status)', unavailable(501, false)],
  ])('never retries %s', async (_name, outcome) => {
    const r = rig([outcome]);

    await outcomeOf(r);

    expect(r.keysUsed).toHaveLength(1);
  });

  it('stops retrying as soon as DigiCert accepts', async () => {
    const r = rig([unavailable(503), RATE_LIMITED, SENT]);

    const result = await outcomeOf(r);

    expect(result).toEqual({ orderId: 42, attempts: 3 });
  });

  it('passes a DigiCert 4xx on as DigiCertRequestError with its status', async () => {
    const r = rig([
      { kind: 'rejected', status: 404, errors: [{ code: 'not_found|order', message: 'gone' }] },
    ]);

    const error = await outcomeOf(r);

    expect(error).toBeInstanceOf(DigiCertRequestError);
    expect((error as DigiCertRequestError).status).toBe(404);
  });
});

describe('backoff between attempts', () => {
  it('waits at most base × 2^(n-1), capped, before retry n (full jitter at its upper end)', async () => {
    const r = rig([unavailable(503)], { random: 1 });

    await outcomeOf(r);

    expect(r.sleeps).toEqual([500, 1000, 2000]);
  });

  it('draws each wait at random from zero up to the cap (full jitter)', async () => {
    const r = rig([unavailable(503)], { random: 0.25 });

    await outcomeOf(r);

    expect(r.sleeps).toEqual([125, 250, 500]);
  });

  it('never waits longer than the maximum delay however many attempts are allowed', async () => {
    const r = rig([unavailable(503)], { random: 1 });
    const deps = { ...r.deps, retry: { ...DEFAULT_RETRY_POLICY, maxAttempts: 10 } };

    await createResendUseCase(deps)(ORDER, { deadline: r.clock.now + 600_000 }).catch(() => undefined);

    expect(Math.max(...r.sleeps)).toBe(DEFAULT_RETRY_POLICY.maxDelayMs);
    expect(r.keysUsed).toHaveLength(10);
  });

  it('waits exactly as long as a Retry-After asks instead of its own backoff', async () => {
    const r = rig([{ kind: 'rate_limited', status: 429, retryAfterSeconds: 7 }, SENT]);

    await outcomeOf(r);

    expect(r.sleeps).toEqual([7_000]);
  });

  it('honours a Retry-After on a 503 as well', async () => {
    const r = rig([
      { kind: 'unavailable', status: 503, retryable: true, retryAfterSeconds: 2, detail: 'maintenance' },
      SENT,
    ]);

    await outcomeOf(r);

    expect(r.sleeps).toEqual([2_000]);
  });

  it('gives up at once, passing the Retry-After on, when waiting for it would pass the deadline', async () => {
    const r = rig([{ kind: 'rate_limited', status: 429, retryAfterSeconds: 120 }]);

    const error = await outcomeOf(r, 10_000);

    expect(r.keysUsed).toHaveLength(1);
    expect(r.sleeps).toEqual([]);
    expect(error).toMatchObject({ code: 'request_limit_exceeded', retryAfterSeconds: 120 });
  });
});

describe('the deadline', () => {
  it('never lets an attempt run past the deadline', async () => {
    const r = rig([TIMEOUT], { attemptMs: 0 });

    await outcomeOf(r, 1_500);

    expect(r.attemptTimeouts[0]).toBeLessThanOrEqual(1_500);
  });

  it('stops retrying when the next backoff would end past the deadline', async () => {
    const r = rig([unavailable(503)], { random: 1, attemptMs: 400 });

    const error = await outcomeOf(r, 1_500);

    expect(error).toMatchObject({ name: 'UpstreamError', code: 'upstream_unavailable' });
    expect(r.clock.now).toBeLessThanOrEqual(START + 1_500);
    expect(r.keysUsed.length).toBeLessThan(DEFAULT_RETRY_POLICY.maxAttempts);
  });

  it('answers upstream_timeout without calling DigiCert when no time is left', async () => {
    const r = rig([SENT]);

    const error = await outcomeOf(r, 100);

    expect(error).toMatchObject({ name: 'UpstreamError', code: 'upstream_timeout', attempts: 0 });
    expect(r.keysUsed).toHaveLength(0);
  });

  it('reports secret_unavailable when the key cannot be read before the deadline', async () => {
    const r = rig([SENT], { keyDelayMs: 1_000 });
    const realNow = { ...r.deps, now: Date.now };

    const error = await createResendUseCase(realNow)(ORDER, { deadline: Date.now() + 300 }).catch((e) => e);

    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error).toMatchObject({ code: 'secret_unavailable' });
    expect(r.keysUsed).toHaveLength(0);
  });
});

describe('key refresh on 401', () => {
  it('drops the rejected key, reads the secret again and retries once with the new key', async () => {
    const r = rig([UNAUTHORIZED, SENT]);

    const result = await outcomeOf(r);

    expect(result).toEqual({ orderId: 42, attempts: 2 });
    expect(r.invalidations).toEqual(['key-1']);
    expect(r.keysUsed).toEqual(['key-1', 'key-2']);
  });

  it('fails with upstream_auth_failed when the re-read key is rejected too', async () => {
    const r = rig([UNAUTHORIZED]);

    const error = await outcomeOf(r);

    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error).toMatchObject({ code: 'upstream_auth_failed' });
    expect(r.keysUsed).toHaveLength(2);
  });

  it('adds at most one attempt to the maximum for the key refresh', async () => {
    const r = rig([UNAUTHORIZED, unavailable(503)]);

    await outcomeOf(r);

    expect(r.keysUsed).toHaveLength(DEFAULT_RETRY_POLICY.maxAttempts + 1);
  });
});
