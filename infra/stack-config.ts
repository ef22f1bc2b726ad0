/**
 * The deployment settings: read from CDK context (`cdk.json` or `-c key=value`), checked once, and
 * turned into a typed `StackConfig` that the app, the stack and the tests share. Every problem is
 * reported at synth time, naming the setting, before anything reaches CloudFormation.
 *
 * Schedule payloads are checked with the function's own request schema, so a payload the function
 * would reject at 3 a.m. is rejected at `cdk synth` instead.
 */
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';
import { DIGICERT_BASE_URLS, parseBaseUrl } from '../functions/shared/config.js';
import { ValidationError } from '../functions/shared/domain/errors.js';
import {
  batchRequestSchema,
  directRequestSchema,
  parseOrThrow,
} from '../functions/shared/domain/request-schema.js';
import { isRecord } from '../functions/shared/is-record.js';
import { checkScheduleExpression, isTimeZone } from './schedule-expression.js';

/** The context keys this app reads; each is documented in docs/deploy.md. */
export const CONTEXT_KEYS = [
  'stackName',
  'secretArn',
  'secretKmsKeyArn',
  'digicertRegion',
  'schedules',
  'alarmEmail',
  'logRetentionDays',
  'logLevel',
  'reservedConcurrency',
  'memorySize',
  'httpAuth',
  'jwtIssuer',
  'jwtAudience',
  'apiRateLimit',
  'apiBurstLimit',
  'removalPolicy',
] as const;

export type ContextKey = (typeof CONTEXT_KEYS)[number];

/** Raw settings as CDK context holds them: strings from `-c`, any JSON value from `cdk.json`. */
export type StackConfigInput = Partial<Record<ContextKey, unknown>>;

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type RemovalChoice = 'retain' | 'destroy';

/** How callers authenticate to the HTTP API. */
export type HttpAuthConfig =
  | { readonly type: 'iam' }
  | { readonly type: 'jwt'; readonly issuer: string; readonly audience: readonly string[] };

/** One EventBridge Scheduler schedule that invokes the function with a fixed payload. */
export interface ScheduleConfig {
  /** Unique within the stack; used in the construct id and the schedule's description. */
  readonly name: string;
  /** `rate(...)`, `cron(...)` or `at(...)`. */
  readonly expression: string;
  /** IANA time zone the expression is evaluated in. */
  readonly timeZone: string;
  /** The direct-invoke payload: `{"order_id":..}` or `{"orders":[..]}` (CONTRACT §3), as configured. */
  readonly payload: Readonly<Record<string, unknown>>;
  readonly description: string | undefined;
  readonly enabled: boolean;
  /** Scheduler's own retries when it cannot hand the event to Lambda. */
  readonly retryAttempts: number;
  /** How long Scheduler keeps trying before the event goes to the schedule dead-letter queue. */
  readonly maxEventAgeSeconds: number;
}

export interface StackConfig {
  readonly stackName: string;
  /** Full ARN of an existing secret holding the DigiCert API key; `undefined` creates an empty one. */
  readonly secretArn: string | undefined;
  /** Customer-managed KMS key ARN that encrypts the secret, when it is not the AWS-managed key. */
  readonly secretKmsKeyArn: string | undefined;
  readonly digicertBaseUrl: string;
  readonly schedules: readonly ScheduleConfig[];
  readonly alarmEmail: string | undefined;
  readonly logRetentionDays: RetentionDays;
  readonly logLevel: LogLevel;
  /** `undefined` leaves the function on the account's unreserved pool. */
  readonly reservedConcurrency: number | undefined;
  readonly memorySize: number;
  readonly httpAuth: HttpAuthConfig;
  readonly apiRateLimit: number;
  readonly apiBurstLimit: number;
  readonly removalPolicy: RemovalChoice;
}

/** The defaults, in one place; docs/deploy.md repeats them with the reasons. */
export const DEFAULTS = {
  stackName: 'DcvResend',
  digicertRegion: 'us',
  logRetentionDays: RetentionDays.THREE_MONTHS,
  logLevel: 'info',
  // docs/deploy.md "Concurrency": burst 10 + 2/s x 28 s = 66 HTTP invocations at most, plus 14.
  reservedConcurrency: 80,
  memorySize: 256,
  httpAuth: 'iam',
  apiRateLimit: 2,
  apiBurstLimit: 10,
  removalPolicy: 'retain',
  scheduleTimeZone: 'UTC',
  scheduleRetryAttempts: 3,
  scheduleMaxEventAgeSeconds: 3600,
} as const;

/**
 * Upper bound on a schedule payload. Asynchronous Lambda invocations (which Scheduler uses) have
 * long been capped at 256 KB; staying under it keeps the check valid wherever the stack goes.
 */
export const MAX_SCHEDULE_PAYLOAD_BYTES = 256 * 1024;

/** One problem with one setting. */
export interface SettingIssue {
  readonly setting: string;
  readonly message: string;
}

/** The deployment settings are invalid; the message lists every problem, each naming its setting. */
export class StackConfigError extends Error {
  override readonly name = 'StackConfigError';
  readonly issues: readonly SettingIssue[];

  constructor(issues: readonly SettingIssue[]) {
    super(
      [
        'Invalid deployment settings (CDK context):',
        ...issues.map((issue) => `  - ${issue.setting}: ${issue.message}`),
        'See docs/deploy.md for every setting and its default.',
      ].join('\n'),
    );
    this.issues = issues;
  }
}

/** Reads the known keys from CDK context (`cdk.json`, `~/.cdk.json`, `-c`). */
export function readContext(node: Node): StackConfigInput {
  const input: StackConfigInput = {};
  for (const key of CONTEXT_KEYS) {
    const value: unknown = node.tryGetContext(key);
    if (value !== undefined) input[key] = value;
  }
  return input;
}

/** Every context key present, so near-misses of ours (`-c secretARN=...`) can be caught. */
export function contextKeys(node: Node): string[] {
  const all: unknown = node.getAllContext();
  return typeof all === 'object' && all !== null ? Object.keys(all) : [];
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** The known key `key` was probably meant as (same letters ignoring case, or 1-2 typos away). */
function likelyMeant(key: string): ContextKey | undefined {
  if ((CONTEXT_KEYS as readonly string[]).includes(key) || /[:@]/.test(key)) return undefined;
  return CONTEXT_KEYS.find(
    (known) => known.toLowerCase() === key.toLowerCase() || (key.length > 4 && editDistance(known, key) <= 2),
  );
}

const PARTITION = 'aws(?:-cn|-us-gov|-iso|-iso-[a-z]|-eusc)?';
const REGION = '[a-z]{2}(?:-[a-z]+)+-\\d{1,2}';
const SECRET_ARN = new RegExp(
  `^arn:${PARTITION}:secretsmanager:(${REGION}):(\\d{12}):secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$`,
);
const KMS_KEY_ARN = new RegExp(
  `^arn:${PARTITION}:kms:(${REGION}):(\\d{12}):key/(?:mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$`,
);
const EMAIL =
  /^[^\s@"(),:;<>[\\\]]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;
const STACK_NAME = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;
const SCHEDULE_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const SCHEDULE_KEYS = new Set([
  'name',
  'expression',
  'timeZone',
  'payload',
  'description',
  'enabled',
  'retryAttempts',
  'maxEventAgeSeconds',
]);
const RETENTION_DAYS: readonly number[] = Object.values(RetentionDays).filter(
  (value): value is number => typeof value === 'number' && value !== RetentionDays.INFINITE,
);

function show(value: unknown): string {
  const text = typeof value === 'string' ? `"${value}"` : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Collects issues while reading settings, so one synth reports every problem at once. */
class Reader {
  readonly issues: SettingIssue[] = [];

  fail(setting: string, message: string): undefined {
    this.issues.push({ setting, message });
    return undefined;
  }

  /** A non-empty string, or `undefined` when absent or empty. */
  string(setting: string, value: unknown): string | undefined {
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string') return this.fail(setting, `must be a string, got ${show(value)}`);
    return value.trim();
  }

  integer(setting: string, value: unknown, fallback: number, min: number, max: number): number {
    if (value === undefined || value === null || value === '') return fallback;
    const n = typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
      this.fail(setting, `must be a whole number from ${min} to ${max}, got ${show(value)}`);
      return fallback;
    }
    return n;
  }

  choice<T extends string>(setting: string, value: unknown, choices: readonly T[], fallback: T): T {
    const raw = this.string(setting, value);
    if (raw === undefined) return fallback;
    const match = choices.find((c) => c === raw.toLowerCase());
    if (match === undefined) {
      this.fail(setting, `must be one of ${choices.map((c) => `"${c}"`).join(', ')}, got ${show(value)}`);
      return fallback;
    }
    return match;
  }

  /** A JSON value given either natively (cdk.json) or as a JSON string (`-c key='...'`). */
  json(setting: string, value: unknown): unknown {
    if (typeof value !== 'string') return value;
    if (value.trim() === '') return undefined;
    try {
      return JSON.parse(value) as unknown;
    } catch (error) {
      return this.fail(
        setting,
        `is not valid JSON (${error instanceof Error ? error.message : 'parse error'})`,
      );
    }
  }
}

function readSecretArn(r: Reader, value: unknown): string | undefined {
  const arn = r.string('secretArn', value);
  if (arn === undefined) return undefined;
  if (!SECRET_ARN.test(arn)) {
    return r.fail(
      'secretArn',
      `must be the complete ARN of a Secrets Manager secret, arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters> (as "aws secretsmanager describe-secret" prints it), got ${show(arn)}`,
    );
  }
  return arn;
}

function readKmsKeyArn(r: Reader, value: unknown): string | undefined {
  const arn = r.string('secretKmsKeyArn', value);
  if (arn === undefined) return undefined;
  if (/:alias\//.test(arn)) {
    return r.fail(
      'secretKmsKeyArn',
      `must be a key ARN (arn:aws:kms:<region>:<account>:key/<id>), not an alias: IAM grants decryption by key, got ${show(arn)}`,
    );
  }
  if (!KMS_KEY_ARN.test(arn)) {
    return r.fail(
      'secretKmsKeyArn',
      `must be a KMS key ARN, arn:aws:kms:<region>:<account>:key/<id>, got ${show(arn)}`,
    );
  }
  return arn;
}

function readBaseUrl(r: Reader, value: unknown): string {
  const raw = r.string('digicertRegion', value) ?? DEFAULTS.digicertRegion;
  let url: string;
  try {
    url = parseBaseUrl(raw, 'digicertRegion');
  } catch (error) {
    const message = error instanceof Error ? error.message.replace(/^digicertRegion /, '') : String(error);
    r.fail('digicertRegion', message);
    return DIGICERT_BASE_URLS.us;
  }
  if (!url.startsWith('https://')) {
    r.fail(
      'digicertRegion',
      `must use https:// in a deployed stack (the function cannot reach your loopback), got ${show(raw)}`,
    );
    return DIGICERT_BASE_URLS.us;
  }
  return url;
}

function readHttpAuth(r: Reader, input: StackConfigInput): HttpAuthConfig {
  const type = r.choice('httpAuth', input.httpAuth, ['iam', 'jwt'] as const, DEFAULTS.httpAuth);
  const issuer = r.string('jwtIssuer', input.jwtIssuer);
  // A JSON array (cdk.json, or -c 'jwtAudience=["a","b"]') or a comma-separated list (-c jwtAudience=a,b).
  const rawAudience = input.jwtAudience;
  const audienceValue =
    typeof rawAudience === 'string' && rawAudience.trim().startsWith('[')
      ? r.json('jwtAudience', rawAudience)
      : rawAudience === '' || rawAudience === null
        ? undefined
        : rawAudience;
  if (type === 'iam') {
    if (issuer !== undefined || audienceValue !== undefined) {
      r.fail(
        'httpAuth',
        'is "iam" but jwtIssuer or jwtAudience is set; set httpAuth=jwt to use a JWT authorizer',
      );
    }
    return { type };
  }
  if (issuer === undefined) {
    r.fail('jwtIssuer', 'is required when httpAuth is "jwt" (the https:// URL of your identity provider)');
  } else if (!/^https:\/\/[^\s/?#]+(\/[^\s?#]*)?$/.test(issuer)) {
    r.fail('jwtIssuer', `must be an https:// issuer URL, got ${show(issuer)}`);
  }
  let audience: string[] = [];
  if (Array.isArray(audienceValue)) {
    audience = audienceValue.filter((a): a is string => typeof a === 'string' && a.trim() !== '');
    if (audience.length !== audienceValue.length) r.fail('jwtAudience', 'must list non-empty strings');
  } else if (typeof audienceValue === 'string') {
    audience = audienceValue
      .split(',')
      .map((a) => a.trim())
      .filter((a) => a !== '');
  } else if (audienceValue !== undefined) {
    r.fail('jwtAudience', `must be a list of audiences, got ${show(audienceValue)}`);
  }
  if (audience.length === 0) {
    r.fail(
      'jwtAudience',
      'is required when httpAuth is "jwt": the audience(s) (client ids) a token must carry',
    );
  }
  return { type, issuer: issuer ?? '', audience };
}

function readPayload(r: Reader, setting: string, value: unknown): Readonly<Record<string, unknown>> {
  if (!isRecord(value)) {
    r.fail(setting, 'must be a JSON object: {"order_id": ...} or {"orders": [...]}');
    return {};
  }
  try {
    if ('idempotency_key' in value) {
      // docs/contract.md §6: a fixed key makes every run of the schedule the same delivery, so only
      // the first would send; each run is its own delivery through Lambda's request id instead.
      r.fail(
        `${setting}.idempotency_key`,
        'is not allowed in a schedule: every run would be the same delivery and only the first would send',
      );
    }
    parseOrThrow('orders' in value ? batchRequestSchema : directRequestSchema, value);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    for (const issue of error.issues) {
      r.fail(issue.field ? `${setting}.${issue.field}` : setting, issue.message);
    }
  }
  const bytes = Buffer.byteLength(JSON.stringify(value));
  if (bytes > MAX_SCHEDULE_PAYLOAD_BYTES) {
    r.fail(
      setting,
      `is ${bytes} bytes; a schedule payload must stay under ${MAX_SCHEDULE_PAYLOAD_BYTES} bytes`,
    );
  }
  return value;
}

function readSchedule(r: Reader, index: number, value: unknown): ScheduleConfig | undefined {
  const at = `schedules[${index}]`;
  if (!isRecord(value)) {
    return r.fail(at, 'must be an object with "name", "expression" and "payload"');
  }
  for (const key of Object.keys(value)) {
    if (!SCHEDULE_KEYS.has(key)) {
      r.fail(`${at}.${key}`, `is not a known schedule field (known: ${[...SCHEDULE_KEYS].join(', ')})`);
    }
  }
  const name = r.string(`${at}.name`, value.name);
  if (name === undefined) r.fail(`${at}.name`, 'is required');
  else if (!SCHEDULE_NAME.test(name)) {
    r.fail(`${at}.name`, `must be 1-64 letters, digits, "-", "_" or ".", got ${show(name)}`);
  }
  const expression = r.string(`${at}.expression`, value.expression);
  if (expression === undefined)
    r.fail(`${at}.expression`, 'is required, e.g. "cron(0 6 * * ? *)" or "rate(1 day)"');
  else {
    const problem = checkScheduleExpression(expression);
    if (problem) r.fail(`${at}.expression`, `${show(expression)} ${problem}`);
  }
  const timeZone = r.string(`${at}.timeZone`, value.timeZone) ?? DEFAULTS.scheduleTimeZone;
  if (!isTimeZone(timeZone)) {
    r.fail(`${at}.timeZone`, `must be an IANA time zone such as "Europe/Berlin", got ${show(timeZone)}`);
  }
  if (value.payload === undefined)
    r.fail(`${at}.payload`, 'is required: {"order_id": ...} or {"orders": [...]}');
  const payload = value.payload === undefined ? {} : readPayload(r, `${at}.payload`, value.payload);
  const description = r.string(`${at}.description`, value.description);
  if (description !== undefined && description.length > 512) {
    r.fail(`${at}.description`, 'must be at most 512 characters');
  }
  if (value.enabled !== undefined && typeof value.enabled !== 'boolean') {
    r.fail(`${at}.enabled`, `must be true or false, got ${show(value.enabled)}`);
  }
  return {
    name: name ?? `schedule-${index}`,
    expression: expression ?? '',
    timeZone,
    payload,
    description,
    enabled: value.enabled !== false,
    retryAttempts: r.integer(
      `${at}.retryAttempts`,
      value.retryAttempts,
      DEFAULTS.scheduleRetryAttempts,
      0,
      185,
    ),
    maxEventAgeSeconds: r.integer(
      `${at}.maxEventAgeSeconds`,
      value.maxEventAgeSeconds,
      DEFAULTS.scheduleMaxEventAgeSeconds,
      60,
      86_400,
    ),
  };
}

function readSchedules(r: Reader, value: unknown): ScheduleConfig[] {
  const list = r.json('schedules', value);
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) {
    r.fail('schedules', 'must be a JSON array of {"name", "expression", "payload", ...} objects');
    return [];
  }
  const schedules = list.flatMap((item, index) => readSchedule(r, index, item) ?? []);
  const seen = new Set<string>();
  for (const [index, schedule] of schedules.entries()) {
    const key = schedule.name.toLowerCase();
    if (seen.has(key))
      r.fail(`schedules[${index}].name`, `"${schedule.name}" is used by an earlier schedule`);
    seen.add(key);
  }
  return schedules;
}

/**
 * Checks every setting and returns the typed configuration, or throws a `StackConfigError`
 * listing each problem with the setting it concerns. `presentKeys` (every context key given) lets
 * it reject a misspelt setting, which would otherwise be silently ignored.
 */
export function resolveStackConfig(
  input: StackConfigInput = {},
  presentKeys: readonly string[] = [],
): StackConfig {
  const r = new Reader();
  for (const key of presentKeys) {
    const meant = likelyMeant(key);
    if (meant) r.fail(key, `is not a setting of this app; did you mean "${meant}"?`);
  }
  const stackName = r.string('stackName', input.stackName) ?? DEFAULTS.stackName;
  if (!STACK_NAME.test(stackName)) {
    r.fail(
      'stackName',
      `must start with a letter and hold only letters, digits and "-", got ${show(stackName)}`,
    );
  }
  const secretArn = readSecretArn(r, input.secretArn);
  const secretKmsKeyArn = readKmsKeyArn(r, input.secretKmsKeyArn);
  const digicertBaseUrl = readBaseUrl(r, input.digicertRegion);
  const schedules = readSchedules(r, input.schedules);

  const alarmEmail = r.string('alarmEmail', input.alarmEmail);
  if (alarmEmail !== undefined && (alarmEmail.length > 254 || !EMAIL.test(alarmEmail))) {
    r.fail('alarmEmail', `must be an e-mail address, got ${show(alarmEmail)}`);
  }

  let logRetentionDays: RetentionDays = DEFAULTS.logRetentionDays;
  const retention = r.integer('logRetentionDays', input.logRetentionDays, DEFAULTS.logRetentionDays, 1, 3653);
  if (RETENTION_DAYS.includes(retention)) logRetentionDays = retention as RetentionDays;
  else r.fail('logRetentionDays', `must be one of CloudWatch Logs' values: ${RETENTION_DAYS.join(', ')}`);

  const concurrencyRaw = input.reservedConcurrency;
  const reservedConcurrency =
    typeof concurrencyRaw === 'string' && concurrencyRaw.trim().toLowerCase() === 'none'
      ? undefined
      : r.integer('reservedConcurrency', concurrencyRaw, DEFAULTS.reservedConcurrency, 1, 1000);

  const config: StackConfig = {
    stackName,
    secretArn,
    secretKmsKeyArn,
    digicertBaseUrl,
    schedules,
    alarmEmail,
    logRetentionDays,
    logLevel: r.choice(
      'logLevel',
      input.logLevel,
      ['debug', 'info', 'warn', 'error'] as const,
      DEFAULTS.logLevel,
    ),
    reservedConcurrency,
    memorySize: r.integer('memorySize', input.memorySize, DEFAULTS.memorySize, 128, 10_240),
    httpAuth: readHttpAuth(r, input),
    apiRateLimit: r.integer('apiRateLimit', input.apiRateLimit, DEFAULTS.apiRateLimit, 1, 10_000),
    apiBurstLimit: r.integer('apiBurstLimit', input.apiBurstLimit, DEFAULTS.apiBurstLimit, 1, 5_000),
    removalPolicy: r.choice(
      'removalPolicy',
      input.removalPolicy,
      ['retain', 'destroy'] as const,
      DEFAULTS.removalPolicy,
    ),
  };
  if (r.issues.length > 0) throw new StackConfigError(r.issues);
  return config;
}

/** The region and account named in an ARN (`arn:partition:service:region:account:...`). */
export function arnRegionAndAccount(arn: string): { readonly region: string; readonly account: string } {
  const [, , , region = '', account = ''] = arn.split(':');
  return { region, account };
}
