/**
 * The function's environment (CONTRACT §4), parsed once at cold start. Adapters receive the parsed
 * values; nothing below this file reads `process.env`.
 */
import { ConfigurationError } from './domain/errors.js';

export const DIGICERT_BASE_URLS = {
  us: 'https://www.digicert.com/services/v2',
  eu: 'https://certcentral.digicert.eu/services/v2',
} as const;

export interface Config {
  /** Secrets Manager ARN or name of the DigiCert API key. */
  readonly secretId: string;
  /** DigiCert Services API v2 base URL, without a trailing slash. */
  readonly digicertBaseUrl: string;
  /** Time allowed for one DigiCert attempt, headers and body. */
  readonly digicertTimeoutMs: number;
  /** How long a fetched API key is reused before Secrets Manager is asked again. */
  readonly secretCacheTtlMs: number;
  /** The budget of all containers together (docs/contract.md §4 and §7: 90 per 5 s, 900 per 3 min). */
  readonly rateLimits: readonly RateLimit[];
  /** Upper bound on DigiCert attempts for one order (the first included). */
  readonly maxAttempts: number;
  /**
   * The most containers that can run at once (set by the stack from the reserved concurrency): while
   * the state table cannot be reached, each container keeps to the budget divided by this. Unset:
   * no DigiCert request is sent while the table cannot be reached.
   */
  readonly rateLimitShareDivisor: number | undefined;
  /** The state table (CONTRACT §4); `undefined` turns idempotency and the shared budget off. */
  readonly stateTableName: string | undefined;
  /** How long a delivery's outcomes are remembered (`IDEMPOTENCY_TTL_SECONDS`). */
  readonly idempotencyTtlSeconds: number;
}

export interface RateLimit {
  readonly limit: number;
  readonly windowMs: number;
}

export type Env = Readonly<Record<string, string | undefined>>;

const SECRET_ID =
  /^(arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+|[A-Za-z0-9/_+=.@-]{1,512})$/;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

function invalid(variable: string, rule: string): ConfigurationError {
  return new ConfigurationError('invalid_configuration', `${variable} ${rule}`);
}

function integer(env: Env, variable: string, fallback: number, min: number, max: number): number {
  const raw = env[variable];
  if (raw === undefined || raw === '') return fallback;
  if (!/^[0-9]+$/.test(raw))
    throw invalid(variable, `must be a whole number from ${min} to ${max}, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max)
    throw invalid(variable, `must be a whole number from ${min} to ${max}, got ${raw}`);
  return value;
}

/**
 * docs/contract.md §4: the budget of all containers together, DigiCert's 100 per 5 s and 1000 per
 * 3 min less headroom for other tools using the same key.
 */
export const DEFAULT_RATE_LIMIT_PER_5S = 90;
export const DEFAULT_RATE_LIMIT_PER_3MIN = 900;

function optionalInteger(env: Env, variable: string, min: number, max: number): number | undefined {
  const raw = env[variable];
  return raw === undefined || raw === '' ? undefined : integer(env, variable, min, min, max);
}

/**
 * The DigiCert base URL: `us` (default), `eu`, or a full URL. HTTPS is required except on
 * loopback, where the local simulator listens.
 */
export function parseBaseUrl(raw: string | undefined, variable = 'DIGICERT_BASE_URL'): string {
  if (raw === undefined || raw === '') return DIGICERT_BASE_URLS.us;
  const alias = DIGICERT_BASE_URLS[raw.toLowerCase() as keyof typeof DIGICERT_BASE_URLS];
  if (alias) return alias;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid(variable, `must be "us", "eu" or a URL such as ${DIGICERT_BASE_URLS.us}, got "${raw}"`);
  }
  const loopback = LOOPBACK_HOSTS.has(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw invalid(variable, 'must use https:// (plain http:// is allowed only for 127.0.0.1 or localhost)');
  }
  if (url.search || url.hash || url.username || url.password) {
    throw invalid(variable, 'must not contain credentials, a query or a fragment');
  }
  return url.href.replace(/\/+$/, '');
}

/** Parses the environment, throwing a `ConfigurationError` that names the first bad variable. */
export function loadConfig(env: Env): Config {
  const secretId = env.DIGICERT_API_KEY_SECRET_ID;
  if (secretId === undefined || secretId.trim() === '') {
    throw new ConfigurationError(
      'secret_unavailable',
      'DIGICERT_API_KEY_SECRET_ID is required: set it to the ARN or name of the Secrets Manager secret holding the DigiCert API key',
    );
  }
  if (!SECRET_ID.test(secretId)) {
    throw invalid('DIGICERT_API_KEY_SECRET_ID', 'must be a Secrets Manager secret ARN or name');
  }
  return {
    secretId,
    digicertBaseUrl: parseBaseUrl(env.DIGICERT_BASE_URL),
    digicertTimeoutMs: integer(env, 'DIGICERT_TIMEOUT_MS', 10_000, 1, 900_000),
    secretCacheTtlMs: integer(env, 'SECRET_CACHE_TTL_SECONDS', 300, 0, 86_400) * 1000,
    rateLimits: [
      {
        limit: integer(env, 'DIGICERT_RATE_LIMIT_PER_5S', DEFAULT_RATE_LIMIT_PER_5S, 1, 1_000_000),
        windowMs: 5_000,
      },
      {
        limit: integer(env, 'DIGICERT_RATE_LIMIT_PER_3MIN', DEFAULT_RATE_LIMIT_PER_3MIN, 1, 1_000_000),
        windowMs: 180_000,
      },
    ],
    maxAttempts: integer(env, 'DIGICERT_MAX_ATTEMPTS', 4, 1, 10),
    rateLimitShareDivisor: optionalInteger(env, 'DIGICERT_RATE_LIMIT_SHARE_DIVISOR', 1, 10_000),
    stateTableName: parseStateTableName(env.STATE_TABLE_NAME),
    idempotencyTtlSeconds: integer(
      env,
      'IDEMPOTENCY_TTL_SECONDS',
      DEFAULT_IDEMPOTENCY_TTL_SECONDS,
      MIN_IDEMPOTENCY_TTL_SECONDS,
      MAX_IDEMPOTENCY_TTL_SECONDS,
    ),
  };
}

/** docs/contract.md §4: a delivery is remembered for a day unless configured otherwise. */
export const DEFAULT_IDEMPOTENCY_TTL_SECONDS = 86_400;
/** Lambda retries an async event for up to 6 h: a shorter memory would let a late retry send again. */
export const MIN_IDEMPOTENCY_TTL_SECONDS = 6 * 3_600;
/** A year: beyond that a "repeat" is a new request whatever its key. */
export const MAX_IDEMPOTENCY_TTL_SECONDS = 365 * 86_400;

// DynamoDB's rule for table names, or a table ARN (the SDK accepts either as TableName).
const TABLE_NAME =
  /^([A-Za-z0-9_.-]{3,255}|arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:\d{12}:table\/[A-Za-z0-9_.-]{3,255})$/;

/** `STATE_TABLE_NAME`: unset or empty means "no state table" (local runs), anything else must be a table name or ARN. */
function parseStateTableName(raw: string | undefined): string | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  if (!TABLE_NAME.test(raw)) {
    throw invalid(
      'STATE_TABLE_NAME',
      'must be a DynamoDB table name (3 to 255 of A-Z a-z 0-9 _ . -) or a table ARN',
    );
  }
  return raw;
}
