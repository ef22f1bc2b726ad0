/**
 * The resend function with our defaults baked in: Node.js 24 on arm64, an ESM bundle built by the
 * local esbuild with the AWS SDK inside it, source maps, a log group with a retention, reserved
 * concurrency, and an asynchronous-invocation failure queue so that nothing accepted is dropped.
 *
 * The DigiCert API key secret is attached with `bindApiKeySecret()`, which sets
 * `DIGICERT_API_KEY_SECRET_ID` and grants `secretsmanager:GetSecretValue` on that same secret in
 * one call, so the variable and the permission cannot drift apart.
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LogLevel as EsbuildLogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import {
  DEPLOYMENT_DEFAULTS,
  DIGICERT_RATE_LIMITS,
  ENV,
  FUNCTION_DEFAULTS,
  type LogLevel,
} from '../../functions/shared/contract.js';
import { LAMBDA_ENTRY, NODEJS_FUNCTION_BUNDLING } from '../../tools/bundle-options.js';
import { DeadLetterQueue, SendOnlyQueueDestination } from './dead-letter-queue.js';

/** Repository root, found from this file so synth works from any working directory. */
export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The deployed entry point (STYLE.md: one entry file per function). */
export const DEFAULT_ENTRY = path.join(PROJECT_ROOT, LAMBDA_ENTRY);

export type FunctionLogLevel = LogLevel;

export interface ResendFunctionProps {
  /**
   * The handler entry file.
   * @default functions/resend-dcv-emails/handler.ts
   */
  readonly entry?: string;
  /**
   * Memory in MB. Measured with `npm run bench`: the function's RSS stays under 100 MB after
   * 10,000 invocations (about 90 MB, half of it the Node binary's own pages), so 256 MB leaves
   * room for a 500-order batch's state and the runtime. Lambda gives CPU in proportion to memory:
   * more memory shortens the cold start (module loading is CPU-bound) at a higher price per ms.
   * @default 256
   */
  readonly memorySize?: number;
  /**
   * Function timeout. A 500-order batch needs at least 25 s under DigiCert's 100-per-5-s limit,
   * plus DigiCert's own latency and backed-off retries of 429/5xx answers; 5 minutes leaves room
   * for that while still bounding a stuck invocation. HTTP requests are cut at 28 s by the
   * handler itself (API Gateway waits 30 s).
   * @default Duration.minutes(5)
   */
  readonly timeout?: Duration;
  /**
   * Reserved concurrency: the most copies that can run at once, so a runaway caller cannot use up
   * the DigiCert API key's rate limit (shared by every user of the key). Each copy's rate limiter
   * gets an equal share of `digicertRateLimits`, so all copies together stay under DigiCert's
   * limits. `'none'` leaves the function on the account's unreserved pool (needed on accounts with
   * a low concurrency quota) and gives every copy the whole limit: DigiCert may then answer 429.
   * @default 2 (each copy: 50 requests per 5 s, 500 per 3 min; a 500-order batch fits one copy's share)
   */
  readonly reservedConcurrentExecutions?: number | 'none';
  /**
   * DigiCert's request limits for the API key, divided among the copies of the function (see
   * `reservedConcurrentExecutions`). Lower them when other tools use the same key.
   * @default { per5Seconds: 100, per3Minutes: 1000 }, DigiCert's documented limits
   */
  readonly digicertRateLimits?: DigiCertRateLimits;
  /**
   * DigiCert Services API base URL (`DIGICERT_BASE_URL`).
   * @default FUNCTION_DEFAULTS.digicertBaseUrl (DigiCert US)
   */
  readonly digicertBaseUrl?: string;
  /**
   * Time allowed for one DigiCert attempt (`DIGICERT_TIMEOUT_MS`).
   * @default Duration.seconds(10)
   */
  readonly digicertTimeout?: Duration;
  /**
   * How long a fetched API key is reused (`SECRET_CACHE_TTL_SECONDS`): a rotated key is picked up
   * within this time, and at most one Secrets Manager call is made per container per period.
   * @default Duration.minutes(5)
   */
  readonly secretCacheTtl?: Duration;
  /**
   * `LOG_LEVEL` of the function's own JSON logger.
   * @default 'info'
   */
  readonly logLevel?: FunctionLogLevel;
  /**
   * The `Service` dimension of the function's metrics (`SERVICE_NAME`): one per deployment, so that
   * two stacks in one account keep their graphs apart.
   * @default 'dcv-resend'
   */
  readonly serviceName?: string;
  /**
   * Retention of the function's log group.
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to the log group and the failure queue when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Lambda's retries of a failed asynchronous invocation (Scheduler, `aws lambda invoke
   * --invocation-type Event`) before the event goes to the failure queue.
   * @default 2
   */
  readonly asyncRetryAttempts?: number;
  /**
   * How long Lambda keeps an asynchronous event (including while throttled) before it goes to the
   * failure queue.
   * @default Duration.hours(6), the Lambda maximum
   */
  readonly asyncMaxEventAge?: Duration;
  /**
   * The secret holding the DigiCert API key; the same as calling `bindApiKeySecret()`.
   * @default - none; call `bindApiKeySecret()` before synth
   */
  readonly apiKeySecret?: secretsmanager.ISecret;
  /**
   * The customer-managed KMS key that encrypts `apiKeySecret`, if it is not the AWS-managed key.
   * @default - the secret's own `encryptionKey`, if any
   */
  readonly apiKeySecretEncryptionKey?: kms.IKey;
}

/** DigiCert's per-key request limits (rolling windows). */
export interface DigiCertRateLimits {
  readonly per5Seconds: number;
  readonly per3Minutes: number;
}

/** One copy's share of the key's limits when `copies` may run at once (at least 1 request). */
export function rateLimitShare(limits: DigiCertRateLimits, copies: number): DigiCertRateLimits {
  return {
    per5Seconds: Math.max(1, Math.floor(limits.per5Seconds / copies)),
    per3Minutes: Math.max(1, Math.floor(limits.per3Minutes / copies)),
  };
}

/** Options of {@link ResendFunction.bindApiKeySecret}. */
export interface BindApiKeySecretOptions {
  /**
   * The customer-managed KMS key that encrypts the secret; the function may decrypt with it only
   * through Secrets Manager.
   * @default - the secret's own `encryptionKey`, if any (none for the AWS-managed key)
   */
  readonly encryptionKey?: kms.IKey;
}

/** The resend Lambda function, its least-privilege role, its log group and its failure queue. */
export class ResendFunction extends Construct {
  /** The Lambda function. */
  readonly function: NodejsFunction;
  /** The execution role: logs, the bound secret, the failure queue; nothing else. */
  readonly role: iam.Role;
  /** Where the function writes its logs. */
  readonly logGroup: logs.LogGroup;
  /**
   * Asynchronous invocations that failed after every retry (the on-failure destination), and the
   * orders of the bulk queue that ended refused or invalid (`FAILURE_QUEUE_URL`).
   */
  readonly failureQueue: DeadLetterQueue;
  /** The `Service` dimension of the function's metrics. */
  readonly serviceName: string;
  private boundSecret: secretsmanager.ISecret | undefined;

  constructor(scope: Construct, id: string, props: ResendFunctionProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.serviceName = props.serviceName ?? FUNCTION_DEFAULTS.serviceName;

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description:
        'dcv-resend function: write its logs, read the DigiCert API key secret, record failed events',
    });
    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? DEPLOYMENT_DEFAULTS.logRetentionDays,
      removalPolicy,
    });
    this.logGroup.grantWrite(this.role);
    this.failureQueue = new DeadLetterQueue(this, 'FailureQueue', {
      purpose: 'asynchronous invocations that failed after Lambda retried them',
      removalPolicy,
    });

    const concurrency = props.reservedConcurrentExecutions ?? DEPLOYMENT_DEFAULTS.reservedConcurrency;
    const share = rateLimitShare(
      props.digicertRateLimits ?? DIGICERT_RATE_LIMITS,
      concurrency === 'none' ? 1 : concurrency,
    );
    this.function = new NodejsFunction(this, 'Function', {
      description: 'Resends DigiCert domain-control-validation e-mails (dcv-resend)',
      entry: props.entry ?? DEFAULT_ENTRY,
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? DEPLOYMENT_DEFAULTS.memorySize,
      timeout: props.timeout ?? Duration.seconds(DEPLOYMENT_DEFAULTS.functionTimeoutSeconds),
      reservedConcurrentExecutions: concurrency === 'none' ? undefined : concurrency,
      role: this.role,
      logGroup: this.logGroup,
      retryAttempts: props.asyncRetryAttempts ?? DEPLOYMENT_DEFAULTS.asyncRetryAttempts,
      maxEventAge: props.asyncMaxEventAge ?? Duration.seconds(DEPLOYMENT_DEFAULTS.asyncMaxEventAgeSeconds),
      onFailure: new SendOnlyQueueDestination(this.failureQueue.queue),
      environment: {
        [ENV.DIGICERT_BASE_URL]: props.digicertBaseUrl ?? FUNCTION_DEFAULTS.digicertBaseUrl,
        [ENV.DIGICERT_TIMEOUT_MS]: String(
          (props.digicertTimeout ?? Duration.millis(FUNCTION_DEFAULTS.digicertTimeoutMs)).toMilliseconds(),
        ),
        [ENV.SECRET_CACHE_TTL_SECONDS]: String(
          (props.secretCacheTtl ?? Duration.seconds(FUNCTION_DEFAULTS.secretCacheTtlSeconds)).toSeconds(),
        ),
        [ENV.LOG_LEVEL]: props.logLevel ?? FUNCTION_DEFAULTS.logLevel,
        [ENV.SERVICE_NAME]: this.serviceName,
        [ENV.DIGICERT_RATE_LIMIT_PER_5S]: String(share.per5Seconds),
        [ENV.DIGICERT_RATE_LIMIT_PER_3MIN]: String(share.per3Minutes),
        [ENV.NODE_OPTIONS]: FUNCTION_DEFAULTS.nodeOptions,
        // Queue consumers write refused and invalid orders here (docs/contract.md §8), with the same
        // `sqs:SendMessage` right that Lambda's on-failure destination uses.
        [ENV.FAILURE_QUEUE_URL]: this.failureQueue.queue.queueUrl,
      },
      // The same build the benchmark measures (tools/bundle-options.ts): ESM, minified, source
      // maps, the AWS SDK bundled and pinned, esbuild run locally.
      bundling: {
        ...NODEJS_FUNCTION_BUNDLING,
        format: OutputFormat.ESM,
        forceDockerBundling: false,
        logLevel: EsbuildLogLevel.WARNING,
      },
    });

    this.node.addValidation({
      validate: () =>
        this.boundSecret
          ? []
          : ['ResendFunction has no DigiCert API key secret: pass apiKeySecret or call bindApiKeySecret()'],
    });
    if (props.apiKeySecret) {
      this.bindApiKeySecret(
        props.apiKeySecret,
        props.apiKeySecretEncryptionKey ? { encryptionKey: props.apiKeySecretEncryptionKey } : {},
      );
    }
  }

  /**
   * Points the function at the secret holding the DigiCert API key: sets
   * `DIGICERT_API_KEY_SECRET_ID` to its ARN and allows `secretsmanager:GetSecretValue` on exactly
   * that secret (plus `kms:Decrypt` through Secrets Manager when a customer-managed key encrypts
   * it). One function reads one secret, so a second call throws.
   */
  bindApiKeySecret(secret: secretsmanager.ISecret, options: BindApiKeySecretOptions = {}): void {
    if (this.boundSecret) {
      throw new Error(
        'ResendFunction already reads an API key secret; one function reads exactly one secret',
      );
    }
    this.boundSecret = secret;
    this.function.addEnvironment(ENV.DIGICERT_API_KEY_SECRET_ID, secret.secretArn);
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadDigiCertApiKey',
        actions: ['secretsmanager:GetSecretValue'],
        resources: [secret.secretArn],
      }),
    );
    const key = options.encryptionKey ?? secret.encryptionKey;
    if (key) {
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'DecryptDigiCertApiKey',
          actions: ['kms:Decrypt'],
          resources: [key.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${Aws.REGION}.amazonaws.com` } },
        }),
      );
    }
  }
}
