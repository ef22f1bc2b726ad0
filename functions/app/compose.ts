/**
 * The composition root: wires the real adapters once per container, eagerly: configuration, the
 * Secrets Manager key provider, the undici DigiCert client, the rate limiter shared by every
 * invocation, the state table's pieces (`state.ts`, with `STATE_TABLE_NAME`) and the use case.
 * The state table's code is passed in rather than imported here, so that a container without a
 * table never loads it: the Lambda entry imports `state.ts` with the container when the table is
 * set; `runtime.ts` (tests, local servers, the CLI) always passes it.
 */
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SqsFailureQueue } from '../aws/failure-queue.js';
import type { StateTableEndpoint } from '../aws/state-table.js';
import type { DigiCertDnsDcv } from '../dcv/dns/digicert-dcv.js';
import type { DnsZones, WorkflowStarter } from '../dcv/dns/ports.js';
import type { StartDnsDcv } from '../dcv/dns/start.js';
import type { DnsDcvTasks } from '../dcv/dns/tasks.js';
import { createDcvEmailsQuery, type DcvEmailsQuery, type DigiCertDomainEmails } from '../dcv/emails-query.js';
import type { DcvDnsLookup } from '../dcv/precheck/check.js';
import { createPrecheckReporter } from '../dcv/precheck/report.js';
import { withDcvPrecheck } from '../dcv/precheck/resend.js';
import { createDcvStatusQuery, type DcvStatusQuery, type DigiCertOrderReader } from '../dcv/status.js';
import type { SweepLedger } from '../dcv/sweep/ledger.js';
import type { Sweep } from '../dcv/sweep/sweep.js';
import { UndiciDigiCertClient } from '../digicert/client.js';
import { NodeDnsLookup } from '../dns/lookup.js';
import type { ClientBounds } from '../lib/client-bounds.js';
import { createTelemetry, observeCurrentAttempt, type Telemetry } from '../observability/invocation.js';
import { createLogger, type Logger, lambdaLogLevel } from '../observability/logger.js';
import { shareOf, withinShare } from '../rate-limit/budget-share.js';
import { pauseOnRateLimited } from '../rate-limit/pause.js';
import { withLimiterRetryAfter } from '../rate-limit/retry-after.js';
import type { DynamoDbSender, SharedRateBudgetOptions } from '../rate-limit/shared-budget.js';
import { createSlidingWindowLimiter } from '../rate-limit/sliding-window.js';
import type { DigiCertCallDependencies } from '../resend/digicert-call.js';
import type { IdempotencyStore } from '../resend/idempotency.js';
import type { ApiKeyProvider, DigiCertClient, FailureQueue, RateLimiter } from '../resend/ports.js';
import { createResendUseCase, DEFAULT_RETRY_POLICY, type ResendUseCase } from '../resend/use-case.js';
import { SecretsManagerApiKeyProvider, type SecretValueReader } from '../secrets/api-key-provider.js';
import { fastSecretsManagerEligible, SigV4SecretsManagerClient } from '../secrets/secrets-manager-sigv4.js';
import type { DcvFeatures } from './compose-dcv.js';
import { type Config, type DcvConfig, type Env, loadConfig } from './config.js';
import { USER_AGENT } from './contract.js';

export interface Runtime {
  readonly config: Config;
  readonly resend: ResendUseCase;
  readonly logger: Logger;
  readonly apiKeys: ApiKeyProvider;
  readonly digicert: DigiCertClient;
  readonly limiter: RateLimiter;
  /** Where queue consumers record refused and invalid orders; absent without `FAILURE_QUEUE_URL`. */
  readonly failureQueue: FailureQueue | undefined;
  /** Logs and metrics settings and the container's counters (cold start, secret reads). */
  readonly telemetry: Telemetry;
  /** `DCV_PRECHECK` and `DNS_SERVERS` (docs/contract.md §9). */
  readonly dcvConfig: DcvConfig;
  /** The pre-check's DNS, shared by every invocation (its cache and circuit are per container). */
  readonly dns: DcvDnsLookup;
  /** `GET /domain/{domain}/dcv/emails`. */
  readonly dcvEmails: DcvEmailsQuery;
  /** An order's DCV status, `GET /order/certificate/{order_id}/dcv` (docs/contract.md §10). */
  readonly dcvStatus: DcvStatusQuery;
  /** The pending-DCV sweep (docs/contract.md §11), within its share of the budget. */
  readonly sweep: Sweep;
  /** Records deliveries (docs/contract.md §6); `undefined` without `STATE_TABLE_NAME` (no idempotency). */
  readonly idempotency: IdempotencyStore | undefined;
  /** DNS DCV (docs/contract.md §12): the start every way in calls, and the workflow's tasks. */
  readonly dnsDcv: { readonly start: StartDnsDcv; readonly tasks: DnsDcvTasks };
}

/** Builds the state table's pieces (`state.ts`'s `createState`); passed in, never imported here. */
export type StateFactory = (options: {
  readonly config: Config;
  readonly tableName: string;
  readonly logger: Logger;
  readonly overrides: RuntimeOverrides;
}) => {
  readonly limiter: RateLimiter | undefined;
  /** The sweep's share of the budget, kept in the table like the budget itself. */
  readonly sweepShare: RateLimiter | undefined;
  /** Route 53's requests per second (`DNS_DCV_ROUTE53_RATE_PER_S`), shared by every container the same way. */
  readonly route53Limiter: RateLimiter;
  readonly idempotency: IdempotencyStore;
  /**
   * The table itself, for the sweep's ledger (built with the sweep, on its first use): its SDK
   * client is loaded then, not with the container.
   */
  readonly stateTable: { readonly client: () => Promise<DynamoDbSender>; readonly tableName: string };
};

export interface RuntimeOverrides {
  readonly apiKeys?: ApiKeyProvider;
  readonly digicert?: DigiCertClient;
  readonly limiter?: RateLimiter;
  readonly failureQueue?: FailureQueue;
  readonly logger?: Logger;
  /** The pre-check's DNS. @default a `NodeDnsLookup` on `DNS_SERVERS` */
  readonly dns?: DcvDnsLookup;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Bounds on the Secrets Manager client (tests shorten them). @default SECRETS_MANAGER_BOUNDS */
  readonly secretsManager?: Partial<ClientBounds>;
  /** Bounds on the state table's DynamoDB client. @default STATE_TABLE_BOUNDS */
  readonly stateTable?: Partial<ClientBounds>;
  /**
   * The state table's endpoint: a fault stand-in (tests), or the table embedded in local runs with
   * its region and dummy credentials. @default the SDK's (AWS_ENDPOINT_URL_DYNAMODB)
   */
  readonly stateTableEndpoint?: string | StateTableEndpoint;
  /** The sweep's share of the budget (the bench scales its windows). @default from `DCV_SWEEP_BUDGET_SHARE` */
  readonly sweepShare?: RateLimiter;
  /** The sweep's ledger (the bench shares one between consumers). @default the state table's, else this process's */
  readonly sweepLedger?: SweepLedger;
  /** How long one order's claim lasts (tests shorten it). @default ORDER_CLAIM_MS */
  readonly orderClaimMs?: number;
  /** Shared budget settings (tests on a loaded machine give dynalite longer). @default the budget's */
  readonly sharedBudget?: Partial<SharedRateBudgetOptions>;
  /**
   * Where DNS-DCV workflows start: the local in-process runner (dev/local-workflow.ts).
   * @default Step Functions with `DNS_DCV_STATE_MACHINE_ARN`, else none (a start is refused)
   */
  readonly workflow?: WorkflowStarter;
  /** The hosted zones. @default Route 53 (with `DNS_DCV_ROLE_ARN`), built only when zones are configured */
  readonly dnsZones?: DnsZones;
  /**
   * Every Route 53 request's slot. @default the state table's budget (key prefix `route53-budget`),
   * else this container's sliding window, at `DNS_DCV_ROUTE53_RATE_PER_S` per second
   */
  readonly route53Limiter?: RateLimiter;
}

/**
 * The SDK's standard retry strategy retries throttling and transient errors (5xx, resets, timeouts)
 * with jittered backoff; these bounds keep a hung or throttling Secrets Manager from eating the
 * invocation: at most 3 attempts of at most 3 s each (a connection must open within 1 s), plus the
 * SDK's backoff (up to 1 s, then 2 s, for throttling). The use case also stops waiting for the key
 * at its own deadline.
 */
export const SECRETS_MANAGER_BOUNDS: ClientBounds = {
  maxAttempts: 3,
  connectionTimeoutMs: 1_000,
  requestTimeoutMs: 3_000,
};

/** Builds the runtime from the environment; throws `ConfigurationError` naming a bad variable. */
export function composeRuntime(
  env: Env,
  overrides: RuntimeOverrides = {},
  stateCode?: StateFactory,
): Runtime {
  const config = loadConfig(env);
  const dcvConfig = config.dcv;
  const logger = overrides.logger ?? createLogger({ level: config.logLevel });
  const telemetry = createTelemetry({
    logger,
    service: config.serviceName,
    lambdaLogLevel: lambdaLogLevel(env),
  });
  const apiKeys =
    overrides.apiKeys ??
    new SecretsManagerApiKeyProvider({
      // Like the SDK, from the process's AWS_REGION, credentials and AWS_ENDPOINT_URL_SECRETS_MANAGER.
      client: secretsManagerClient(process.env, { ...SECRETS_MANAGER_BOUNDS, ...overrides.secretsManager }),
      secretId: config.secretId,
      ttlMs: config.secretCacheTtlMs,
      onFetch: () => telemetry.container.secretRead(),
    });
  const digicert =
    overrides.digicert ??
    new UndiciDigiCertClient({ baseUrl: config.digicertBaseUrl, userAgent: USER_AGENT });
  // With a state table, its one DynamoDB client, the budget shared by every container
  // (docs/contract.md §7) and the idempotency store (§6). Without one, one limiter per container,
  // shared by every invocation it serves (DigiCert counts per key), and no idempotency.
  const tableName = config.stateTableName;
  if (tableName !== undefined && stateCode === undefined) {
    throw new Error('STATE_TABLE_NAME is set but the state table code was not loaded with the container');
  }
  const state =
    tableName === undefined || stateCode === undefined
      ? undefined
      : stateCode({ config, tableName, logger, overrides });
  const limiter =
    overrides.limiter ?? state?.limiter ?? createSlidingWindowLimiter({ windows: config.rateLimits });
  const idempotency = state?.idempotency;
  const onRateLimited = pauseOnRateLimited(limiter);
  const dns = overrides.dns ?? new NodeDnsLookup({ servers: dcvConfig.dnsServers });
  // Every DigiCert call, write or read, shares the key, the budget, the retries and the 429 pause.
  const calls: DigiCertCallDependencies = {
    apiKeys,
    limiter,
    retry: { ...DEFAULT_RETRY_POLICY, maxAttempts: config.maxAttempts },
    attemptTimeoutMs: config.digicertTimeoutMs,
    onAttempt: onRateLimited
      ? (attempt) => {
          onRateLimited(attempt);
          observeCurrentAttempt(attempt);
        }
      : observeCurrentAttempt,
    ...(overrides.sleep ? { sleep: overrides.sleep } : {}),
  };
  // A refusal's Retry-After says when its slot or the 429 pause really ends (docs/contract.md §7).
  const unchecked = withLimiterRetryAfter(createResendUseCase({ ...calls, digicert }), limiter);
  const resend = withDcvPrecheck(unchecked, {
    mode: dcvConfig.precheck,
    dns,
    report: createPrecheckReporter({
      logger,
      service: telemetry.service,
      documentLevel: telemetry.documentLevel,
    }),
  });
  // A test's fake client may implement the resend only: the reads then go to DigiCert's base URL.
  let reader: UndiciDigiCertClient | undefined;
  const undiciClient = () =>
    (reader ??= new UndiciDigiCertClient({ baseUrl: config.digicertBaseUrl, userAgent: USER_AGENT }));
  const orderReader = hasOrderReads(digicert) ? digicert : undiciClient();
  const dcvStatus = withLimiterRetryAfter(createDcvStatusQuery({ ...calls, digicert: orderReader }), limiter);
  // docs/contract.md §11: the sweep's requests take a slot of its share, then one of the budget.
  const sweepShare =
    overrides.sweepShare ??
    (overrides.limiter === undefined ? state?.sweepShare : undefined) ??
    createSlidingWindowLimiter({ windows: shareOf(config.rateLimits, config.sweep.budgetShare) });
  // The sweep and DNS DCV (docs/contract.md §11, §12) are wired on their first use, in their own
  // chunk: a cold HTTP resend never loads them (docs/performance.md, "Wave 3: what the sweep and
  // DNS DCV cost a cold start").
  let features: Promise<DcvFeatures> | undefined;
  const dcvFeatures = () =>
    (features ??= import('./compose-dcv.js')
      .then(async (module) =>
        module.composeDcvFeatures({
          config,
          calls,
          sweepCalls: { ...calls, limiter: withinShare(sweepShare, limiter) },
          digicert,
          orderReader,
          dnsDcvClient: hasDnsDcv(digicert) ? digicert : undiciClient(),
          idempotency,
          stateTable:
            state === undefined
              ? undefined
              : { client: await state.stateTable.client(), tableName: state.stateTable.tableName },
          // docs/contract.md §12: every Route 53 request of every container within 5 per second.
          route53Limiter: overrides.route53Limiter ?? state?.route53Limiter,
          overrides,
          logger,
          telemetry,
        }),
      )
      .catch((error: unknown) => {
        // A chunk or the state table's SDK client that could not be loaded is tried again next time.
        features = undefined;
        throw error;
      }));
  const sweep: Sweep = {
    start: async (request, options) => (await dcvFeatures()).sweep.start(request, options),
    work: async (message, options) => (await dcvFeatures()).sweep.work(message, options),
  };
  const task =
    (name: keyof DnsDcvTasks): DnsDcvTasks[keyof DnsDcvTasks] =>
    async (state, options) =>
      (await dcvFeatures()).dnsDcv.tasks[name](state, options);
  const dnsDcv: Runtime['dnsDcv'] = {
    start: async (orderId, method, options) => (await dcvFeatures()).dnsDcv.start(orderId, method, options),
    tasks: {
      publish: task('publish'),
      'change-status': task('change-status'),
      check: task('check'),
      cleanup: task('cleanup'),
    },
  };
  const dcvEmails = createDcvEmailsQuery({
    dns,
    digicert: hasDomainEmails(digicert) ? digicert : undiciClient(),
    apiKey: () => apiKeys.getApiKey(),
    limiter,
    attemptTimeoutMs: config.digicertTimeoutMs,
  });
  const failureQueue =
    overrides.failureQueue ??
    (config.failureQueueUrl === undefined
      ? undefined
      : new SqsFailureQueue({ queueUrl: config.failureQueueUrl }));
  return {
    config,
    resend,
    logger,
    apiKeys,
    digicert,
    limiter,
    failureQueue,
    telemetry,
    dcvConfig,
    dns,
    dcvEmails,
    dcvStatus,
    sweep,
    idempotency,
    dnsDcv,
  };
}

function hasOrderReads(client: DigiCertClient): client is DigiCertClient & DigiCertOrderReader {
  return typeof (client as Partial<DigiCertOrderReader>).orderInfo === 'function';
}

function hasDnsDcv(client: DigiCertClient): client is DigiCertClient & DigiCertDnsDcv {
  return typeof (client as Partial<DigiCertDnsDcv>).checkDcv === 'function';
}

function hasDomainEmails(client: DigiCertClient): client is DigiCertClient & DigiCertDomainEmails {
  return typeof (client as Partial<DigiCertDomainEmails>).domainDcvEmails === 'function';
}

/**
 * The key's reader: without the SDK where that is exactly what the SDK would do (Lambda's
 * environment: `fastSecretsManagerEligible`), which keeps the SDK's client off a cold start; else
 * the SDK's client, loaded and created on the first read.
 */
function secretsManagerClient(env: Env, bounds: ClientBounds): SecretValueReader {
  if (fastSecretsManagerEligible(env)) return new SigV4SecretsManagerClient(env, bounds);
  let client:
    | Promise<{ sdk: typeof import('../secrets/secrets-manager-sdk.js'); client: SecretsManagerClient }>
    | undefined;
  return {
    async readSecret(secretId) {
      client ??= import('../secrets/secrets-manager-sdk.js').then((sdk) => ({
        sdk,
        client: new sdk.SecretsManagerClient({
          maxAttempts: bounds.maxAttempts,
          requestHandler: {
            connectionTimeout: bounds.connectionTimeoutMs,
            requestTimeout: bounds.requestTimeoutMs,
            // Without this the SDK only logs a warning when requestTimeout passes, and keeps waiting.
            throwOnRequestTimeout: true,
          },
        }),
      }));
      const { sdk, client: sdkClient } = await client;
      return sdkClient.send(new sdk.GetSecretValueCommand({ SecretId: secretId }));
    },
  };
}
