/**
 * The function's environment (docs/contract.md §4), parsed once at cold start. Adapters receive the
 * parsed values; nothing below this file reads `process.env`. The names, defaults and bounds are in
 * `contract.ts`, which the stack shares.
 */

import { ConfigurationError } from '../lib/errors.js';
import { type LogLevel, resolveLogLevel } from '../observability/logger.js';
import {
  DIGICERT_BASE_URLS,
  ENV,
  type EnvVar,
  FUNCTION_DEFAULTS,
  FUNCTION_LIMITS,
  RATE_LIMIT_WINDOWS_MS,
} from './contract.js';

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
  /** The state table (docs/contract.md §4); `undefined` turns idempotency and the shared budget off. */
  readonly stateTableName: string | undefined;
  /** How long a delivery's outcomes are remembered (`IDEMPOTENCY_TTL_SECONDS`). */
  readonly idempotencyTtlSeconds: number;
  /** `LOG_LEVEL`, bounded by Lambda's own application log level. */
  readonly logLevel: LogLevel;
  /**
   * Where queue consumers record refused and invalid orders (docs/contract.md §8); unset outside
   * the stack, where the function then cannot consume SQS events.
   */
  readonly failureQueueUrl: string | undefined;
}

export interface RateLimit {
  readonly limit: number;
  readonly windowMs: number;
}

export type Env = Readonly<Record<string, string | undefined>>;

const SECRET_ID =
  /^(arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+|[A-Za-z0-9/_+=.@-]{1,512})$/;

function invalid(variable: string, rule: string): ConfigurationError {
  return new ConfigurationError('invalid_configuration', `${variable} ${rule}`);
}

function integer(
  env: Env,
  variable: EnvVar,
  fallback: number,
  [min, max]: readonly [number, number],
): number {
  const raw = env[variable];
  if (raw === undefined || raw === '') return fallback;
  // The value is not repeated: a variable set by mistake may hold a secret (docs/contract.md §9).
  const rule = `must be a whole number from ${min} to ${max}`;
  if (!/^[0-9]+$/.test(raw)) throw invalid(variable, rule);
  const value = Number(raw);
  if (value < min || value > max) throw invalid(variable, rule);
  return value;
}

export interface BaseUrlOptions {
  /**
   * Whether plain `http://` to a loopback address (a local simulator) is allowed: only outside
   * Lambda, where nothing but this machine can listen there. @default false
   */
  readonly allowLoopbackHttp?: boolean;
}

/** An integer variable that may be unset (`undefined` then). */
function optionalInteger(
  env: Env,
  variable: EnvVar,
  [min, max]: readonly [number, number],
): number | undefined {
  const raw = env[variable];
  return raw === undefined || raw === '' ? undefined : integer(env, variable, min, [min, max]);
}

/**
 * The DigiCert base URL: `us` (default), `eu`, or one of DigiCert's two URLs (a trailing slash
 * allowed). The API key is sent to it, so nothing else is accepted (docs/contract.md §4), except
 * plain http to a loopback address when `allowLoopbackHttp` is set. Errors name `variable` and
 * never repeat the value (a URL can carry credentials).
 */
export function parseBaseUrl(
  raw: string | undefined,
  variable: string = ENV.DIGICERT_BASE_URL,
  options: BaseUrlOptions = {},
): string {
  if (raw === undefined || raw === '') return FUNCTION_DEFAULTS.digicertBaseUrl;
  const alias = DIGICERT_BASE_URLS[raw.toLowerCase() as keyof typeof DIGICERT_BASE_URLS];
  if (alias) return alias;
  const rule = `must be "us", "eu" or a URL of DigiCert's API, ${DIGICERT_BASE_URLS.us} (US) or ${DIGICERT_BASE_URLS.eu} (EU): the API key is sent there`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid(variable, rule);
  }
  if (url.search || url.hash || url.username || url.password) {
    throw invalid(variable, 'must not contain credentials, a query or a fragment');
  }
  const href = `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
  const official = Object.values(DIGICERT_BASE_URLS).find((known) => known === href);
  if (official) return official;
  if (url.protocol === 'http:' && isLoopback(url.hostname)) {
    if (options.allowLoopbackHttp) return href;
    throw invalid(variable, `${rule} (plain http:// to a loopback simulator is allowed only outside Lambda)`);
  }
  throw invalid(variable, rule);
}

/** 127.0.0.0/8, ::1 or localhost, as the WHATWG URL parser normalises host names. */
function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(hostname);
}

/** Parses the environment, throwing a `ConfigurationError` that names the first bad variable. */
export function loadConfig(env: Env): Config {
  const secretId = env[ENV.DIGICERT_API_KEY_SECRET_ID];
  if (secretId === undefined || secretId.trim() === '') {
    throw new ConfigurationError(
      'secret_unavailable',
      `${ENV.DIGICERT_API_KEY_SECRET_ID} is required: set it to the ARN or name of the Secrets Manager secret holding the DigiCert API key`,
    );
  }
  if (!SECRET_ID.test(secretId)) {
    throw invalid(ENV.DIGICERT_API_KEY_SECRET_ID, 'must be a Secrets Manager secret ARN or name');
  }
  const d = FUNCTION_DEFAULTS;
  const bounds = FUNCTION_LIMITS;
  return {
    secretId,
    // Lambda sets AWS_LAMBDA_FUNCTION_NAME: there, the key goes to DigiCert and nowhere else.
    digicertBaseUrl: parseBaseUrl(env[ENV.DIGICERT_BASE_URL], ENV.DIGICERT_BASE_URL, {
      allowLoopbackHttp: !env[ENV.AWS_LAMBDA_FUNCTION_NAME],
    }),
    digicertTimeoutMs: integer(env, ENV.DIGICERT_TIMEOUT_MS, d.digicertTimeoutMs, bounds.digicertTimeoutMs),
    secretCacheTtlMs:
      integer(env, ENV.SECRET_CACHE_TTL_SECONDS, d.secretCacheTtlSeconds, bounds.secretCacheTtlSeconds) *
      1000,
    rateLimits: [
      {
        limit: integer(env, ENV.DIGICERT_RATE_LIMIT_PER_5S, d.rateLimitPer5s, bounds.rateLimit),
        windowMs: RATE_LIMIT_WINDOWS_MS.per5Seconds,
      },
      {
        limit: integer(env, ENV.DIGICERT_RATE_LIMIT_PER_3MIN, d.rateLimitPer3Min, bounds.rateLimit),
        windowMs: RATE_LIMIT_WINDOWS_MS.per3Minutes,
      },
    ],
    maxAttempts: integer(env, ENV.DIGICERT_MAX_ATTEMPTS, d.maxAttempts, bounds.maxAttempts),
    rateLimitShareDivisor: optionalInteger(
      env,
      ENV.DIGICERT_RATE_LIMIT_SHARE_DIVISOR,
      bounds.rateLimitShareDivisor,
    ),
    stateTableName: parseStateTableName(env[ENV.STATE_TABLE_NAME]),
    idempotencyTtlSeconds: integer(
      env,
      ENV.IDEMPOTENCY_TTL_SECONDS,
      d.idempotencyTtlSeconds,
      bounds.idempotencyTtlSeconds,
    ),
    logLevel: resolveLogLevel(env),
    failureQueueUrl: queueUrl(env, ENV.FAILURE_QUEUE_URL),
  };
}

// DynamoDB's rule for table names, or a table ARN (the SDK accepts either as TableName).
const TABLE_NAME =
  /^([A-Za-z0-9_.-]{3,255}|arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:\d{12}:table\/[A-Za-z0-9_.-]{3,255})$/;

/** `STATE_TABLE_NAME`: unset or empty means "no state table" (local runs), anything else must be a table name or ARN. */
function parseStateTableName(raw: string | undefined): string | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  if (!TABLE_NAME.test(raw)) {
    throw invalid(
      ENV.STATE_TABLE_NAME,
      'must be a DynamoDB table name (3 to 255 of A-Z a-z 0-9 _ . -) or a table ARN',
    );
  }
  return raw;
}

/** An SQS queue URL (`https://`, or `http://` for a local stand-in), or `undefined` when unset. */
export function queueUrl(env: Env, variable: EnvVar): string | undefined {
  const raw = env[variable]?.trim();
  if (raw === undefined || raw === '') return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid(variable, 'must be an SQS queue URL, https://sqs.<region>.amazonaws.com/<account>/<name>');
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password) {
    throw invalid(variable, 'must be an SQS queue URL, https://sqs.<region>.amazonaws.com/<account>/<name>');
  }
  return raw;
}
