/**
 * The deployment settings: CDK context (`cdk.json` or `-c key=value`) checked by one zod schema
 * and turned into the typed `StackConfig` that the app, the stack and the tests share. Every
 * problem is reported at synth time, naming the setting, before anything reaches CloudFormation;
 * docs/deploy.md#settings documents each setting and its default.
 *
 * Context values arrive as strings from `-c` and as JSON values from `cdk.json`; the schema
 * accepts both. Schedule payloads are checked with the function's own request schema, so a
 * payload the function would reject at 3 a.m. is rejected at `cdk synth` instead.
 */
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import * as z from 'zod';
import { type Env, loadConfig, parseBaseUrl } from '../functions/app/config.js';
import {
  DEPLOYMENT_DEFAULTS as DEFAULTS,
  ENV,
  type EnvVar,
  LOG_LEVELS,
  RATE_LIMIT_WINDOWS_MS,
  REQUEST_LIMITS,
} from '../functions/app/contract.js';
import { ConfigurationError } from '../functions/lib/errors.js';
import { batchRequestSchema, directRequestSchema, toIssues } from '../functions/resend/request-schema.js';
import { checkScheduleExpression, isTimeZone } from './schedule-expression.js';
import { misspeltSettings, StackConfigError, toSettingIssues } from './stack-config-error.js';

/**
 * Upper bound on a schedule payload. Asynchronous Lambda invocations (which Scheduler uses) have
 * long been capped at 256 KB; staying under it keeps the check valid wherever the stack goes.
 */
const MAX_SCHEDULE_PAYLOAD_BYTES = 256 * 1024;

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
const ISSUER_URL = /^https:\/\/[^\s/?#]+(\/[^\s?#]*)?$/;
const RETENTION_DAYS: readonly number[] = Object.values(RetentionDays).filter(
  (value): value is number => typeof value === 'number' && value !== RetentionDays.INFINITE,
);

/** A value as the error messages quote it, cut to one readable line. */
function show(value: unknown): string {
  const text = typeof value === 'string' ? `"${value}"` : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Zod's `error` option for a rule, quoting the value that broke it. */
function rule(message: string) {
  return { error: (issue: { readonly input?: unknown }) => `${message}, got ${show(issue.input)}` };
}

/** Context gives an unset value as `-c key=` (empty) or `null` in cdk.json: both mean the default. */
function unset<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => (value === null || value === '' ? undefined : value), schema);
}

/** A string setting, trimmed; `required` is the message when it is missing (if it has no default). */
function text(required = 'is required') {
  return z
    .string({
      error: (issue) => (issue.input === undefined ? required : `must be a string, got ${show(issue.input)}`),
    })
    .trim();
}

/** A whole number in `[min, max]`: a number in cdk.json, digits from `-c`. */
function wholeNumber(min: number, max: number, fallback: number) {
  const error = rule(`must be a whole number from ${min} to ${max}`);
  const int = z
    .int(error)
    .min(min, { ...error, abort: true })
    .max(max, error);
  return z.preprocess(
    (value) => (typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value),
    unset(int.default(fallback)),
  );
}

/** One of `choices`, in any letter case. */
function choice<const T extends readonly [string, ...string[]]>(choices: T, fallback: T[number]) {
  const error = rule(`must be one of ${choices.map((c) => `"${c}"`).join(', ')}`);
  return unset(text().toLowerCase().pipe(z.enum(choices, error)).default(fallback));
}

/** A JSON value given natively (cdk.json) or as a JSON string (`-c key='[...]'`). */
function parseJson(value: unknown, ctx: z.RefinementCtx): unknown {
  if (typeof value !== 'string') return value ?? undefined;
  if (value.trim() === '') return undefined;
  try {
    return (JSON.parse(value) as unknown) ?? undefined;
  } catch (error) {
    ctx.addIssue({
      code: 'custom',
      message: `is not valid JSON (${error instanceof Error ? error.message : 'parse error'})`,
    });
    return z.NEVER;
  }
}

/** The DigiCert base URL: `us`, `eu` or one of DigiCert's two URLs (a deployed function cannot reach your loopback). */
function toBaseUrl(raw: string, ctx: z.RefinementCtx): string {
  try {
    return parseBaseUrl(raw, 'digicertRegion', { allowLoopbackHttp: false });
  } catch (error) {
    ctx.addIssue({
      code: 'custom',
      message: error instanceof Error ? error.message.replace(/^digicertRegion /, '') : String(error),
    });
  }
  return z.NEVER;
}

/**
 * The function's own reading of its environment (`functions/app/config.ts`), run at synth over an
 * environment holding one setting's variable (and a placeholder secret id, the one required
 * variable), so that a setting is accepted exactly when the function would accept its variable.
 */
function readAsFunction(variable: EnvVar, value: string) {
  const env: Env = { [ENV.DIGICERT_API_KEY_SECRET_ID]: 'synth-check', [variable]: value };
  return loadConfig(env);
}

/**
 * A setting the stack passes to the function as `variable`: checked with the function's rules
 * (its `ConfigurationError` becomes this setting's issue), typed by what the function reads from
 * it. Unset leaves the variable unset, so the function's default applies. Numbers from cdk.json
 * and lists (`["10.0.0.2", ...]`) are given to the function as it would see them: text.
 */
function functionVariable<T>(
  variable: EnvVar,
  read: (config: ReturnType<typeof readAsFunction>) => T | undefined,
) {
  const asText = (value: unknown) =>
    typeof value === 'number'
      ? String(value)
      : Array.isArray(value) && value.every((v) => typeof v === 'string')
        ? value.join(',')
        : value;
  return z.preprocess(
    asText,
    unset(
      text()
        .transform((raw, ctx) => {
          try {
            return read(readAsFunction(variable, raw));
          } catch (error) {
            if (!(error instanceof ConfigurationError)) throw error;
            const rule = error.message.startsWith(`${variable} `)
              ? error.message.slice(variable.length + 1)
              : error.message;
            ctx.addIssue({
              code: 'custom',
              message: `${rule}, got ${show(raw)} (the function's rule for ${variable})`,
            });
            return z.NEVER;
          }
        })
        .optional(),
    ),
  );
}

/** The limit of the budget's window of `windowMs`, as the function read it. */
function budgetLimit(windowMs: number) {
  return (config: ReturnType<typeof readAsFunction>) =>
    config.rateLimits.find((limit) => limit.windowMs === windowMs)?.limit;
}

const PAYLOAD_SHAPE = '{"order_id": ...} or {"orders": [...]}';

/** The direct-invoke payload (docs/contract.md §3), checked as the function itself checks it. */
const payload = z
  .record(z.string(), z.unknown(), {
    error: (issue) =>
      issue.input === undefined ? `is required: ${PAYLOAD_SHAPE}` : `must be a JSON object: ${PAYLOAD_SHAPE}`,
  })
  .superRefine((value, ctx) => {
    if ('idempotency_key' in value) {
      // docs/contract.md §6: a fixed key makes every run of the schedule the same delivery, so only
      // the first would send; each run is its own delivery through Lambda's request id instead.
      ctx.addIssue({
        code: 'custom',
        message:
          'is not allowed in a schedule: every run would be the same delivery and only the first would send',
        path: ['idempotency_key'],
      });
    }
    const result = ('orders' in value ? batchRequestSchema : directRequestSchema).safeParse(value);
    for (const issue of result.success ? [] : toIssues(result.error.issues)) {
      ctx.addIssue({ code: 'custom', message: issue.message, path: issue.field ? [issue.field] : [] });
    }
    const bytes = Buffer.byteLength(JSON.stringify(value));
    if (bytes > MAX_SCHEDULE_PAYLOAD_BYTES) {
      ctx.addIssue({
        code: 'custom',
        message: `is ${bytes} bytes; a schedule payload must stay under ${MAX_SCHEDULE_PAYLOAD_BYTES} bytes`,
      });
    }
  });

/** A Scheduler expression, checked at synth (CloudFormation would refuse it only mid-deployment). */
function checkExpression(expression: string, ctx: z.RefinementCtx): void {
  const problem = checkScheduleExpression(expression);
  if (problem) ctx.addIssue({ code: 'custom', message: `${show(expression)} ${problem}` });
}

const scheduleShape = {
  /** Unique within the stack; used in the construct id and the schedule's description. */
  name: unset(text().regex(/^[A-Za-z0-9_.-]{1,64}$/, rule('must be 1-64 letters, digits, "-", "_" or "."'))),
  /** `rate(...)`, `cron(...)` or `at(...)`. */
  expression: unset(
    text('is required, e.g. "cron(0 6 * * ? *)" or "rate(1 day)"').superRefine(checkExpression),
  ),
  /** IANA time zone the expression is evaluated in. */
  timeZone: unset(
    text()
      .refine(isTimeZone, rule('must be an IANA time zone such as "Europe/Berlin"'))
      .default(DEFAULTS.scheduleTimeZone),
  ),
  /** The direct-invoke payload: `{"order_id":..}` or `{"orders":[..]}`, as configured. */
  payload,
  /**
   * `function` invokes the function with the payload; `queue` writes it to the bulk queue as one
   * message (at most 100 orders, docs/contract.md §8), drained at the key's pace.
   */
  target: choice(['function', 'queue'], 'function'),
  description: unset(text().max(512, { error: 'must be at most 512 characters' }).optional()),
  enabled: z.boolean(rule('must be true or false')).default(true),
  /** Scheduler's own retries when it cannot hand the event to Lambda. */
  retryAttempts: wholeNumber(0, 185, DEFAULTS.scheduleRetryAttempts),
  /** How long Scheduler keeps trying before the event goes to the schedule dead-letter queue. */
  maxEventAgeSeconds: wholeNumber(60, 86_400, DEFAULTS.scheduleMaxEventAgeSeconds),
};

/** One EventBridge Scheduler schedule that invokes the function with a fixed payload. */
const schedule = z.strictObject(scheduleShape, {
  error: (issue) =>
    issue.code === 'unrecognized_keys'
      ? `is not a known schedule field (known: ${Object.keys(scheduleShape).join(', ')})`
      : issue.code === 'invalid_type'
        ? 'must be an object with "name", "expression" and "payload"'
        : undefined,
});

const schedules = z.preprocess(
  parseJson,
  z
    .array(schedule, { error: 'must be a JSON array of {"name", "expression", "payload", ...} objects' })
    .superRefine((list, ctx) => {
      const seen = new Set<string>();
      for (const [index, { name, target, payload: value }] of list.entries()) {
        const orders = Array.isArray(value.orders) ? value.orders.length : 0;
        if (target === 'queue' && orders > REQUEST_LIMITS.maxQueueMessageOrders) {
          ctx.addIssue({
            code: 'custom',
            message: `has ${orders} orders; a message of the bulk queue holds at most ${REQUEST_LIMITS.maxQueueMessageOrders} (split it over several schedules, or use "target": "function")`,
            path: [index, 'payload', 'orders'],
          });
        }
        if (seen.has(name.toLowerCase())) {
          ctx.addIssue({
            code: 'custom',
            message: `"${name}" is used by an earlier schedule`,
            path: [index, 'name'],
          });
        }
        seen.add(name.toLowerCase());
      }
    })
    .default([]),
);

/**
 * The pending-DCV sweep's schedule (docs/contract.md §11): an expression as a schedule's, evaluated
 * in UTC, or `off` (any case) for no sweep schedule (a sweep can still be started by hand).
 * `undefined` in the output means off.
 */
const SWEEP_OFF = /^off$/i;
const sweepSchedule = unset(text().default(DEFAULTS.sweepSchedule))
  .superRefine((expression, ctx) => {
    const problem = SWEEP_OFF.test(expression) ? undefined : checkScheduleExpression(expression);
    if (problem) {
      ctx.addIssue({
        code: 'custom',
        message: `${show(expression)} ${problem}, or "off" for no sweep schedule`,
      });
    }
  })
  .transform((expression) => (SWEEP_OFF.test(expression) ? undefined : expression));

/**
 * Hours the oldest pending order may wait before its alarm fires: at least 1, at most the 30 days
 * a random value lives (an order pending longer needs a new one anyway).
 */
const OLDEST_PENDING_ALARM_HOURS: readonly [number, number] = [1, 720];

/** JWT audiences: a JSON array (cdk.json, or `-c 'jwtAudience=["a","b"]'`) or `-c jwtAudience=a,b`. */
const jwtAudience = z.preprocess(
  (value, ctx) =>
    typeof value === 'string' && value.trim() !== '' && !value.trim().startsWith('[')
      ? value.split(',').flatMap((a) => a.trim() || [])
      : parseJson(value, ctx),
  z
    .array(z.unknown(), rule('must be a list of audiences'))
    .refine((list): list is string[] => list.every((a) => typeof a === 'string' && a.trim() !== ''), {
      error: 'must list non-empty strings',
    })
    .optional(),
);

/** Every setting, keyed by its context key. */
const settingsShape = {
  stackName: unset(
    text()
      .regex(
        /^[A-Za-z][A-Za-z0-9-]{0,127}$/,
        rule('must start with a letter and hold only letters, digits and "-"'),
      )
      .default(DEFAULTS.stackName),
  ),
  /** Full ARN of an existing secret holding the DigiCert API key; unset creates an empty one. */
  secretArn: unset(
    text()
      .regex(
        SECRET_ARN,
        rule(
          'must be the complete ARN of a Secrets Manager secret, arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters> (as "aws secretsmanager describe-secret" prints it)',
        ),
      )
      .optional(),
  ),
  /** Customer-managed KMS key ARN that encrypts the secret, when it is not the AWS-managed key. */
  secretKmsKeyArn: unset(
    text()
      .refine((arn) => !/:alias\//.test(arn), {
        ...rule(
          'must be a key ARN (arn:aws:kms:<region>:<account>:key/<id>), not an alias: IAM grants decryption by key',
        ),
        abort: true,
      })
      .regex(KMS_KEY_ARN, rule('must be a KMS key ARN, arn:aws:kms:<region>:<account>:key/<id>'))
      .optional(),
  ),
  digicertRegion: unset(text().default(DEFAULTS.digicertRegion)).transform(toBaseUrl),
  schedules,
  alarmEmail: unset(
    text()
      .refine((email) => email.length <= 254 && EMAIL.test(email), rule('must be an e-mail address'))
      .optional(),
  ),
  logRetentionDays: wholeNumber(1, 3653, DEFAULTS.logRetentionDays).pipe(
    z.enum(RetentionDays, { error: `must be one of CloudWatch Logs' values: ${RETENTION_DAYS.join(', ')}` }),
  ),
  logLevel: choice(LOG_LEVELS, DEFAULTS.logLevel),
  /** `none` (unset) leaves the function on the account's unreserved pool. */
  reservedConcurrency: z.union(
    [
      text()
        .regex(/^none$/i, { abort: true })
        .transform(() => undefined),
      wholeNumber(1, 1000, DEFAULTS.reservedConcurrency),
    ],
    rule('must be a whole number from 1 to 1000'),
  ),
  memorySize: wholeNumber(128, 10_240, DEFAULTS.memorySize),
  httpAuth: choice(['iam', 'jwt'], DEFAULTS.httpAuth),
  jwtIssuer: unset(text().optional()),
  jwtAudience,
  apiRateLimit: wholeNumber(1, 10_000, DEFAULTS.apiRateLimit),
  apiBurstLimit: wholeNumber(1, 5_000, DEFAULTS.apiBurstLimit),
  removalPolicy: choice(['retain', 'destroy'], DEFAULTS.removalPolicy),
  // The function's own variables (docs/contract.md §4), checked with its rules; unset: its default.
  dcvPrecheck: functionVariable(ENV.DCV_PRECHECK, (c) => c.dcv.precheck),
  dnsServers: functionVariable(ENV.DNS_SERVERS, (c) => c.dcv.dnsServers),
  rateLimitPer5s: functionVariable(
    ENV.DIGICERT_RATE_LIMIT_PER_5S,
    budgetLimit(RATE_LIMIT_WINDOWS_MS.per5Seconds),
  ),
  rateLimitPer3Min: functionVariable(
    ENV.DIGICERT_RATE_LIMIT_PER_3MIN,
    budgetLimit(RATE_LIMIT_WINDOWS_MS.per3Minutes),
  ),
  idempotencyTtlSeconds: functionVariable(ENV.IDEMPOTENCY_TTL_SECONDS, (c) => c.idempotencyTtlSeconds),
  // The pending-DCV sweep (docs/contract.md §11): its schedule and alarm are the stack's; the rest
  // are the function's variables, checked with its rules.
  sweepSchedule,
  sweepPolicy: functionVariable(ENV.DCV_SWEEP_POLICY, (c) => c.sweep.policy),
  sweepResendAfterHours: functionVariable(ENV.DCV_SWEEP_RESEND_AFTER_HOURS, (c) => c.sweep.resendAfterHours),
  sweepCooldownHours: functionVariable(ENV.DCV_SWEEP_COOLDOWN_HOURS, (c) => c.sweep.cooldownHours),
  sweepBudgetShare: functionVariable(ENV.DCV_SWEEP_BUDGET_SHARE, (c) => c.sweep.budgetShare),
  oldestPendingAlarmHours: wholeNumber(...OLDEST_PENDING_ALARM_HOURS, DEFAULTS.oldestPendingAlarmHours),
  // DNS DCV (docs/contract.md §12): the function's variables, checked with its rules. The zones
  // also decide the function's Route 53 rights (none without them).
  dnsDcvHostedZoneIds: functionVariable(ENV.DNS_DCV_HOSTED_ZONE_IDS, (c) =>
    c.dnsDcv.hostedZoneIds.length > 0 ? c.dnsDcv.hostedZoneIds : undefined,
  ),
  dnsDcvTxtName: functionVariable(ENV.DNS_DCV_TXT_NAME, (c) => c.dnsDcv.txtName),
  dnsDcvRoleArn: functionVariable(ENV.DNS_DCV_ROLE_ARN, (c) => c.dnsDcv.roleArn),
};

/** How callers authenticate to the HTTP API. */
export type HttpAuthConfig =
  | { readonly type: 'iam' }
  | { readonly type: 'jwt'; readonly issuer: string; readonly audience: readonly string[] };

interface AuthSettings {
  readonly httpAuth: string;
  readonly jwtIssuer?: string | undefined;
  readonly jwtAudience?: readonly string[] | undefined;
}

/**
 * The rules between `httpAuth`, `jwtIssuer` and `jwtAudience`. A setting that already failed on
 * its own is left out, so one mistake gives one message.
 */
function checkAuth<T extends AuthSettings>(settings: T, ctx: z.RefinementCtx<T>): void {
  const failed = new Set(ctx.issues.map((issue) => issue.path?.[0]));
  const issuer = failed.has('jwtIssuer') ? undefined : settings.jwtIssuer;
  const audience = failed.has('jwtAudience') ? undefined : settings.jwtAudience;
  const fail = (setting: keyof AuthSettings, message: string) =>
    ctx.addIssue({ code: 'custom', path: [setting], message });
  if (failed.has('httpAuth')) return;
  if (settings.httpAuth === 'iam') {
    if (issuer !== undefined || audience !== undefined) {
      fail(
        'httpAuth',
        'is "iam" but jwtIssuer or jwtAudience is set; set httpAuth=jwt to use a JWT authorizer',
      );
    }
  } else {
    if (issuer !== undefined && !ISSUER_URL.test(issuer)) {
      fail('jwtIssuer', `must be an https:// issuer URL, got ${show(issuer)}`);
    } else if (issuer === undefined && !failed.has('jwtIssuer')) {
      fail('jwtIssuer', 'is required when httpAuth is "jwt" (the https:// URL of your identity provider)');
    }
    if (!audience?.length && !failed.has('jwtAudience')) {
      fail(
        'jwtAudience',
        'is required when httpAuth is "jwt": the audience(s) (client ids) a token must carry',
      );
    }
  }
}

/** A role to assume is for zones in its account: without zones it would never be used. */
function checkDnsDcv(
  settings: {
    readonly dnsDcvHostedZoneIds?: readonly string[] | undefined;
    readonly dnsDcvRoleArn?: string | undefined;
  },
  ctx: z.RefinementCtx,
): void {
  const failed = new Set(ctx.issues.map((issue) => issue.path?.[0]));
  if (failed.has('dnsDcvHostedZoneIds') || failed.has('dnsDcvRoleArn')) return;
  if (settings.dnsDcvRoleArn !== undefined && !settings.dnsDcvHostedZoneIds?.length) {
    ctx.addIssue({
      code: 'custom',
      path: ['dnsDcvRoleArn'],
      message:
        "is set but dnsDcvHostedZoneIds is empty: the role is assumed to write in those zones (in the role's account); list them, or remove the role",
    });
  }
}

const stackConfigSchema = z
  .object(settingsShape)
  // Runs even when other settings failed, so one synth reports every problem.
  .superRefine(checkAuth, { when: () => true })
  .superRefine(checkDnsDcv, { when: () => true })
  .transform(({ digicertRegion, httpAuth, jwtIssuer = '', jwtAudience = [], ...rest }) => {
    const auth: HttpAuthConfig =
      httpAuth === 'jwt' ? { type: 'jwt', issuer: jwtIssuer, audience: jwtAudience } : { type: 'iam' };
    return { ...rest, digicertBaseUrl: digicertRegion, httpAuth: auth };
  });

/** The validated settings the stack is built from. */
export type StackConfig = z.output<typeof stackConfigSchema>;
export type ScheduleConfig = StackConfig['schedules'][number];

/** Raw settings as CDK context holds them: strings from `-c`, any JSON value from `cdk.json`. */
export type StackConfigInput = Partial<Record<keyof typeof settingsShape, unknown>>;

/**
 * Checks every setting in `context` (the whole CDK context: feature flags and other keys are
 * ignored, near-misses of ours such as `secretARN` rejected) and returns the typed configuration,
 * or throws a `StackConfigError` listing each problem with the setting it concerns.
 */
export function resolveStackConfig(context: StackConfigInput & Record<string, unknown> = {}): StackConfig {
  const result = stackConfigSchema.safeParse(context);
  const issues = [
    ...misspeltSettings(Object.keys(context), Object.keys(settingsShape)),
    ...(result.success ? [] : toSettingIssues(result.error.issues)),
  ];
  if (!result.success || issues.length > 0) throw new StackConfigError(issues);
  return result.data;
}

/** The region and account named in an ARN (`arn:partition:service:region:account:...`). */
export function arnRegionAndAccount(arn: string): { readonly region: string; readonly account: string } {
  const [, , , region = '', account = ''] = arn.split(':');
  return { region, account };
}
