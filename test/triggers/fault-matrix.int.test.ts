/**
 * Every fault DigiCert, the network or Secrets Manager can throw at one request, injected at the
 * wire (the DigiCert simulator and the Secrets Manager stand-in, reached through the real undici
 * client and the real AWS SDK), and every fault of the state table (dynalite behind a fault
 * stand-in), through both kinds of entry point. For each: the contract's outcome,
 * how many times DigiCert was called, that the invocation ended before its deadline, and that the
 * API key appears nowhere in what came out.
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Behaviour } from '../../dev/digicert-simulator.js';
import { fakeContext, httpV2Event } from '../../dev/lambda-events.js';
import type { ClientBounds } from '../../functions/lib/client-bounds.js';
import { UpstreamError } from '../../functions/lib/errors.js';
import { DEFAULT_RETRY_POLICY } from '../../functions/resend/use-case.js';
import type { HttpResponse } from '../../functions/triggers/api-gateway.js';
import { type Dynalite, startDynaliteForSdk } from '../support/dynalite.js';
import {
  type DynamoFault,
  type DynamoFaultProxy,
  startDynamoFaultProxy,
} from '../support/dynamodb-faults.js';
import { CANARY_KEY, type Harness, SECRET_NAME, startHarness } from '../support/harness.js';
import { closedPort } from '../support/ports.js';

const ORDER = 7001;
const BODY = {
  domain_approval_emails: [{ domain: 'example.com', email: 'admin@example.com' }],
  locale: 'en',
};
const ROTATED_KEY = 'ROTATED-dcv-0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e';
const MAX = DEFAULT_RETRY_POLICY.maxAttempts;
const MAX_TIMEOUTS = DEFAULT_RETRY_POLICY.maxTimeoutAttempts;
/** Small enough that four timed-out attempts take well under a second. */
const FAST_TIMEOUT = { DIGICERT_TIMEOUT_MS: '100' };

interface FaultCase {
  /** The fault, as a phrase after "when". */
  readonly fault: string;
  /** Scripts the stand-ins; `warm` makes one successful call first and forgets what it recorded. */
  readonly arrange?: (h: Harness, warm: () => Promise<void>) => void | Promise<void>;
  /** Variables added to the harness's environment (a function when known only once the suite runs). */
  readonly env?: Record<string, string> | (() => Record<string, string>);
  readonly secretsManager?: Partial<ClientBounds>;
  /** The fake context's remaining time. @default 10 s */
  readonly remainingMs?: number;
  /** HTTP status; 204 means DigiCert accepted (and a direct call returns `sent`). */
  readonly status: number;
  /** The contract code in the HTTP envelope and on the thrown error. */
  readonly code?: string;
  /** The thrown error's `name` for a direct invocation. */
  readonly errorType?: string;
  readonly retryAfter?: string;
  /** DigiCert calls made for the request. */
  readonly attempts: number;
  /** Calls the simulator saw, when it differs from `attempts` (nothing listening). */
  readonly recorded?: number;
  /** GetSecretValue calls the stand-in saw. @default 1 */
  readonly secretReads?: number;
  /** The exact waits between attempts (Retry-After); otherwise each must be within full jitter. */
  readonly delays?: readonly number[];
  /**
   * Runs with the state table (docs/contract.md §6), reached through the DynamoDB fault stand-in
   * scripted with these faults (HTTP requests then carry a fresh `Idempotency-Key`).
   */
  readonly state?: {
    readonly faults: readonly DynamoFault[];
    readonly always?: boolean;
    /** Bounds on the state table client. @default STATE_TABLE_BOUNDS */
    readonly bounds?: Partial<ClientBounds>;
    /** Connection refused: the client is pointed at a closed port instead of the stand-in. */
    readonly refused?: boolean;
  };
}

const script =
  (...behaviours: Behaviour[]) =>
  (h: Harness) => {
    h.simulator.script(ORDER, ...behaviours);
  };

let refusedBaseUrl = '';

const CASES: readonly FaultCase[] = [
  {
    fault: 'the state table refuses connections (a delivery needs a record)',
    state: { faults: [], refused: true },
    status: 503,
    code: 'state_unavailable',
    errorType: 'UpstreamError',
    attempts: 0,
    secretReads: 0,
  },
  {
    fault: 'the state table answers ThrottlingException twice, then works',
    state: { faults: [{ kind: 'throttle' }, { kind: 'throttle' }] },
    status: 204,
    attempts: 1,
  },
  {
    fault: 'the state table answers ThrottlingException every time',
    state: { faults: [{ kind: 'throttle' }], always: true },
    status: 503,
    code: 'state_unavailable',
    errorType: 'UpstreamError',
    attempts: 0,
    secretReads: 0,
  },
  {
    fault: 'the state table does not answer one request within its timeout, then works',
    state: { faults: [{ kind: 'hang', delayMs: 2_000 }], bounds: { requestTimeoutMs: 200 } },
    status: 204,
    attempts: 1,
  },
  {
    fault: 'the state table never answers within its timeout',
    state: { faults: [{ kind: 'hang', delayMs: 2_000 }], always: true, bounds: { requestTimeoutMs: 200 } },
    status: 503,
    code: 'state_unavailable',
    errorType: 'UpstreamError',
    attempts: 0,
    secretReads: 0,
  },
  {
    fault: 'the state table answers 500 every time',
    state: { faults: [{ kind: 'server_error' }], always: true },
    status: 503,
    code: 'state_unavailable',
    errorType: 'UpstreamError',
    attempts: 0,
    secretReads: 0,
  },
  {
    fault: 'DigiCert answers 429 without Retry-After every time',
    arrange: script({ kind: 'rate_limited' }),
    status: 429,
    code: 'request_limit_exceeded',
    errorType: 'UpstreamError',
    retryAfter: '5',
    attempts: MAX,
  },
  {
    fault: 'DigiCert answers 429 with Retry-After: 3 every time',
    arrange: script({ kind: 'rate_limited', retryAfter: '3' }),
    status: 429,
    code: 'request_limit_exceeded',
    errorType: 'UpstreamError',
    retryAfter: '3',
    attempts: MAX,
    delays: [3_000, 3_000, 3_000],
  },
  {
    fault: 'DigiCert answers 429 with Retry-After: 2 once, then accepts',
    arrange: script({ kind: 'rate_limited', retryAfter: '2' }, { kind: 'sent' }),
    status: 204,
    attempts: 2,
    delays: [2_000],
  },
  {
    fault: 'DigiCert answers 429 with a Retry-After longer than the time left',
    arrange: script({ kind: 'rate_limited', retryAfter: '120' }),
    status: 429,
    code: 'request_limit_exceeded',
    errorType: 'UpstreamError',
    retryAfter: '120',
    attempts: 1,
    delays: [],
  },
  {
    fault: 'DigiCert answers 500 every time',
    arrange: script({ kind: 'server_error' }),
    status: 502,
    code: 'upstream_unavailable',
    errorType: 'UpstreamError',
    attempts: MAX,
  },
  {
    fault: 'a proxy answers 502 with an HTML body every time',
    arrange: script({ kind: 'html_bad_gateway' }),
    status: 502,
    code: 'upstream_unavailable',
    errorType: 'UpstreamError',
    attempts: MAX,
  },
  {
    fault: 'DigiCert is down for maintenance (503) every time',
    arrange: script({ kind: 'maintenance' }),
    status: 502,
    code: 'upstream_unavailable',
    errorType: 'UpstreamError',
    attempts: MAX,
  },
  {
    fault: 'DigiCert answers 503 twice, then accepts',
    arrange: script({ kind: 'maintenance' }, { kind: 'maintenance' }, { kind: 'sent' }),
    status: 204,
    attempts: 3,
  },
  {
    fault: 'a proxy answers 504 every time',
    arrange: script({ kind: 'gateway_timeout' }),
    status: 502,
    code: 'upstream_unavailable',
    errorType: 'UpstreamError',
    attempts: MAX,
  },
  {
    fault: 'the connection is reset before any answer every time',
    arrange: script({ kind: 'reset' }),
    status: 502,
    code: 'upstream_unavailable',
    errorType: 'UpstreamError',
    attempts: MAX,
  },
  {
    fault: 'the connection is reset in the middle of the response every time',
    arrange: script({ kind: 'reset_mid_body' }),
    status: 502,
    code: 'upstream_unavailable',
    errorType: 'UpstreamError',
    attempts: MAX,
  },
  {
    fault: 'the connection is reset once, then DigiCert accepts',
    arrange: script({ kind: 'reset' }, { kind: 'sent' }),
    status: 204,
    attempts: 2,
  },
  {
    fault: 'nothing listens at the DigiCert address (connection refused)',
    env: () => ({ DIGICERT_BASE_URL: refusedBaseUrl }),
    status: 502,
    code: 'upstream_unavailable',
    errorType: 'UpstreamError',
    attempts: MAX,
    recorded: 0,
  },
  {
    fault: 'DigiCert sends no headers within DIGICERT_TIMEOUT_MS every time',
    arrange: script({ kind: 'slow', delayMs: 3_000 }),
    env: FAST_TIMEOUT,
    status: 504,
    code: 'upstream_timeout',
    errorType: 'UpstreamError',
    attempts: MAX_TIMEOUTS,
  },
  {
    fault: 'DigiCert sends the body slower than DIGICERT_TIMEOUT_MS every time',
    arrange: script({ kind: 'slow_body', delayMs: 3_000 }),
    env: FAST_TIMEOUT,
    status: 504,
    code: 'upstream_timeout',
    errorType: 'UpstreamError',
    attempts: MAX_TIMEOUTS,
  },
  {
    fault: 'DigiCert is slow once, then accepts',
    arrange: script({ kind: 'slow', delayMs: 3_000 }, { kind: 'sent' }),
    env: FAST_TIMEOUT,
    status: 204,
    attempts: 2,
  },
  {
    fault:
      'DigiCert sends no headers before the invocation deadline (attempt timeout longer than the time left)',
    arrange: script({ kind: 'slow', delayMs: 5_000 }),
    env: { DIGICERT_TIMEOUT_MS: '10000' },
    remainingMs: 1_800,
    status: 504,
    code: 'upstream_timeout',
    errorType: 'UpstreamError',
    attempts: 1,
  },
  {
    fault: 'DigiCert answers 400 with a truncated JSON error body',
    arrange: script({ kind: 'truncated_json', status: 400 }),
    status: 400,
    code: 'http_400',
    errorType: 'DigiCertRequestError',
    attempts: 1,
  },
  {
    fault: 'DigiCert answers 500 with a truncated JSON error body every time',
    arrange: script({ kind: 'truncated_json', status: 500 }),
    status: 502,
    code: 'upstream_unavailable',
    errorType: 'UpstreamError',
    attempts: MAX,
  },
  {
    fault: 'DigiCert answers 404 for the order',
    arrange: script({ kind: 'not_found' }),
    status: 404,
    code: 'not_found|order',
    errorType: 'DigiCertRequestError',
    attempts: 1,
  },
  {
    fault: 'DigiCert answers 403 (a view-only key)',
    arrange: script({ kind: 'forbidden' }),
    status: 403,
    code: 'access_denied|missing_permission',
    errorType: 'DigiCertRequestError',
    attempts: 1,
  },
  {
    fault: 'DigiCert (or a proxy) echoes the API key in a 400 error body, in known and unknown fields',
    arrange: script({ kind: 'echo_key' }),
    status: 400,
    code: 'invalid_key|[REDACTED]',
    errorType: 'DigiCertRequestError',
    attempts: 1,
  },
  {
    fault: 'DigiCert (or a proxy) echoes the API key in a 403 error body',
    arrange: script({ kind: 'echo_key', status: 403 }),
    status: 403,
    code: 'invalid_key|[REDACTED]',
    errorType: 'DigiCertRequestError',
    attempts: 1,
  },
  {
    fault: 'the API key was revoked and the secret still holds it (401 twice)',
    arrange: (h) => h.simulator.setValidKeys([ROTATED_KEY]),
    status: 502,
    code: 'upstream_auth_failed',
    errorType: 'ConfigurationError',
    attempts: 2,
    secretReads: 2,
  },
  {
    fault: 'the API key was rotated between two calls (simulator and secret both updated)',
    arrange: async (h, warm) => {
      await warm();
      h.simulator.setValidKeys([ROTATED_KEY]);
      h.secrets.setSecret(SECRET_NAME, ROTATED_KEY);
    },
    status: 204,
    attempts: 2,
    secretReads: 1,
  },
  {
    fault: 'Secrets Manager throttles once',
    arrange: (h) => h.secrets.failNext('ThrottlingException'),
    status: 204,
    attempts: 1,
    secretReads: 2,
  },
  {
    fault: 'Secrets Manager fails with an internal error once',
    arrange: (h) => h.secrets.failNext('InternalServiceError'),
    status: 204,
    attempts: 1,
    secretReads: 2,
  },
  {
    fault: "Secrets Manager throttles more often than the SDK's attempts",
    arrange: (h) => h.secrets.failNext('ThrottlingException', 'ThrottlingException', 'ThrottlingException'),
    status: 503,
    code: 'secret_unavailable',
    errorType: 'ConfigurationError',
    attempts: 0,
    secretReads: 3,
  },
  {
    fault: 'the secret does not exist',
    arrange: (h) => h.secrets.deleteSecret(SECRET_NAME),
    status: 503,
    code: 'secret_unavailable',
    errorType: 'ConfigurationError',
    attempts: 0,
  },
  {
    fault: 'reading the secret is denied',
    arrange: (h) => h.secrets.failNext('AccessDeniedException'),
    status: 503,
    code: 'secret_unavailable',
    errorType: 'ConfigurationError',
    attempts: 0,
  },
  {
    fault: 'the secret is empty',
    arrange: (h) => h.secrets.setSecret(SECRET_NAME, '  '),
    status: 503,
    code: 'secret_unavailable',
    errorType: 'ConfigurationError',
    attempts: 0,
  },
  {
    fault: 'the secret is malformed JSON',
    arrange: (h) => h.secrets.setSecret(SECRET_NAME, `{"api_key": "${CANARY_KEY}"`),
    status: 503,
    code: 'secret_unavailable',
    errorType: 'ConfigurationError',
    attempts: 0,
  },
  {
    fault: 'the secret holds a key shorter than 20 characters',
    arrange: (h) => h.secrets.setSecret(SECRET_NAME, 'short-key-012345'),
    status: 503,
    code: 'secret_unavailable',
    errorType: 'ConfigurationError',
    attempts: 0,
  },
  {
    fault: 'the secret holds a key with a double quote (it would escape the log redactor once JSON-encoded)',
    arrange: (h) => h.secrets.setSecret(SECRET_NAME, JSON.stringify({ api_key: `${CANARY_KEY}"` })),
    status: 503,
    code: 'secret_unavailable',
    errorType: 'ConfigurationError',
    attempts: 0,
  },
  {
    fault: 'Secrets Manager hangs (bounded by the SDK request timeout and attempts)',
    arrange: (h) => h.secrets.setDelay(3_000),
    secretsManager: { maxAttempts: 2, requestTimeoutMs: 200 },
    status: 503,
    code: 'secret_unavailable',
    errorType: 'ConfigurationError',
    attempts: 0,
    secretReads: 2,
  },
  {
    fault: 'Secrets Manager is slower than the invocation deadline',
    arrange: (h) => h.secrets.setDelay(3_000),
    secretsManager: { maxAttempts: 1, requestTimeoutMs: 1_000 },
    remainingMs: 1_500,
    status: 503,
    code: 'secret_unavailable',
    errorType: 'ConfigurationError',
    attempts: 0,
  },
];

/** The contract code of a thrown error: its own `code`, or DigiCert's codes. */
function codeOf(error: unknown): string | undefined {
  const { code, errors } = error as { code?: unknown; errors?: { code: string }[] };
  if (typeof code === 'string') return code;
  return Array.isArray(errors) ? errors.map((e) => e.code).join(',') : undefined;
}

function title(c: FaultCase): string {
  const outcome = c.status === 204 ? 'succeeds' : `answers ${c.status} ${c.code} (${c.errorType})`;
  return `when ${c.fault}, ${outcome} after ${c.attempts} DigiCert call${c.attempts === 1 ? '' : 's'}, before the deadline`;
}

let h: Harness;
let db: Dynalite;
let dynamo: DynamoFaultProxy;
let refusedStateEndpoint = '';

beforeAll(async () => {
  h = await startHarness();
  refusedBaseUrl = `http://127.0.0.1:${await closedPort()}/services/v2`;
  db = await startDynaliteForSdk();
  dynamo = await startDynamoFaultProxy(db.endpoint);
  refusedStateEndpoint = `http://127.0.0.1:${await closedPort()}`;
});

afterAll(async () => {
  await Promise.all([h.close(), dynamo.close()]);
  await db.close();
});

beforeEach(() => {
  h.reset();
  h.simulator.setValidKeys([CANARY_KEY]);
  h.secrets.setSecret(SECRET_NAME, CANARY_KEY);
});

describe.each(['HTTP API', 'direct invocation'] as const)('fault matrix through %s', (entry) => {
  it.each(CASES.map((c) => [title(c), c] as const))('%s', async (_title, c) => {
    const sleeps: number[] = [];
    const env = typeof c.env === 'function' ? c.env() : c.env;
    const handler = h.handler(c.state ? { ...env, STATE_TABLE_NAME: db.tableName } : env, {
      sleep: (ms) => {
        sleeps.push(ms);
        return Promise.resolve();
      },
      ...(c.secretsManager ? { secretsManager: c.secretsManager } : {}),
      ...(c.state
        ? {
            stateTableEndpoint: c.state.refused ? refusedStateEndpoint : dynamo.endpoint,
            ...(c.state.bounds ? { stateTable: c.state.bounds } : {}),
          }
        : {}),
    });
    dynamo.script(c.state?.faults ?? [], { always: c.state?.always ?? false });
    const headers: Record<string, string> = c.state ? { 'idempotency-key': randomUUID() } : {};
    const invoke = (context: Context) =>
      entry === 'HTTP API'
        ? handler(httpV2Event({ orderId: String(ORDER), body: JSON.stringify(BODY), headers }), context)
        : handler({ order_id: ORDER, ...BODY }, context);
    await c.arrange?.(h, async () => {
      await invoke(fakeContext());
      h.simulator.requests.length = 0;
      h.secrets.calls.length = 0;
    });
    const remainingMs = c.remainingMs ?? 10_000;

    const startedAt = Date.now();
    const context = fakeContext(remainingMs);
    let result: unknown;
    let error: unknown;
    try {
      result = await invoke(context);
    } catch (thrown) {
      error = thrown;
    }
    const finishedAt = Date.now();

    if (entry === 'HTTP API') {
      expect(error).toBeUndefined();
      const response = result as HttpResponse;
      expect(response.statusCode).toBe(c.status);
      if (c.code) expect(JSON.parse(response.body).errors[0].code).toBe(c.code);
      expect(response.headers['retry-after']).toBe(c.retryAfter);
    } else if (c.status === 204) {
      expect(error).toBeUndefined();
      expect(result).toEqual({ order_id: ORDER, status: 'sent' });
    } else {
      expect(error).toMatchObject({ name: c.errorType });
      expect(codeOf(error)).toBe(c.code);
      if (error instanceof UpstreamError) expect(error.attempts).toBe(c.attempts);
    }
    const calls = h.simulator.requestsFor(ORDER);
    expect(calls).toHaveLength(c.recorded ?? c.attempts);
    expect(h.secrets.calls).toHaveLength(c.secretReads ?? 1);
    // The deadline is a correctness bound: everything happened before the context's deadline.
    const deadline = startedAt + remainingMs;
    expect(finishedAt).toBeLessThan(deadline);
    for (const call of calls) expect(call.receivedAt).toBeLessThan(deadline);
    if (c.delays) {
      expect(sleeps).toEqual(c.delays);
    } else {
      sleeps.forEach((ms, i) => {
        expect(ms).toBeLessThanOrEqual(
          Math.min(DEFAULT_RETRY_POLICY.maxDelayMs, DEFAULT_RETRY_POLICY.baseDelayMs * 2 ** i),
        );
      });
    }
    const output = [
      ...h.logs,
      JSON.stringify(result ?? null),
      error instanceof Error ? `${error.message} ${JSON.stringify({ ...error })}` : '',
    ];
    for (const line of output) {
      expect(line).not.toContain(CANARY_KEY);
      expect(line).not.toContain(ROTATED_KEY);
    }
  });
});

describe('secret errors name the secret, never its value', () => {
  it.each([
    ['the secret does not exist', (x: Harness) => x.secrets.deleteSecret(SECRET_NAME)],
    ['reading the secret is denied', (x: Harness) => x.secrets.failNext('AccessDeniedException')],
    ['the secret is empty', (x: Harness) => x.secrets.setSecret(SECRET_NAME, '')],
    [
      'the secret is malformed JSON',
      (x: Harness) => x.secrets.setSecret(SECRET_NAME, `{"api_key":"${CANARY_KEY}"`),
    ],
    [
      'the secret is JSON without api_key',
      (x: Harness) => x.secrets.setSecret(SECRET_NAME, `{"key":"${CANARY_KEY}"}`),
    ],
    ['the secret holds spaces', (x: Harness) => x.secrets.setSecret(SECRET_NAME, `${CANARY_KEY} extra`)],
    ['the key is too short', (x: Harness) => x.secrets.setSecret(SECRET_NAME, CANARY_KEY.slice(0, 19))],
    ['the key holds a backslash', (x: Harness) => x.secrets.setSecret(SECRET_NAME, `${CANARY_KEY}\\`)],
    ['the key holds a quote', (x: Harness) => x.secrets.setSecret(SECRET_NAME, `'${CANARY_KEY}'`)],
  ])('throws a ConfigurationError naming the secret id when %s', async (_name, arrange) => {
    arrange(h);
    const handler = h.handler();

    const error = await handler({ order_id: ORDER }, fakeContext()).catch((e: unknown) => e);

    expect(error).toMatchObject({ name: 'ConfigurationError', code: 'secret_unavailable' });
    expect((error as Error).message).toContain(SECRET_NAME);
    expect((error as Error).message).not.toContain(CANARY_KEY);
    expect(h.simulator.requests).toHaveLength(0);
  });
});
