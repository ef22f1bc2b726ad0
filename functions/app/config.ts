/**
 * The function's environment (docs/contract.md §4, §9), parsed once at cold start by one zod/mini
 * schema. Adapters receive the parsed values; nothing below this file reads `process.env`. The
 * names, defaults and bounds are in `contract.ts`; the rules are here and exported, so that the
 * stack (`infra/stack-config.ts`), the CLI and the local server check a value as the function will.
 *
 * Every error is a `ConfigurationError` that names the variable and the rule, never the value: a
 * variable set by mistake may hold a secret (docs/contract.md §9).
 */
import { isIP } from 'node:net';
import {
  _default,
  type core,
  object,
  enum as oneOf,
  optional,
  type output,
  pipe,
  refine,
  regex,
  string,
  superRefine,
  transform,
  type ZodMiniType,
} from 'zod/mini';
import { ConfigurationError } from '../lib/errors.js';
import { type LogLevel, resolveLogLevel, toLevel } from '../observability/logger.js';
import {
  DCV_PRECHECK_MODES,
  type DcvPrecheckMode,
  DIGICERT_BASE_URLS,
  DNS_DCV_TXT_NAMES,
  type DnsDcvTxtName,
  ENV,
  FUNCTION_DEFAULTS,
  FUNCTION_LIMITS,
  LOG_LEVELS,
  RATE_LIMIT_WINDOWS_MS,
  SWEEP_POLICIES,
  type SweepPolicy,
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
  /** `SERVICE_NAME`, the metrics' `Service` dimension; `undefined` for the product's name. */
  readonly serviceName: string | undefined;
  /**
   * Where queue consumers record refused and invalid orders (docs/contract.md §8); unset outside
   * the stack, where the function then cannot consume SQS events.
   */
  readonly failureQueueUrl: string | undefined;
  /** `DCV_PRECHECK` and `DNS_SERVERS` (docs/contract.md §9). */
  readonly dcv: DcvConfig;
  /** The bulk queue (docs/contract.md §8): the sweep works through it; unset, a sweep runs in its invocation. */
  readonly ordersQueueUrl: string | undefined;
  /** `DCV_SWEEP_*` (docs/contract.md §11). */
  readonly sweep: SweepConfig;
  /** `DNS_DCV_*` (docs/contract.md §12). */
  readonly dnsDcv: DnsDcvConfig;
}

export interface SweepConfig {
  readonly policy: SweepPolicy;
  readonly resendAfterHours: number;
  readonly cooldownHours: number;
  /** Above 0, at most 1. */
  readonly budgetShare: number;
}

export interface DnsDcvConfig {
  /** The workflow's ARN; `undefined` outside the stack. */
  readonly stateMachineArn: string | undefined;
  /** Route 53 hosted zone ids (`Z...`, without `/hostedzone/`); empty: publish nothing. */
  readonly hostedZoneIds: readonly string[];
  readonly txtName: DnsDcvTxtName;
  /** A role to assume for zones in another account. */
  readonly roleArn: string | undefined;
  /** Route 53 requests per second, all containers together (`DNS_DCV_ROUTE53_RATE_PER_S`). */
  readonly route53RatePerSecond: number;
}

export interface RateLimit {
  readonly limit: number;
  readonly windowMs: number;
}

export interface DcvConfig {
  /** What the pre-check does on a resend. @default 'warn' */
  readonly precheck: DcvPrecheckMode;
  /** Resolvers as `Resolver.setServers` takes them; `undefined` for the system's. */
  readonly dnsServers: readonly string[] | undefined;
}

export type Env = Readonly<Record<string, string | undefined>>;

// ---------------------------------------------------------------------------------------------
// The rules, one per kind of value. Each message completes a sentence that starts with the
// variable's name ("DIGICERT_TIMEOUT_MS must be a whole number from 1 to 900000").

/** The variable's value; `undefined` when it is unset or empty (or, with `trim`, blank). */
function value({ trim }: { readonly trim: boolean }) {
  return pipe(
    optional(string()),
    transform((raw: string | undefined) =>
      raw === undefined || (trim ? raw.trim() : raw) === '' ? undefined : raw,
    ),
  );
}

/** A rule on a set value, with `fallback` when the variable is unset (or blank, with `trim`). */
function withDefault<S extends ZodMiniType<unknown, string>>(
  rule: S,
  fallback: Exclude<output<S>, undefined>,
  trim = false,
) {
  return pipe(value({ trim }), _default(rule, fallback));
}

/** A rule on a set value; `undefined` when the variable is unset (or blank, with `trim`). */
function unlessUnset<S extends ZodMiniType<unknown, string>>(rule: S, trim = false) {
  return pipe(value({ trim }), optional(rule));
}

/** A whole number in `[min, max]`, in decimal digits (no sign, no spaces). */
export function wholeNumber([min, max]: readonly [number, number]) {
  const error = `must be a whole number from ${min} to ${max}`;
  return pipe(
    string().check(
      refine((raw) => /^[0-9]+$/.test(raw) && Number(raw) >= min && Number(raw) <= max, { error }),
    ),
    transform(Number),
  );
}

/** Without it the key cannot be read: reported as `secret_unavailable` (docs/contract.md §2), not `invalid_configuration`. */
const SECRET_ID_REQUIRED =
  'is required: set it to the ARN or name of the Secrets Manager secret holding the DigiCert API key';
const SECRET_ID =
  /^(arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+|[A-Za-z0-9/_+=.@-]{1,512})$/;

/** `DIGICERT_API_KEY_SECRET_ID`: required, a Secrets Manager secret ARN or name (checked as given). */
const secretIdRule = pipe(
  value({ trim: true }),
  string({ error: SECRET_ID_REQUIRED }).check(
    regex(SECRET_ID, { error: 'must be a Secrets Manager secret ARN or name' }),
  ),
);

export interface BaseUrlOptions {
  /**
   * Whether plain `http://` to a loopback address (a local simulator) is allowed: only outside
   * Lambda, where nothing but this machine can listen there. @default false
   */
  readonly allowLoopbackHttp?: boolean;
}

const BASE_URL_RULE = `must be "us", "eu" or a URL of DigiCert's API, ${DIGICERT_BASE_URLS.us} (US) or ${DIGICERT_BASE_URLS.eu} (EU): the API key is sent there`;
const LOOPBACK_IN_LAMBDA = `${BASE_URL_RULE} (plain http:// to a loopback simulator is allowed only outside Lambda)`;

/** A set base URL, resolved: DigiCert's URL or a loopback one; or the rule it breaks. */
function resolveBaseUrl(raw: string, options: BaseUrlOptions): { url: string } | { problem: string } {
  const alias = DIGICERT_BASE_URLS[raw.toLowerCase() as keyof typeof DIGICERT_BASE_URLS];
  if (alias) return { url: alias };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { problem: BASE_URL_RULE };
  }
  if (url.search || url.hash || url.username || url.password) {
    return { problem: 'must not contain credentials, a query or a fragment' };
  }
  const href = `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
  const official = Object.values(DIGICERT_BASE_URLS).find((known) => known === href);
  if (official) return { url: official };
  if (url.protocol === 'http:' && isLoopback(url.hostname)) {
    return options.allowLoopbackHttp ? { url: href } : { problem: LOOPBACK_IN_LAMBDA };
  }
  return { problem: BASE_URL_RULE };
}

/** 127.0.0.0/8, ::1 or localhost, as the WHATWG URL parser normalises host names. */
function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(hostname);
}

/**
 * The DigiCert base URL as a rule: `us`, `eu`, or one of DigiCert's two URLs (a trailing slash
 * allowed). The API key is sent to it, so nothing else is accepted (docs/contract.md §4), except
 * plain http to a loopback address when `allowLoopbackHttp` is set.
 */
export function digicertBaseUrl(options: BaseUrlOptions = {}) {
  return pipe(
    string(),
    transform((raw: string, ctx) => {
      const resolved = resolveBaseUrl(raw, options);
      if ('url' in resolved) return resolved.url;
      ctx.issues.push({ code: 'custom', message: resolved.problem, input: raw });
      return raw;
    }),
  );
}

/**
 * The DigiCert base URL, resolved (unset: the US one); throws a `ConfigurationError` naming
 * `variable` that never repeats the value (a URL can carry credentials).
 */
export function parseBaseUrl(
  raw: string | undefined,
  variable: string = ENV.DIGICERT_BASE_URL,
  options: BaseUrlOptions = {},
): string {
  if (raw === undefined || raw === '') return FUNCTION_DEFAULTS.digicertBaseUrl;
  const resolved = resolveBaseUrl(raw, options);
  if ('problem' in resolved) throw invalid(variable, resolved.problem);
  return resolved.url;
}

// DynamoDB's rule for table names, or a table ARN (the SDK accepts either as TableName).
const TABLE_NAME =
  /^([A-Za-z0-9_.-]{3,255}|arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:\d{12}:table\/[A-Za-z0-9_.-]{3,255})$/;

/** `STATE_TABLE_NAME`: a DynamoDB table name or a table ARN. */
export const tableName = string().check(
  regex(TABLE_NAME, {
    error: 'must be a DynamoDB table name (3 to 255 of A-Z a-z 0-9 _ . -) or a table ARN',
  }),
);

/** An SQS queue URL: `https://`, or `http://` for a local stand-in; no credentials. */
export const queueUrl = pipe(
  string(),
  transform((raw: string) => raw.trim()),
).check(
  refine(
    (raw) => {
      try {
        const url = new URL(raw);
        return (url.protocol === 'https:' || url.protocol === 'http:') && !url.username && !url.password;
      } catch {
        return false;
      }
    },
    { error: 'must be an SQS queue URL, https://sqs.<region>.amazonaws.com/<account>/<name>' },
  ),
);

/** `LOG_LEVEL`: a level in any case (Lambda's `TRACE` and `FATAL` map to the nearest). */
export const logLevel = string().check(
  refine((raw) => toLevel(raw) !== undefined, {
    error: `must be one of ${LOG_LEVELS.join(', ')} (any case), or unset for ${FUNCTION_DEFAULTS.logLevel}`,
  }),
);

/** `DCV_PRECHECK`: `off`, `warn` or `enforce`, in any case. */
export const dcvPrecheck = pipe(
  transform((raw: string) => raw.trim().toLowerCase()),
  oneOf(DCV_PRECHECK_MODES, { error: `must be one of ${DCV_PRECHECK_MODES.join(', ')}` }),
);

const DNS_SERVER = /^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+)|([0-9a-fA-F:]+))(?::([0-9]{1,5}))?$/;

/** `host[:port]` with an IPv4 address or a bracketed IPv6 one (a bare IPv6 address has no port). */
function isDnsServer(server: string): boolean {
  const match = DNS_SERVER.exec(server);
  const host = match?.[1] ?? match?.[2] ?? match?.[3];
  const port = match?.[4] === undefined ? 53 : Number(match[4]);
  const bareV6WithPort = match?.[3] !== undefined && match[4] !== undefined;
  return host !== undefined && isIP(host) !== 0 && port >= 1 && port <= 65_535 && !bareV6WithPort;
}

/**
 * `DNS_SERVERS`: comma-separated `host[:port]`, where host is an IPv4 address or a bracketed IPv6
 * one (`[::1]:53`); a resolver is reached before any name can be, so names are not accepted.
 */
export const dnsServers = pipe(
  string(),
  transform((raw: string) => raw.split(',').map((s) => s.trim())),
).check(
  refine((servers) => servers.every(isDnsServer), {
    error:
      'must be comma-separated IP addresses with an optional port, such as 10.0.0.2 or 127.0.0.1:5353 or [::1]:53',
  }),
);

/** `DCV_SWEEP_POLICY`: `report`, `resend` or `migrate`, in any case. */
export const sweepPolicy = pipe(
  transform((raw: string) => raw.trim().toLowerCase()),
  oneOf(SWEEP_POLICIES, { error: `must be one of ${SWEEP_POLICIES.join(', ')}` }),
);

/** A decimal fraction in `[min, max]` (`0.5`, `1`); no sign, exponent or spaces. */
export function fraction([min, max]: readonly [number, number]) {
  const error = `must be a decimal number from ${min} to ${max}, such as 0.5`;
  return pipe(
    string().check(
      refine(
        (raw) => /^(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)$/.test(raw) && Number(raw) >= min && Number(raw) <= max,
        {
          error,
        },
      ),
    ),
    transform(Number),
  );
}

/** A Route 53 hosted zone id, as the console shows it (`Z0123456789ABCDEFGHIJ`) or as the API returns it (`/hostedzone/Z...`). */
const HOSTED_ZONE_ID = /^(?:\/hostedzone\/)?(Z[A-Z0-9]{1,32})$/;

/** `DNS_DCV_HOSTED_ZONE_IDS`: comma-separated hosted zone ids, each without its `/hostedzone/` prefix. */
export const hostedZoneIds = pipe(
  pipe(
    string(),
    transform((raw: string) =>
      raw
        .split(',')
        .map((id) => id.trim())
        .filter((id) => id !== ''),
    ),
  ).check(
    refine((ids) => ids.every((id) => HOSTED_ZONE_ID.test(id)), {
      error: 'must be comma-separated Route 53 hosted zone ids, such as Z0123456789ABCDEFGHIJ',
    }),
  ),
  transform((ids: string[]) => [...new Set(ids.map((id) => id.replace(/^\/hostedzone\//, '')))]),
);

/** `DNS_DCV_TXT_NAME`: `domain` or `_dnsauth`, in any case. */
export const dnsDcvTxtName = pipe(
  transform((raw: string) => raw.trim().toLowerCase()),
  oneOf(DNS_DCV_TXT_NAMES, { error: `must be one of ${DNS_DCV_TXT_NAMES.join(', ')}` }),
);

/** `DNS_DCV_STATE_MACHINE_ARN`: a Step Functions state machine ARN. */
export const stateMachineArn = string().check(
  regex(/^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$/, {
    error:
      'must be a Step Functions state machine ARN, arn:aws:states:<region>:<account>:stateMachine:<name>',
  }),
);

/** `DNS_DCV_ROLE_ARN`: an IAM role ARN. */
export const roleArn = string().check(
  regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[A-Za-z0-9+=,.@_/-]{1,512}$/, {
    error: 'must be an IAM role ARN, arn:aws:iam::<account>:role/<name>',
  }),
);

// ---------------------------------------------------------------------------------------------
// The schema: every variable the function reads, in the order their errors are reported.

const {
  digicertTimeoutMs,
  maxAttempts,
  secretCacheTtlSeconds,
  rateLimit,
  rateLimitShareDivisor,
  sweepResendAfterHours,
  sweepCooldownHours,
  sweepBudgetShare,
} = FUNCTION_LIMITS;
const d = FUNCTION_DEFAULTS;

/**
 * Each variable's rule, from its raw value (`undefined` when unset) to what the function uses.
 * `DIGICERT_BASE_URL`'s rule here accepts a loopback simulator; a deployment checks with
 * `digicertBaseUrl()`, which does not.
 */
export const FUNCTION_ENV_RULES = {
  [ENV.DIGICERT_API_KEY_SECRET_ID]: secretIdRule,
  // Loopback http is refused inside Lambda by the schema below, which knows where it runs.
  [ENV.DIGICERT_BASE_URL]: withDefault(digicertBaseUrl({ allowLoopbackHttp: true }), d.digicertBaseUrl),
  [ENV.DIGICERT_TIMEOUT_MS]: withDefault(wholeNumber(digicertTimeoutMs), d.digicertTimeoutMs),
  [ENV.SECRET_CACHE_TTL_SECONDS]: withDefault(wholeNumber(secretCacheTtlSeconds), d.secretCacheTtlSeconds),
  [ENV.DIGICERT_RATE_LIMIT_PER_5S]: withDefault(wholeNumber(rateLimit), d.rateLimitPer5s),
  [ENV.DIGICERT_RATE_LIMIT_PER_3MIN]: withDefault(wholeNumber(rateLimit), d.rateLimitPer3Min),
  [ENV.DIGICERT_MAX_ATTEMPTS]: withDefault(wholeNumber(maxAttempts), d.maxAttempts),
  [ENV.DIGICERT_RATE_LIMIT_SHARE_DIVISOR]: unlessUnset(wholeNumber(rateLimitShareDivisor)),
  [ENV.STATE_TABLE_NAME]: unlessUnset(tableName, true),
  [ENV.IDEMPOTENCY_TTL_SECONDS]: withDefault(
    wholeNumber(FUNCTION_LIMITS.idempotencyTtlSeconds),
    d.idempotencyTtlSeconds,
  ),
  [ENV.LOG_LEVEL]: unlessUnset(logLevel, true),
  [ENV.FAILURE_QUEUE_URL]: unlessUnset(queueUrl, true),
  [ENV.DCV_PRECHECK]: withDefault(dcvPrecheck, d.dcvPrecheck, true),
  [ENV.DNS_SERVERS]: unlessUnset(dnsServers, true),
  [ENV.ORDERS_QUEUE_URL]: unlessUnset(queueUrl, true),
  [ENV.DCV_SWEEP_POLICY]: withDefault(sweepPolicy, d.sweepPolicy, true),
  [ENV.DCV_SWEEP_RESEND_AFTER_HOURS]: withDefault(
    wholeNumber(sweepResendAfterHours),
    d.sweepResendAfterHours,
  ),
  [ENV.DCV_SWEEP_COOLDOWN_HOURS]: withDefault(wholeNumber(sweepCooldownHours), d.sweepCooldownHours),
  [ENV.DCV_SWEEP_BUDGET_SHARE]: withDefault(fraction(sweepBudgetShare), d.sweepBudgetShare),
  [ENV.DNS_DCV_STATE_MACHINE_ARN]: unlessUnset(stateMachineArn, true),
  [ENV.DNS_DCV_HOSTED_ZONE_IDS]: withDefault(hostedZoneIds, [], true),
  [ENV.DNS_DCV_TXT_NAME]: withDefault(dnsDcvTxtName, d.dnsDcvTxtName, true),
  [ENV.DNS_DCV_ROLE_ARN]: unlessUnset(roleArn, true),
  [ENV.DNS_DCV_ROUTE53_RATE_PER_S]: withDefault(
    wholeNumber(FUNCTION_LIMITS.route53RatePerSecond),
    d.dnsDcvRoute53RatePerSecond,
  ),
  [ENV.SERVICE_NAME]: optional(string()),
  // Set by Lambda: there, the key goes to DigiCert and nowhere else.
  [ENV.AWS_LAMBDA_FUNCTION_NAME]: unlessUnset(string()),
} as const;

export type FunctionEnvVar = keyof typeof FUNCTION_ENV_RULES;
const ORDER: readonly string[] = Object.keys(FUNCTION_ENV_RULES);

/** The whole environment: each variable's rule, and the rules between variables. */
export const FUNCTION_ENV_SCHEMA = object(FUNCTION_ENV_RULES).check(
  superRefine((env, ctx) => {
    const url = env[ENV.DIGICERT_BASE_URL];
    const official: readonly string[] = Object.values(DIGICERT_BASE_URLS);
    if (env[ENV.AWS_LAMBDA_FUNCTION_NAME] !== undefined && url !== undefined && !official.includes(url)) {
      ctx.issues.push({
        code: 'custom',
        message: LOOPBACK_IN_LAMBDA,
        path: [ENV.DIGICERT_BASE_URL],
        input: url,
      });
    }
  }),
);

/** The parsed environment, keyed by variable. */
export type FunctionEnv = output<typeof FUNCTION_ENV_SCHEMA>;

function invalid(variable: string, rule: string): ConfigurationError {
  return new ConfigurationError('invalid_configuration', `${variable} ${rule}`);
}

/** The issue of the variable that comes first in `FUNCTION_ENV_RULES`, as a `ConfigurationError`. */
function firstProblem(issues: readonly core.$ZodIssue[]): ConfigurationError {
  const rank = (issue: core.$ZodIssue) => ORDER.indexOf(String(issue.path[0]));
  const [first] = [...issues].sort((a, b) => rank(a) - rank(b));
  const variable = String(first?.path[0] ?? 'the environment');
  const missingSecret = first?.message === SECRET_ID_REQUIRED;
  return new ConfigurationError(
    missingSecret ? 'secret_unavailable' : 'invalid_configuration',
    `${variable} ${first?.message ?? 'is invalid'}`,
  );
}

/** Parses the environment, throwing a `ConfigurationError` that names the first bad variable. */
export function parseFunctionEnv(env: Env): FunctionEnv {
  const result = FUNCTION_ENV_SCHEMA.safeParse(env);
  if (!result.success) throw firstProblem(result.error.issues);
  return result.data;
}

/**
 * Checks one variable's value as the function will, for the stack and the CLI: the rule it breaks
 * (the error message without the variable's name), or `undefined` when the function accepts it.
 */
export function functionEnvProblem(variable: FunctionEnvVar, raw: string | undefined): string | undefined {
  const result = FUNCTION_ENV_RULES[variable].safeParse(raw);
  return result.success ? undefined : result.error.issues[0]?.message;
}

/** Parses the environment into the function's `Config`; throws a `ConfigurationError` naming the first bad variable. */
export function loadConfig(env: Env): Config {
  const e = parseFunctionEnv(env);
  return {
    secretId: e[ENV.DIGICERT_API_KEY_SECRET_ID],
    digicertBaseUrl: e[ENV.DIGICERT_BASE_URL],
    digicertTimeoutMs: e[ENV.DIGICERT_TIMEOUT_MS],
    secretCacheTtlMs: e[ENV.SECRET_CACHE_TTL_SECONDS] * 1000,
    rateLimits: [
      { limit: e[ENV.DIGICERT_RATE_LIMIT_PER_5S], windowMs: RATE_LIMIT_WINDOWS_MS.per5Seconds },
      { limit: e[ENV.DIGICERT_RATE_LIMIT_PER_3MIN], windowMs: RATE_LIMIT_WINDOWS_MS.per3Minutes },
    ],
    maxAttempts: e[ENV.DIGICERT_MAX_ATTEMPTS],
    rateLimitShareDivisor: e[ENV.DIGICERT_RATE_LIMIT_SHARE_DIVISOR],
    stateTableName: e[ENV.STATE_TABLE_NAME],
    idempotencyTtlSeconds: e[ENV.IDEMPOTENCY_TTL_SECONDS],
    // LOG_LEVEL is valid here; Lambda's own level bounds it.
    logLevel: resolveLogLevel(env),
    serviceName: e[ENV.SERVICE_NAME],
    failureQueueUrl: e[ENV.FAILURE_QUEUE_URL],
    dcv: { precheck: e[ENV.DCV_PRECHECK], dnsServers: e[ENV.DNS_SERVERS] },
    ordersQueueUrl: e[ENV.ORDERS_QUEUE_URL],
    sweep: {
      policy: e[ENV.DCV_SWEEP_POLICY],
      resendAfterHours: e[ENV.DCV_SWEEP_RESEND_AFTER_HOURS],
      cooldownHours: e[ENV.DCV_SWEEP_COOLDOWN_HOURS],
      budgetShare: e[ENV.DCV_SWEEP_BUDGET_SHARE],
    },
    dnsDcv: {
      stateMachineArn: e[ENV.DNS_DCV_STATE_MACHINE_ARN],
      hostedZoneIds: e[ENV.DNS_DCV_HOSTED_ZONE_IDS],
      txtName: e[ENV.DNS_DCV_TXT_NAME],
      roleArn: e[ENV.DNS_DCV_ROLE_ARN],
      route53RatePerSecond: e[ENV.DNS_DCV_ROUTE53_RATE_PER_S],
    },
  };
}

/** `DNS_SERVERS` as the pre-check uses it, for the CLI; throws a `ConfigurationError` naming it. */
export function parseDnsServers(raw: string | undefined): string[] | undefined {
  const result = FUNCTION_ENV_RULES[ENV.DNS_SERVERS].safeParse(raw);
  if (!result.success) throw invalid(ENV.DNS_SERVERS, result.error.issues[0]?.message ?? 'is invalid');
  return result.data;
}
