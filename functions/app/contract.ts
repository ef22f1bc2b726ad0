/**
 * The values that the function, the stack, the CLI and the tools must agree on, each written once
 * (docs/contract.md describes them for callers). Plain constants and types only: the Lambda bundle
 * and the CDK app both import this file, so it imports nothing and runs nothing.
 */

/** Maps each key to itself, so that a name is written once and a typo is a compile error. */
type SelfNamed<T> = { readonly [K in keyof T]: K };

/** The product's name: the user-agent prefix, the CLI, the default metrics `Service` dimension. */
export const PRODUCT_NAME = 'dcv-resend';

/** The release; `test/app/contract.test.ts` keeps it equal to package.json's `version`. */
export const VERSION = '0.1.0';

/** Sent to DigiCert with every request, so DigiCert's logs can tell this product's calls apart. */
export const USER_AGENT = `${PRODUCT_NAME}/${VERSION}`;

/** DigiCert's endpoint this product calls, relative to the base URL (docs/contract.md, introduction). */
export const DIGICERT_RESEND_ROUTE = {
  method: 'PUT',
  /** `{order_id}` is the path parameter, in API Gateway's notation. */
  path: '/order/certificate/{order_id}/resend-emails',
} as const;

/**
 * The HTTP route (docs/contract.md §2): DigiCert's own method and path, so that a caller switches
 * from DigiCert to this product by changing the base URL.
 */
export const RESEND_ROUTE = DIGICERT_RESEND_ROUTE;

/** The read-only DCV address route (docs/contract.md §9), mirroring DigiCert's domain-level path. */
export const DCV_EMAILS_ROUTE = { method: 'GET', path: '/domain/{domain}/dcv/emails' } as const;

/** An order's DCV status (docs/contract.md §10), beside DigiCert's order path. */
export const DCV_STATUS_ROUTE = { method: 'GET', path: '/order/certificate/{order_id}/dcv' } as const;

/** Moving an order to DNS DCV (docs/contract.md §12). */
export const DNS_DCV_ROUTE = { method: 'POST', path: '/order/certificate/{order_id}/dcv/dns' } as const;

/** Its API Gateway route key, `POST /order/certificate/{order_id}/dcv/dns`. */
export const DNS_DCV_ROUTE_KEY = `${DNS_DCV_ROUTE.method} ${DNS_DCV_ROUTE.path}` as const;

/**
 * The DNS-DCV workflow's tasks (docs/contract.md §12): Step Functions invokes the function with
 * `{"dns_dcv_task": <task>, "state": {...}}` (and `"error"` on the way to a cleanup after a failure).
 */
export const DNS_DCV_TASKS = ['publish', 'change-status', 'check', 'cleanup'] as const;
export type DnsDcvTask = (typeof DNS_DCV_TASKS)[number];

/** The DNS-DCV workflow's metrics (docs/contract.md §12), in `METRICS.namespace`. */
export const DNS_DCV_METRICS = {
  started: 'DnsDcvStarted',
  validated: 'DnsDcvValidated',
  /** Written with the dimension sets [Service] and [Service, Reason]. */
  failed: 'DnsDcvFailed',
  reasonDimension: 'Reason',
  /** Seconds from the workflow's start to DigiCert's `valid`. */
  timeToValidation: 'DnsDcvTimeToValidationSeconds',
} as const;

/**
 * The `name` (Lambda `errorType`) of each DNS-DCV task failure that is not one of `ERROR_TYPES`:
 * the workflow does not retry them (docs/contract.md §12), it cleans up and fails.
 */
export const DNS_DCV_ERROR_TYPES = {
  /** A CNAME (or a record with a routing policy) is where our record would go: never overwritten. */
  recordConflict: 'DnsRecordConflict',
  /** Route 53 refused the change batch every time (the set kept changing under us). */
  changeRefused: 'DnsChangeRefused',
  /** Route 53 did not report `INSYNC` within the polls allowed. */
  changeNotInSync: 'DnsChangeNotInSync',
} as const;

/** Its API Gateway route key, `GET /order/certificate/{order_id}/dcv`. */
export const DCV_STATUS_ROUTE_KEY = `${DCV_STATUS_ROUTE.method} ${DCV_STATUS_ROUTE.path}` as const;

/** The direct payload's `action` values (docs/contract.md §10). */
export const DIRECT_ACTIONS = ['dcv-status', 'sweep', 'dns-dcv'] as const;
export type DirectAction = (typeof DIRECT_ACTIONS)[number];

/** Its API Gateway route key, `GET /domain/{domain}/dcv/emails`. */
export const DCV_EMAILS_ROUTE_KEY = `${DCV_EMAILS_ROUTE.method} ${DCV_EMAILS_ROUTE.path}` as const;

/** The API Gateway route key, `PUT /order/certificate/{order_id}/resend-emails`. */
export const RESEND_ROUTE_KEY = `${RESEND_ROUTE.method} ${RESEND_ROUTE.path}` as const;

/** The route's path for one order id (no encoding: an order id is digits). */
export function resendPath(orderId: number | string): string {
  return RESEND_ROUTE.path.replace('{order_id}', String(orderId));
}

/** DigiCert's two Services API v2 base URLs (docs/contract.md §4); `us` is the default. */
export const DIGICERT_BASE_URLS = {
  us: 'https://www.digicert.com/services/v2',
  eu: 'https://certcentral.digicert.eu/services/v2',
} as const;

const envNames = {
  // The function's own settings (docs/contract.md §4).
  DIGICERT_API_KEY_SECRET_ID: 'DIGICERT_API_KEY_SECRET_ID',
  DIGICERT_BASE_URL: 'DIGICERT_BASE_URL',
  DIGICERT_TIMEOUT_MS: 'DIGICERT_TIMEOUT_MS',
  DIGICERT_MAX_ATTEMPTS: 'DIGICERT_MAX_ATTEMPTS',
  DIGICERT_RATE_LIMIT_PER_5S: 'DIGICERT_RATE_LIMIT_PER_5S',
  DIGICERT_RATE_LIMIT_PER_3MIN: 'DIGICERT_RATE_LIMIT_PER_3MIN',
  SECRET_CACHE_TTL_SECONDS: 'SECRET_CACHE_TTL_SECONDS',
  LOG_LEVEL: 'LOG_LEVEL',
  SERVICE_NAME: 'SERVICE_NAME',
  // Shared state, the queue and the pre-check (docs/contract.md §4, §6 to §9; named ahead of them).
  STATE_TABLE_NAME: 'STATE_TABLE_NAME',
  DIGICERT_RATE_LIMIT_SHARE_DIVISOR: 'DIGICERT_RATE_LIMIT_SHARE_DIVISOR',
  IDEMPOTENCY_TTL_SECONDS: 'IDEMPOTENCY_TTL_SECONDS',
  ORDERS_QUEUE_URL: 'ORDERS_QUEUE_URL',
  FAILURE_QUEUE_URL: 'FAILURE_QUEUE_URL',
  DCV_PRECHECK: 'DCV_PRECHECK',
  DNS_SERVERS: 'DNS_SERVERS',
  // The pending-DCV sweep (docs/contract.md §11).
  DCV_SWEEP_POLICY: 'DCV_SWEEP_POLICY',
  DCV_SWEEP_RESEND_AFTER_HOURS: 'DCV_SWEEP_RESEND_AFTER_HOURS',
  DCV_SWEEP_COOLDOWN_HOURS: 'DCV_SWEEP_COOLDOWN_HOURS',
  DCV_SWEEP_BUDGET_SHARE: 'DCV_SWEEP_BUDGET_SHARE',
  // DNS DCV through Route 53 (docs/contract.md §12).
  DNS_DCV_STATE_MACHINE_ARN: 'DNS_DCV_STATE_MACHINE_ARN',
  DNS_DCV_HOSTED_ZONE_IDS: 'DNS_DCV_HOSTED_ZONE_IDS',
  DNS_DCV_TXT_NAME: 'DNS_DCV_TXT_NAME',
  /** The role to assume for hosted zones in another account (stack setting `dnsDcvRoleArn`). */
  DNS_DCV_ROLE_ARN: 'DNS_DCV_ROLE_ARN',
  /** Route 53 requests per second, all containers together (Route 53 allows 5 per account). */
  DNS_DCV_ROUTE53_RATE_PER_S: 'DNS_DCV_ROUTE53_RATE_PER_S',
  // Set by Lambda or read by the AWS SDK itself; the function reads them, never sets them.
  AWS_REGION: 'AWS_REGION',
  AWS_ENDPOINT_URL: 'AWS_ENDPOINT_URL',
  AWS_ENDPOINT_URL_SECRETS_MANAGER: 'AWS_ENDPOINT_URL_SECRETS_MANAGER',
  AWS_ENDPOINT_URL_ROUTE_53: 'AWS_ENDPOINT_URL_ROUTE_53',
  AWS_ENDPOINT_URL_SFN: 'AWS_ENDPOINT_URL_SFN',
  AWS_LAMBDA_FUNCTION_NAME: 'AWS_LAMBDA_FUNCTION_NAME',
  AWS_LAMBDA_LOG_FORMAT: 'AWS_LAMBDA_LOG_FORMAT',
  AWS_LAMBDA_LOG_LEVEL: 'AWS_LAMBDA_LOG_LEVEL',
  // Read by glibc's malloc in the runtime process, not by the function; the stack sets it
  // (`DEPLOYED_RUNTIME_ENV`, docs/deploy.md).
  MALLOC_ARENA_MAX: 'MALLOC_ARENA_MAX',
  // Read by Node.js itself. The stack leaves it unset: `--enable-source-maps` reads the source map
  // at every cold start (docs/performance.md, "Cold start profile"); set it by hand to read a
  // crash's stack trace.
  NODE_OPTIONS: 'NODE_OPTIONS',
} as const;

/** Every environment variable the function reads or the stack sets: `env[ENV.LOG_LEVEL]`. */
export const ENV: SelfNamed<typeof envNames> = envNames;

export type EnvVar = keyof typeof ENV;

/** `LOG_LEVEL` values, most verbose first. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** `DCV_PRECHECK` values (docs/contract.md §9). */
export const DCV_PRECHECK_MODES = ['off', 'warn', 'enforce'] as const;
export type DcvPrecheckMode = (typeof DCV_PRECHECK_MODES)[number];

/** `DCV_SWEEP_POLICY` values (docs/contract.md §11), the least acting first. */
export const SWEEP_POLICIES = ['report', 'resend', 'migrate'] as const;
export type SweepPolicy = (typeof SWEEP_POLICIES)[number];

/** `DNS_DCV_TXT_NAME` values (docs/contract.md §12): the name itself, or `_dnsauth.<name>`. */
export const DNS_DCV_TXT_NAMES = ['domain', '_dnsauth'] as const;
export type DnsDcvTxtName = (typeof DNS_DCV_TXT_NAMES)[number];

/** DigiCert's DNS DCV methods (docs/contract.md §12); TXT is the default. */
export const DNS_DCV_METHODS = ['dns-txt-token', 'dns-cname-token'] as const;
export type DnsDcvMethod = (typeof DNS_DCV_METHODS)[number];

/** What DigiCert and the Baseline Requirements fix about a pending order (docs/contract.md §11). */
export const DCV_CLOCK = {
  /** DigiCert re-checks a pending order by itself for ten days, then stops. */
  recheckWindowHours: 240,
  /** Random values are valid for at most 30 days; "expiring soon" is within this many days. */
  randomValueExpiringSoonDays: 7,
} as const;

/** DigiCert's documented request limits per API key (rolling windows). */
export const DIGICERT_RATE_LIMITS = { per5Seconds: 100, per3Minutes: 1000 } as const;

/** The rolling windows DigiCert counts in. */
export const RATE_LIMIT_WINDOWS_MS = { per5Seconds: 5_000, per3Minutes: 180_000 } as const;

/** What the function assumes when a variable is unset (docs/contract.md §4). */
export const FUNCTION_DEFAULTS = {
  digicertBaseUrl: DIGICERT_BASE_URLS.us,
  digicertTimeoutMs: 10_000,
  /** DigiCert attempts for one order, the first included. */
  maxAttempts: 4,
  secretCacheTtlSeconds: 300,
  /**
   * The budget of all containers together (docs/contract.md §4, §7): DigiCert's 100 per 5 s and
   * 1000 per 3 min less headroom for other tools using the same key.
   */
  rateLimitPer5s: 90,
  rateLimitPer3Min: 900,
  logLevel: 'info',
  serviceName: PRODUCT_NAME,
  idempotencyTtlSeconds: 86_400,
  dcvPrecheck: 'warn',
  sweepPolicy: 'report',
  /** A pending email-DCV order is resent by the sweep once it has waited this long. */
  sweepResendAfterHours: 24,
  /** The sweep acts on one order at most once per this many hours, whichever sweep it is. */
  sweepCooldownHours: 72,
  /** The most of the rate budget a sweep may hold: callers always have the rest. */
  sweepBudgetShare: 0.5,
  dnsDcvTxtName: 'domain',
  /** Route 53's own limit: about 5 API requests per second per account (less when other tools share it). */
  dnsDcvRoute53RatePerSecond: 5,
} as const satisfies {
  readonly [setting: string]: unknown;
  readonly logLevel: LogLevel;
  readonly dcvPrecheck: DcvPrecheckMode;
  readonly sweepPolicy: SweepPolicy;
  readonly dnsDcvTxtName: DnsDcvTxtName;
};

/** The bounds each numeric variable is checked against: `[min, max]`. */
export const FUNCTION_LIMITS = {
  digicertTimeoutMs: [1, 900_000],
  maxAttempts: [1, 10],
  secretCacheTtlSeconds: [0, 86_400],
  rateLimit: [1, 1_000_000],
  /**
   * How long a delivery is remembered. Under Lambda's 6 h async retry window a late retry can send
   * again (the stack keeps the default, a day); a year at most.
   */
  idempotencyTtlSeconds: [1, 365 * 86_400],
  /** The most containers the stack lets run: the fallback share of the budget is 1/divisor. */
  rateLimitShareDivisor: [1, 10_000],
  /** Hours, whole: a resend after at most 30 days (a random value's life). */
  sweepResendAfterHours: [0, 720],
  sweepCooldownHours: [1, 720],
  /** A fraction of the budget, above 0 and at most 1. */
  sweepBudgetShare: [0.01, 1],
  /** Route 53 refuses more than 5 requests per second per account: a higher budget would only be throttled. */
  route53RatePerSecond: [1, 5],
} as const;

/** How the stack deploys the function and the API unless told otherwise (docs/deploy.md explains each). */
export const DEPLOYMENT_DEFAULTS = {
  stackName: 'DcvResend',
  digicertRegion: 'us',
  /** MB: room for a 500-order batch's state beside the runtime (`npm run bench -- --only=memory`). */
  memorySize: 256,
  /**
   * glibc's `MALLOC_ARENA_MAX` for the runtime process (`DEPLOYED_RUNTIME_ENV`): at most two malloc
   * arenas for V8's threads instead of 8 per core: a smaller RSS, with warm and cold start
   * unchanged (docs/performance.md, "Memory and `MALLOC_ARENA_MAX`").
   */
  mallocArenaMax: 2,
  /**
   * Room for every HTTP caller the API admits (burst 10 + 2/s × 28 s = 66) plus 14 for schedules,
   * direct calls and the queue; the budget is shared in the state table, not split (docs/deploy.md).
   */
  reservedConcurrency: 80,
  /** The function timeout: room for a 500-order batch under DigiCert's limits and retries. */
  functionTimeoutSeconds: 300,
  /** CloudWatch Logs retention, days (`RetentionDays.THREE_MONTHS`). */
  logRetentionDays: 90,
  logLevel: 'info',
  httpAuth: 'iam',
  /** API Gateway stage throttle: steady requests per second, and burst. */
  apiRateLimit: 2,
  apiBurstLimit: 10,
  removalPolicy: 'retain',
  /** Lambda's retries of a failed asynchronous invocation. */
  asyncRetryAttempts: 2,
  /** How long Lambda keeps an asynchronous event: the Lambda maximum, 6 hours. */
  asyncMaxEventAgeSeconds: 6 * 3600,
  /** How long a dead-letter queue keeps a message (the SQS maximum). */
  deadLetterRetentionDays: 14,
  scheduleTimeZone: 'UTC',
  scheduleRetryAttempts: 3,
  scheduleMaxEventAgeSeconds: 3600,
  /**
   * The bulk queue's event source mapping (docs/contract.md §8, docs/deploy.md#the-bulk-queue):
   * the fewest consumers Lambda allows (2). Both share the key's budget; more would only wait for it.
   */
  queueMaxConcurrency: 2,
  /** Messages per invocation: 5 × 100 orders = 500, the batch size the function timeout is sized for. */
  queueBatchSize: 5,
  /** How long Lambda gathers messages before it invokes with a partial batch. */
  queueMaxBatchingWindowSeconds: 5,
  /** Receives of a message before SQS moves it to the queue's dead-letter queue. */
  queueMaxReceiveCount: 5,
  /** The queue's visibility timeout as a multiple of the function timeout (AWS asks for at least 6). */
  queueVisibilityTimeoutFactor: 6,
  /** How long the bulk queue keeps a message: the SQS maximum, 14 days. */
  queueRetentionDays: 14,
  /** Age of the oldest waiting message that raises an alarm: 2 h, about 36,000 orders at 5 per second. */
  queueOldestMessageAlarmSeconds: 7200,
  /** The pending-DCV sweep's schedule (docs/contract.md §11). */
  sweepSchedule: 'rate(6 hours)',
  /**
   * The oldest pending order's age that raises an alarm: five days, half of DigiCert's ten days of
   * re-checks, so that someone looks while DigiCert still does.
   */
  oldestPendingAlarmHours: 120,
} as const satisfies { readonly [setting: string]: unknown; readonly logLevel: LogLevel };

/**
 * Variables the stack sets for the runtime process rather than for the function, which never reads
 * them (docs/deploy.md, "Runtime environment"). The benchmark gives the same ones to every child
 * that runs our bundle, so that it measures what is deployed.
 */
export const DEPLOYED_RUNTIME_ENV = {
  [ENV.MALLOC_ARENA_MAX]: String(DEPLOYMENT_DEFAULTS.mallocArenaMax),
} as const satisfies { readonly [name in EnvVar]?: string };

/** The HTTP request limits (docs/contract.md §2). */
export const HTTP_LIMITS = {
  /** Largest request body accepted, bytes (128 KiB). */
  maxBodyBytes: 128 * 1024,
  /** How long API Gateway waits for the function, seconds (an HTTP API allows at most 30). */
  integrationTimeoutSeconds: 29,
  /** Time the function gives an HTTP request, ms: it answers before API Gateway gives up. */
  budgetMs: 28_000,
} as const;

/** Request limits every caller shares (docs/contract.md §1, §3). */
export const REQUEST_LIMITS = {
  maxOrderIdDigits: 12,
  maxApprovalEmails: 100,
  maxBatchOrders: 500,
  /** Orders in one message of the bulk queue (docs/contract.md §8). */
  maxQueueMessageOrders: 100,
  maxEmailLength: 254,
} as const;

/**
 * A delivery id a caller may give (HTTP `Idempotency-Key`, payload and queue message
 * `idempotency_key`; docs/contract.md §3, §6): 1 to 255 visible ASCII characters.
 */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;
/** What a refused delivery id is told (after its field name). */
export const IDEMPOTENCY_KEY_RULE =
  'must be 1 to 255 visible ASCII characters (no spaces or control characters)';

const errorTypes = {
  ValidationError: 'ValidationError',
  DigiCertRequestError: 'DigiCertRequestError',
  UpstreamError: 'UpstreamError',
  ConfigurationError: 'ConfigurationError',
  BatchError: 'BatchError',
} as const;

/**
 * The `name` of each error a direct caller may see: Lambda's `errorType`, which Step Functions
 * matches on (docs/contract.md §3). Renaming one breaks callers.
 */
export const ERROR_TYPES: SelfNamed<typeof errorTypes> = errorTypes;

export type ErrorType = keyof typeof ERROR_TYPES;

/**
 * Every error code of this product and the HTTP status it answers with (docs/contract.md §2).
 * DigiCert's own 4xx codes pass through with DigiCert's status and are not listed.
 */
export const HTTP_ERROR_STATUS = {
  invalid_order_id: 400,
  invalid_json: 400,
  invalid_input: 400,
  not_found: 404,
  method_not_allowed: 405,
  payload_too_large: 413,
  unsupported_media_type: 415,
  request_limit_exceeded: 429,
  internal_error: 500,
  upstream_auth_failed: 502,
  upstream_unavailable: 502,
  secret_unavailable: 503,
  upstream_timeout: 504,
  // Shared state and the pre-check (docs/contract.md §2; named ahead of them).
  dcv_email_not_allowed: 400,
  request_in_progress: 409,
  idempotency_key_reused: 422,
  state_unavailable: 503,
  // An order's DCV status (docs/contract.md §10).
  order_not_found: 404,
} as const;

export type HttpErrorCode = keyof typeof HTTP_ERROR_STATUS;

/**
 * The closed set of `code`s each error carries (docs/contract.md §2, §3). `DigiCertRequestError`
 * carries DigiCert's own codes, and this product's own only where it names DigiCert's answer
 * (§10); `BatchError` carries each order's.
 * `HttpRequestError` is the HTTP adapter's: the request never reached the use case.
 */
export const ERROR_CODES = {
  ValidationError: [
    'invalid_input',
    'invalid_order_id',
    'invalid_json',
    'dcv_email_not_allowed',
    'idempotency_key_reused',
  ],
  UpstreamError: [
    'upstream_unavailable',
    'upstream_timeout',
    'request_limit_exceeded',
    'request_in_progress',
    'state_unavailable',
  ],
  ConfigurationError: ['secret_unavailable', 'upstream_auth_failed', 'invalid_configuration'],
  DigiCertRequestError: ['order_not_found'],
  HttpRequestError: ['not_found', 'method_not_allowed', 'payload_too_large', 'unsupported_media_type'],
} as const satisfies Readonly<Record<string, readonly (HttpErrorCode | 'invalid_configuration')[]>>;

/** CloudWatch metrics: the function writes them (EMF), the dashboard and alarms read them. */
export const METRICS = {
  namespace: 'DcvResend',
  /** The one dimension; its value is `SERVICE_NAME`, else `FUNCTION_DEFAULTS.serviceName`. */
  serviceDimension: 'Service',
} as const;

/** The pending-DCV sweep's metrics (docs/contract.md §11), in `METRICS.namespace`. */
export const SWEEP_METRICS = {
  pendingOrders: 'PendingOrders',
  /** `PendingOrders`' dimension (with `Service`): the order's DCV method. */
  dcvMethodDimension: 'DcvMethod',
  oldestPendingHours: 'OldestPendingHours',
  randomValuesExpiringSoon: 'RandomValuesExpiringSoon',
  pendingPastRecheckWindow: 'PendingPastRecheckWindow',
  sweepResends: 'SweepResends',
  sweepMigrations: 'SweepMigrations',
  sweepErrors: 'SweepErrors',
} as const;

/**
 * Seconds to wait when no one said how long (docs/contract.md §7): after DigiCert's 429 without
 * `Retry-After` (its short window), both the `Retry-After` callers get and the pause every
 * container takes; and the `Retry-After` of a delivery still in progress elsewhere.
 */
export const DEFAULT_RETRY_AFTER_SECONDS = 5;

/**
 * How long one order of a direct, scheduled, EventBridge or queued delivery is claimed ("in
 * progress") and may be worked on, however long the invocation (docs/contract.md §6). Shorter than
 * the minute before Lambda's first asynchronous retry, so that a retry after a crashed invocation
 * takes the orders over instead of answering 409 until the dead holder's deadline.
 */
export const ORDER_CLAIM_MS = 50_000;

/** The HTTP header names callers see (docs/contract.md §2). */
export const HEADERS = {
  requestId: 'x-request-id',
  retryAfter: 'retry-after',
  idempotencyKey: 'idempotency-key',
  idempotentReplayed: 'idempotent-replayed',
  sunset: 'sunset',
  link: 'link',
} as const;

/** CA/Browser Forum ballot SC-090: the email DCV methods end (docs/contract.md §9). */
export const EMAIL_DCV_SUNSET = 'Wed, 15 Mar 2028 00:00:00 GMT';
/** The same date as docs/contract.md §10 answers it (`email_dcv_sunset`). */
export const EMAIL_DCV_SUNSET_DATE = '2028-03-15';
/** The ballot that sets the date, for the `Link: <...>; rel="sunset"` header (RFC 8594). */
export const EMAIL_DCV_SUNSET_SOURCE =
  'https://cabforum.org/2025/11/20/ballot-sc-090-gradually-sunset-all-remaining-email-based-phone-based-and-crossover-validation-methods-from-sections-3.2.2.4-and-3.2.2.5';

/**
 * Prepended to the ESM bundle: bundled CommonJS dependencies (undici, parts of the AWS SDK) call
 * `require` for Node's built-ins, and crash with `Dynamic require of "node:https" is not supported`
 * without it. The build adds it and the synth check looks for it.
 */
export const BUNDLE_BANNER =
  "import { createRequire } from 'module';const require=createRequire(import.meta.url);";

/** One entry of `errors`: a validation issue (with `field`), or one of DigiCert's own entries. */
export interface DirectErrorEntry {
  readonly code: string;
  readonly message: string;
  readonly field?: string;
  readonly [extra: string]: unknown;
}

/**
 * The wire shape direct callers parse (docs/contract.md §3): the JSON object in the `errorMessage` of a `ValidationError`, `DigiCertRequestError`, `UpstreamError` or `ConfigurationError`.
 */
export interface DirectErrorDetail {
  /** The human-readable sentence (what `error.message` said before it became JSON). */
  readonly message: string;
  /**
   * The failure's code, the same one a batch result carries: the contract's code; for
   * `DigiCertRequestError`, DigiCert's codes joined by commas; for `ValidationError`, the first
   * issue's code.
   */
  readonly code: string;
  /** The HTTP status the HTTP API answers the same failure with (DigiCert's own for `DigiCertRequestError`). */
  readonly status: number;
  /** `ValidationError`: one entry per issue. `DigiCertRequestError`: DigiCert's entries, as sent. */
  readonly errors?: readonly DirectErrorEntry[];
  /** `UpstreamError`: seconds to wait before trying again, when known. */
  readonly retry_after?: number;
  /** `UpstreamError`: how many times DigiCert was called. */
  readonly attempts?: number;
}
