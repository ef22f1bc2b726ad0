/**
 * One DigiCert call, as every use case makes it (the resend's PUT, the order reads of
 * docs/contract.md §10 and the sweep's list pages): the key, a slot of the rate budget for each
 * attempt, bounded retries with full jitter within the caller's deadline, and one key refresh after
 * a 401. Outcomes become the typed errors of `lib/errors.ts`; HTTP statuses are decided elsewhere.
 */
import { DEFAULT_RETRY_AFTER_SECONDS } from '../app/contract.js';
import { ConfigurationError, DigiCertRequestError, UpstreamError } from '../lib/errors.js';
import type {
  ApiKeyProvider,
  AttemptObserver,
  AttemptOptions,
  AttemptOutcome,
  FailedAttempt,
  RateLimiter,
  ReadOutcome,
} from './ports.js';

export interface RetryPolicy {
  /** DigiCert attempts for one call, the first included (a 401 key refresh adds one more). */
  readonly maxAttempts: number;
  /**
   * Of those, the most that may end in a timeout. DigiCert may have acted on a request it was too
   * slow to answer, so every repeat risks a duplicate email, and each one costs a whole attempt
   * timeout of the caller's time: a timed-out attempt is repeated once, not `maxAttempts` times.
   */
  readonly maxTimeoutAttempts: number;
  /** Full-jitter exponential backoff: a random delay in [0, min(cap, base * 2^(n-1))]. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 4,
  maxTimeoutAttempts: 2,
  baseDelayMs: 500,
  maxDelayMs: 8_000,
};

export interface DigiCertCallDependencies {
  readonly apiKeys: ApiKeyProvider;
  readonly limiter: RateLimiter;
  readonly retry: RetryPolicy;
  /** Upper bound on one attempt (DIGICERT_TIMEOUT_MS). */
  readonly attemptTimeoutMs: number;
  /** Observes every attempt: the shared budget's 429 pause, the invocation's metrics; must not throw. */
  readonly onAttempt?: AttemptObserver;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

/** What one call is about, and its single attempt. */
export interface DigiCertCall<O extends AttemptOutcome | ReadOutcome<unknown>> {
  /** The order the call is about, for observers; `0` for a call about no single order (a list page). */
  readonly orderId: number;
  /** How error messages name it. @default `order <orderId>` */
  readonly subject?: string;
  /** Epoch milliseconds by which the outcome must be known (the caller still has to be answered). */
  readonly deadline: number;
  /** One attempt; never throws for an HTTP status or a transport failure. */
  readonly attempt: (apiKey: string, options: AttemptOptions) => Promise<O>;
}

/** The successful outcome of a call: `sent` for a write, `found` with its body for a read. */
export type Succeeded<O> = Exclude<O, FailedAttempt>;

export interface CallResult<O> {
  readonly outcome: Succeeded<O>;
  /** How many times DigiCert was called. */
  readonly attempts: number;
}

/** Below this, an attempt cannot realistically complete: fail instead of starting it. */
const MIN_ATTEMPT_MS = 200;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Makes one call. Retries are written here rather than with undici's RetryAgent/RetryHandler
 * (undici 7), which does not fit: it replays the request with the same headers, so it cannot put a
 * re-read key into `X-DC-DEVKEY` after a 401; its backoff is `minTimeout * factor^n` without jitter;
 * it clamps a `Retry-After` to its `maxTimeout` (waiting less than DigiCert asked) instead of giving
 * the hint back to the caller when it does not fit before the deadline; it does not retry header or
 * body timeouts by default; and it hides the attempts, which metrics and the rate limiter (one slot
 * per DigiCert call) must see one by one.
 */
export async function callDigiCert<O extends AttemptOutcome | ReadOutcome<unknown>>(
  deps: DigiCertCallDependencies,
  call: DigiCertCall<O>,
): Promise<CallResult<O>> {
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? defaultSleep;
  const random = deps.random ?? Math.random;
  const { orderId, deadline } = call;
  const subject = call.subject ?? `order ${orderId}`;
  let attempts = 0;
  let retries = 0;
  let timeouts = 0;
  let keyRefreshed = false;

  for (;;) {
    if (deadline - now() < MIN_ATTEMPT_MS) {
      throw new UpstreamError('upstream_timeout', `No time left to call DigiCert for ${subject}`, {
        attempts,
      });
    }
    const apiKey =
      deps.apiKeys.cachedApiKey?.() ?? (await keyBefore(deps.apiKeys, deadline - MIN_ATTEMPT_MS, now));
    if (!(await deps.limiter.acquire(deadline - MIN_ATTEMPT_MS))) {
      throw new UpstreamError(
        'request_limit_exceeded',
        `DigiCert's request limit for this API key is used up and no slot frees before the deadline (${subject})`,
        { attempts, retryAfterSeconds: DEFAULT_RETRY_AFTER_SECONDS },
      );
    }
    const remaining = deadline - now();
    if (remaining < MIN_ATTEMPT_MS) {
      deps.limiter.release?.();
      throw new UpstreamError('upstream_timeout', `No time left to call DigiCert for ${subject}`, {
        attempts,
      });
    }
    attempts += 1;
    const started = now();
    let outcome: AttemptOutcome | ReadOutcome<unknown>;
    try {
      outcome = await call.attempt(apiKey, { timeoutMs: Math.min(deps.attemptTimeoutMs, remaining) });
    } finally {
      // DigiCert has seen this request by now, if it ever will: its rate-limit slot counts from here.
      deps.limiter.release?.();
    }
    deps.onAttempt?.({ orderId, attempt: attempts, outcome, durationMs: now() - started });

    switch (outcome.kind) {
      case 'sent':
      case 'found':
        return { outcome: outcome as Succeeded<O>, attempts };
      case 'rejected':
        throw new DigiCertRequestError(outcome.status, outcome.errors);
      case 'unauthorized':
        if (!keyRefreshed) {
          // The key may have been rotated since it was cached: read the secret again, once.
          keyRefreshed = true;
          deps.apiKeys.invalidate(apiKey);
          continue;
        }
        throw new ConfigurationError(
          'upstream_auth_failed',
          'DigiCert rejected the API key (HTTP 401) even after re-reading the secret: check the key in the secret, or whether it was revoked',
        );
      default: {
        const final = finalError(outcome, subject, attempts);
        retries += 1;
        if (outcome.kind === 'timeout') timeouts += 1;
        if (!isRetryable(outcome) || retries >= deps.retry.maxAttempts) throw final;
        if (timeouts >= deps.retry.maxTimeoutAttempts) throw final;
        const backoff =
          Math.min(deps.retry.maxDelayMs, deps.retry.baseDelayMs * 2 ** (retries - 1)) * random();
        const hinted = retryAfterOf(outcome);
        const delay = hinted === undefined ? backoff : hinted * 1000;
        if (now() + delay + MIN_ATTEMPT_MS > deadline) throw final;
        await sleep(delay);
      }
    }
  }
}

/**
 * The API key, or a `ConfigurationError` when the secret cannot be read before `deadline`. The SDK
 * bounds its own retries and request time; this bounds what the caller waits for, whatever the SDK
 * does (the read itself goes on and serves the next caller through the provider's single flight).
 */
async function keyBefore(apiKeys: ApiKeyProvider, deadline: number, now: () => number): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new ConfigurationError(
            'secret_unavailable',
            "The DigiCert API key secret could not be read before the invocation's deadline (Secrets Manager too slow)",
          ),
        ),
      Math.max(0, deadline - now()),
    );
  });
  try {
    return await Promise.race([apiKeys.getApiKey(), late]);
  } finally {
    clearTimeout(timer);
  }
}

function isRetryable(outcome: FailedAttempt): boolean {
  return (
    outcome.kind === 'rate_limited' ||
    outcome.kind === 'timeout' ||
    (outcome.kind === 'unavailable' && outcome.retryable)
  );
}

function retryAfterOf(outcome: FailedAttempt): number | undefined {
  return outcome.kind === 'rate_limited' || outcome.kind === 'unavailable'
    ? outcome.retryAfterSeconds
    : undefined;
}

function finalError(outcome: FailedAttempt, subject: string, attempts: number): UpstreamError {
  const tries = `after ${attempts} attempt${attempts === 1 ? '' : 's'}`;
  switch (outcome.kind) {
    case 'rate_limited':
      return new UpstreamError(
        'request_limit_exceeded',
        `DigiCert kept rate-limiting requests for ${subject} (HTTP 429) ${tries}`,
        { attempts, retryAfterSeconds: outcome.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS },
      );
    case 'timeout':
      return new UpstreamError(
        'upstream_timeout',
        `DigiCert did not answer in time for ${subject} ${tries}`,
        {
          attempts,
        },
      );
    case 'unavailable':
      return new UpstreamError('upstream_unavailable', `${outcome.detail} for ${subject} ${tries}`, {
        attempts,
        retryAfterSeconds: outcome.retryAfterSeconds,
      });
    default:
      return new UpstreamError('upstream_unavailable', `Unexpected DigiCert outcome for ${subject}`, {
        attempts,
      });
  }
}
