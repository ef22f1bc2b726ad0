/**
 * The resend function with our defaults baked in: Node.js 24 on arm64, an ESM bundle built by the
 * local esbuild with the AWS SDK inside it (`tools/bundle-options.ts`: `index.mjs` and the chunks
 * it imports), source maps, a log group with a retention, reserved concurrency, and an
 * asynchronous-invocation failure queue so that nothing accepted is dropped.
 *
 * The DigiCert API key secret is attached with `bindApiKeySecret()`, which sets
 * `DIGICERT_API_KEY_SECRET_ID` and grants `secretsmanager:GetSecretValue` on that same secret in
 * one call, so the variable and the permission cannot drift apart.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Arn,
  AssetHashType,
  Aws,
  DockerImage,
  Duration,
  RemovalPolicy,
  Stack,
  Validations,
} from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  type DcvPrecheckMode,
  DEPLOYED_RUNTIME_ENV,
  DEPLOYMENT_DEFAULTS,
  type DnsDcvTxtName,
  ENV,
  type EnvVar,
  FUNCTION_DEFAULTS,
  type LogLevel,
  type SweepPolicy,
} from '../../functions/app/contract.js';
import { BUNDLE_FILE, LAMBDA_ENTRY } from '../../tools/bundle-options.js';
import { DeadLetterQueue, SendOnlyQueueDestination } from './dead-letter-queue.js';

/** Repository root, found from this file so synth works from any working directory. */
export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The deployed entry point: one entry file per function. */
export const DEFAULT_ENTRY = path.join(PROJECT_ROOT, LAMBDA_ENTRY);

export type FunctionLogLevel = LogLevel;

export interface ResendFunctionProps {
  /**
   * The handler entry file.
   * @default functions/resend-dcv-emails/handler.ts
   */
  readonly entry?: string;
  /**
   * Memory in MB: room for a 500-order batch's state beside the runtime (`npm run bench -- --only=memory`
   * reports the RSS). Lambda gives CPU in proportion to memory: more memory shortens the cold start (module
   * loading is CPU-bound) at a higher price per ms.
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
   * Reserved concurrency: the most copies that can run at once. The DigiCert budget is shared by all
   * copies through the state table (docs/contract.md §7), so this no longer protects DigiCert; it
   * makes room for callers. Choose it so that an HTTP caller is never throttled by Lambda (which API
   * Gateway turns into a 500): at least the API's burst plus its rate times the 28 s an HTTP
   * invocation can last, plus room for schedules and direct invocations (docs/deploy.md). It is also
   * the divisor of the per-copy share used while the state table cannot be reached
   * (`DIGICERT_RATE_LIMIT_SHARE_DIVISOR`). `'none'` leaves the function on the account's
   * unreserved pool; with no known bound on copies, DigiCert is then not called while the table
   * cannot be reached.
   * @default 80 (the API's default burst 10 + 2 per second x 28 s = 66 HTTP invocations, plus 14)
   */
  readonly reservedConcurrentExecutions?: number | 'none';
  /**
   * The budget of DigiCert requests for all copies together (`DIGICERT_RATE_LIMIT_PER_5S`,
   * `DIGICERT_RATE_LIMIT_PER_3MIN`). Lower it when other tools use the same key.
   * A window left out keeps its default (always written, next to the divisor of the fallback share).
   * @default { per5Seconds: 90, per3Minutes: 900 }, DigiCert's 100 and 1000 less headroom
   */
  readonly digicertRateLimits?: Partial<DigiCertRateLimits>;
  /**
   * What the DCV pre-check does on a resend (`DCV_PRECHECK`, docs/contract.md §9).
   * @default - unset: the function's default, `warn`
   */
  readonly dcvPrecheck?: DcvPrecheckMode;
  /**
   * What the pending-DCV sweep does and how hard it may push (`DCV_SWEEP_*`, docs/contract.md §11).
   * Each part left out stays unset, so the function's default applies.
   * @default - all unset: `report`, resend after 24 h, 72 h cooldown, half the budget
   */
  readonly sweep?: SweepProps;
  /**
   * Resolvers for the pre-check (`DNS_SERVERS`), `ip[:port]` each.
   * @default - unset: the system's resolvers
   */
  readonly dnsServers?: readonly string[];
  /**
   * How long a delivery is remembered (`IDEMPOTENCY_TTL_SECONDS`); keep it over Lambda's 6-hour
   * asynchronous retry window.
   * @default - unset: the function's default, 1 day
   */
  readonly idempotencyTtl?: Duration;
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

/** The pending-DCV sweep's variables (docs/contract.md §11). */
export interface SweepProps {
  /**
   * `report`, `resend` or `migrate` (`DCV_SWEEP_POLICY`).
   * @default - unset: the function's `report`
   */
  readonly policy?: SweepPolicy;
  /**
   * How long a pending email-DCV order waits before the sweep resends it, whole hours
   * (`DCV_SWEEP_RESEND_AFTER_HOURS`).
   * @default - unset: the function's 24 hours
   */
  readonly resendAfter?: Duration;
  /**
   * The least time between two sweep actions on one order, whole hours (`DCV_SWEEP_COOLDOWN_HOURS`).
   * @default - unset: the function's 72 hours
   */
  readonly cooldown?: Duration;
  /**
   * The most of the rate budget a sweep may hold, 0.01 to 1 (`DCV_SWEEP_BUDGET_SHARE`).
   * @default - unset: the function's 0.5
   */
  readonly budgetShare?: number;
}

/** DigiCert's per-key request limits (rolling windows). */
export interface DigiCertRateLimits {
  readonly per5Seconds: number;
  readonly per3Minutes: number;
}

/** The default budget (docs/contract.md §4): DigiCert's documented 100 and 1000 less headroom for other tools. */
export const DEFAULT_RATE_BUDGET: DigiCertRateLimits = {
  per5Seconds: FUNCTION_DEFAULTS.rateLimitPer5s,
  per3Minutes: FUNCTION_DEFAULTS.rateLimitPer3Min,
};

/** Options of {@link ResendFunction.bindApiKeySecret}. */
export interface BindApiKeySecretOptions {
  /**
   * The customer-managed KMS key that encrypts the secret; the function may decrypt with it only
   * through Secrets Manager.
   * @default - the secret's own `encryptionKey`, if any (none for the AWS-managed key)
   */
  readonly encryptionKey?: kms.IKey;
}

/**
 * The function's code: the bundle directory `tools/build-bundle.ts` writes (`index.mjs`, its chunks
 * and their source maps), the same build the benchmark measures and the tests run. `NodejsFunction`
 * cannot produce it (it always passes esbuild one `--outfile`, which rules out code splitting), so
 * the asset bundles itself, locally: the Docker image is never used, because the local build either
 * succeeds or fails the synth. Hashed by its output, like `NodejsFunction`'s asset; tests that skip
 * bundling (`aws:cdk:bundling-stacks`) skip this build too.
 */
function bundledCode(entry: string): lambda.Code {
  return lambda.Code.fromAsset(path.dirname(entry), {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      image: DockerImage.fromRegistry('dcv-resend-local-esbuild-only'),
      local: {
        tryBundle(outputDir) {
          const built = spawnSync(
            process.execPath,
            ['--import', 'tsx', path.join(PROJECT_ROOT, 'tools', 'build-bundle.ts'), outputDir, entry],
            { cwd: PROJECT_ROOT, encoding: 'utf8', stdio: ['ignore', 'inherit', 'pipe'], timeout: 300_000 },
          );
          if (built.status !== 0) {
            throw new Error(
              `Bundling ${path.relative(PROJECT_ROOT, entry)} failed (tools/build-bundle.ts exited ${String(built.status ?? built.signal)}):\n${built.stderr}`,
            );
          }
          // esbuild's warnings, passed on as the CLI shows bundling output.
          if (built.stderr) process.stderr.write(built.stderr);
          return true;
        },
      },
    },
  });
}

/** What {@link ResendFunction.bindDnsDcv} needs: the workflow and where the records may go. */
export interface DnsDcvBinding {
  /** The DNS-DCV state machine's ARN (`DNS_DCV_STATE_MACHINE_ARN`), written without a reference to it. */
  readonly stateMachineArn: string;
  /** `arn:...:execution:<state machine name>:*`. */
  readonly executionsArn: string;
  /**
   * The hosted zones the function may write DCV records in (`DNS_DCV_HOSTED_ZONE_IDS`).
   * @default - none: no Route 53 write at all; the function answers with the records to publish by hand
   */
  readonly hostedZoneIds?: readonly string[];
  /**
   * Where a TXT value goes (`DNS_DCV_TXT_NAME`).
   * @default - unset: the function's `domain`
   */
  readonly txtName?: DnsDcvTxtName;
  /**
   * A role in the zones' account to assume (`DNS_DCV_ROLE_ARN`): the function may assume it and
   * gets no Route 53 right in this account.
   * @default - the zones are in this account
   */
  readonly roleArn?: string;
}

/**
 * Route 53 changes the function makes (`functions/aws/route53/records.ts`): an atomic DELETE of the set
 * read plus a CREATE of the new set, of TXT (the value, or next to SPF) and CNAME records only.
 */
export const DNS_DCV_RECORD_TYPES = ['TXT', 'CNAME'] as const;
export const DNS_DCV_CHANGE_ACTIONS = ['CREATE', 'DELETE'] as const;

/** The ARN of a hosted zone (Route 53 ARNs have no region or account). */
function hostedZoneArn(scope: Construct, zoneId: string): string {
  return Arn.format(
    { service: 'route53', region: '', account: '', resource: 'hostedzone', resourceName: zoneId },
    Stack.of(scope),
  );
}

/** The DynamoDB actions the function needs on its state table, and no more. */
export const STATE_TABLE_ACTIONS = [
  'dynamodb:BatchGetItem',
  'dynamodb:DeleteItem',
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
] as const;

/** The `DCV_SWEEP_*` variables of the parts chosen; the others stay unset (the function's defaults). */
function sweepEnvironment(sweep: SweepProps = {}): Partial<Record<EnvVar, string>> {
  return {
    ...(sweep.policy ? { [ENV.DCV_SWEEP_POLICY]: sweep.policy } : {}),
    ...(sweep.resendAfter ? { [ENV.DCV_SWEEP_RESEND_AFTER_HOURS]: String(sweep.resendAfter.toHours()) } : {}),
    ...(sweep.cooldown ? { [ENV.DCV_SWEEP_COOLDOWN_HOURS]: String(sweep.cooldown.toHours()) } : {}),
    ...(sweep.budgetShare === undefined ? {} : { [ENV.DCV_SWEEP_BUDGET_SHARE]: String(sweep.budgetShare) }),
  };
}

/** The resend Lambda function, its least-privilege role, its log group and its failure queue. */
export class ResendFunction extends Construct {
  /** The Lambda function. */
  readonly function: lambda.Function;
  /** The execution role: logs, the bound secret, table and bulk queue, the failure queues; nothing else. */
  readonly role: iam.Role;
  /** Where the function writes its logs. */
  readonly logGroup: logs.LogGroup;
  /** The orders of the bulk queue that ended refused or invalid (`FAILURE_QUEUE_URL`). */
  readonly failureQueue: DeadLetterQueue;
  /**
   * Asynchronous invocations that failed after every retry (Lambda's on-failure destination): a
   * queue of its own, so that a failed event and a routine refusal are told apart (and alarmed on
   * apart).
   */
  readonly asyncFailureQueue: DeadLetterQueue;
  /** The `Service` dimension of the function's metrics. */
  readonly serviceName: string;
  private boundSecret: secretsmanager.ISecret | undefined;
  private boundStateTable: dynamodb.ITable | undefined;
  private boundOrdersQueue: sqs.IQueue | undefined;
  private boundDnsDcv: DnsDcvBinding | undefined;

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
      purpose: 'queued orders that DigiCert refused or that were invalid, with their reason',
      removalPolicy,
    });
    this.asyncFailureQueue = new DeadLetterQueue(this, 'AsyncFailureQueue', {
      purpose: 'asynchronous invocations that failed after Lambda retried them',
      removalPolicy,
    });

    const concurrency = props.reservedConcurrentExecutions ?? DEPLOYMENT_DEFAULTS.reservedConcurrency;
    const budget = {
      per5Seconds: props.digicertRateLimits?.per5Seconds ?? DEFAULT_RATE_BUDGET.per5Seconds,
      per3Minutes: props.digicertRateLimits?.per3Minutes ?? DEFAULT_RATE_BUDGET.per3Minutes,
    };
    this.function = new lambda.Function(this, 'Function', {
      description: 'Resends DigiCert domain-control-validation e-mails (dcv-resend)',
      code: bundledCode(props.entry ?? DEFAULT_ENTRY),
      handler: `${path.basename(BUNDLE_FILE, '.mjs')}.handler`,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? DEPLOYMENT_DEFAULTS.memorySize,
      timeout: props.timeout ?? Duration.seconds(DEPLOYMENT_DEFAULTS.functionTimeoutSeconds),
      reservedConcurrentExecutions: concurrency === 'none' ? undefined : concurrency,
      role: this.role,
      logGroup: this.logGroup,
      retryAttempts: props.asyncRetryAttempts ?? DEPLOYMENT_DEFAULTS.asyncRetryAttempts,
      maxEventAge: props.asyncMaxEventAge ?? Duration.seconds(DEPLOYMENT_DEFAULTS.asyncMaxEventAgeSeconds),
      onFailure: new SendOnlyQueueDestination(this.asyncFailureQueue.queue),
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
        // Unset unless chosen: the function's own defaults then apply.
        ...(props.dcvPrecheck ? { [ENV.DCV_PRECHECK]: props.dcvPrecheck } : {}),
        ...(props.dnsServers?.length ? { [ENV.DNS_SERVERS]: props.dnsServers.join(',') } : {}),
        ...(props.idempotencyTtl
          ? { [ENV.IDEMPOTENCY_TTL_SECONDS]: String(props.idempotencyTtl.toSeconds()) }
          : {}),
        ...sweepEnvironment(props.sweep),
        // The budget of all copies together; each copy takes its slots from the state table.
        [ENV.DIGICERT_RATE_LIMIT_PER_5S]: String(budget.per5Seconds),
        [ENV.DIGICERT_RATE_LIMIT_PER_3MIN]: String(budget.per3Minutes),
        // While the table cannot be reached, each copy keeps to the budget divided by the most copies.
        ...(concurrency === 'none' ? {} : { [ENV.DIGICERT_RATE_LIMIT_SHARE_DIVISOR]: String(concurrency) }),
        // Queue consumers write refused and invalid orders here (docs/contract.md §8).
        [ENV.FAILURE_QUEUE_URL]: this.failureQueue.queue.queueUrl,
        // For glibc, not the function: fewer malloc arenas for V8's threads, a smaller RSS
        // (docs/deploy.md, "Runtime environment").
        ...DEPLOYED_RUNTIME_ENV,
      },
    });

    // `sqs:SendMessage` alone, as the on-failure destination grants it for its own queue.
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['sqs:SendMessage'],
        resources: [this.failureQueue.queue.queueArn],
      }),
    );

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
   * Points the function at its state table (docs/contract.md §4): sets `STATE_TABLE_NAME` to the
   * table's name and allows exactly the item actions the function uses on exactly that table:
   * idempotency records (Get, conditional Put, Update, Delete: Powertools' persistence layer) and
   * the shared rate budget (BatchGet, Update). No scans, queries or table-level actions.
   */
  bindStateTable(table: dynamodb.ITable): void {
    if (this.boundStateTable) {
      throw new Error('ResendFunction already has a state table; one function uses exactly one table');
    }
    this.boundStateTable = table;
    this.function.addEnvironment('STATE_TABLE_NAME', table.tableName);
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'UseStateTable',
        actions: [...STATE_TABLE_ACTIONS],
        resources: [table.tableArn],
      }),
    );
  }

  /**
   * Points the function at the bulk queue (docs/contract.md §8, §11): sets `ORDERS_QUEUE_URL` to
   * its URL and allows `sqs:SendMessage` on exactly that queue, which the sweep needs to queue its
   * pages and orders. (Draining it is the event source mapping's grant, not this one.)
   */
  bindOrdersQueue(queue: sqs.IQueue): void {
    if (this.boundOrdersQueue) {
      throw new Error('ResendFunction already has a bulk queue; one function writes to exactly one');
    }
    this.boundOrdersQueue = queue;
    this.function.addEnvironment(ENV.ORDERS_QUEUE_URL, queue.queueUrl);
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'SendToOrdersQueue',
        actions: ['sqs:SendMessage'],
        resources: [queue.queueArn],
      }),
    );
  }

  /**
   * Points the function at the DNS-DCV workflow and its zones (docs/contract.md §12), each variable
   * with its grant: `states:StartExecution` on exactly that state machine and
   * `states:DescribeExecution` on its executions (a second start for one order returns the running
   * one). With zones, `route53:ChangeResourceRecordSets` on exactly those zones, only CREATE and
   * DELETE of TXT and CNAME sets; reading their record sets; `GetChange` on changes and
   * `ListHostedZonesByName` on `*` (Route 53 offers nothing narrower for either). With a role, the
   * zones are in its account: `sts:AssumeRole` on that role and no Route 53 right here. Without
   * zones, no Route 53 right at all.
   */
  bindDnsDcv(binding: DnsDcvBinding): void {
    if (this.boundDnsDcv) {
      throw new Error('ResendFunction already runs a DNS-DCV workflow; one function starts exactly one');
    }
    this.boundDnsDcv = binding;
    const zones = binding.hostedZoneIds ?? [];
    if (binding.roleArn !== undefined && zones.length === 0) {
      throw new Error('A DNS-DCV role to assume is only used with hosted zones: give hostedZoneIds too');
    }
    this.function.addEnvironment(ENV.DNS_DCV_STATE_MACHINE_ARN, binding.stateMachineArn);
    if (zones.length > 0) this.function.addEnvironment(ENV.DNS_DCV_HOSTED_ZONE_IDS, zones.join(','));
    if (binding.txtName) this.function.addEnvironment(ENV.DNS_DCV_TXT_NAME, binding.txtName);
    if (binding.roleArn) this.function.addEnvironment(ENV.DNS_DCV_ROLE_ARN, binding.roleArn);

    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'StartDnsDcvWorkflow',
        actions: ['states:StartExecution'],
        resources: [binding.stateMachineArn],
      }),
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'DescribeDnsDcvExecutions',
        actions: ['states:DescribeExecution'],
        resources: [binding.executionsArn],
      }),
    );
    const acknowledge = (resource: string, reason: string) =>
      Validations.of(this.role).acknowledge({ id: `AwsSolutions-IAM5[Resource::${resource}]`, reason });
    acknowledge(
      this.nagResource(binding.executionsArn),
      'An execution ARN ends with the execution name, which the function chooses at start (dcv-<order>-<value>); the wildcard covers the executions of the DNS-DCV state machine only, and only to describe them.',
    );
    if (binding.roleArn) {
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'AssumeDnsDcvRole',
          actions: ['sts:AssumeRole'],
          resources: [binding.roleArn],
        }),
      );
      return;
    }
    if (zones.length === 0) return;
    const zoneArns = zones.map((id) => hostedZoneArn(this, id));
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ChangeDnsDcvRecords',
        actions: ['route53:ChangeResourceRecordSets'],
        resources: zoneArns,
        conditions: {
          'ForAllValues:StringEquals': {
            'route53:ChangeResourceRecordSetsRecordTypes': [...DNS_DCV_RECORD_TYPES],
            'route53:ChangeResourceRecordSetsActions': [...DNS_DCV_CHANGE_ACTIONS],
          },
        },
      }),
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadDnsDcvZones',
        actions: ['route53:ListResourceRecordSets'],
        resources: zoneArns,
      }),
    );
    const changes = `arn:${Aws.PARTITION}:route53:::change/*`;
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'WaitForDnsDcvChanges',
        actions: ['route53:GetChange'],
        resources: [changes],
      }),
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'FindDnsDcvZones',
        actions: ['route53:ListHostedZonesByName'],
        resources: ['*'],
      }),
    );
    acknowledge(
      this.nagResource(changes),
      "route53:GetChange takes a change id the function learns only from its own ChangeResourceRecordSets; Route 53 has no narrower resource than change/*, and GetChange only reads a change's status (PENDING or INSYNC).",
    );
    acknowledge(
      '*',
      'route53:ListHostedZonesByName supports no resource-level permission (Route 53 requires "*"); it lists zone names and ids, no records. The function uses it to find the longest matching zone and writes only in the configured zones.',
    );
  }

  /** A resource as cdk-nag names it in a granular acknowledgement id (`<AWS::Partition>` for tokens). */
  private nagResource(resource: string): string {
    const resolved: unknown = Stack.of(this).resolve(resource);
    if (typeof resolved === 'string') return resolved;
    const join = (resolved as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
    if (!join) throw new Error(`cannot name ${resource} for cdk-nag`);
    return join[1]
      .map((part) => {
        if (typeof part === 'string') return part;
        const ref = (part as { Ref?: string }).Ref;
        if (ref) return `<${ref}>`;
        throw new Error(`cannot name ${JSON.stringify(part)} for cdk-nag`);
      })
      .join(join[0]);
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
