/**
 * Wires the real adapters once per container: configuration, the Secrets Manager key provider,
 * the undici DigiCert client, the rate limiter shared by every invocation, and the use case.
 * Entry points receive a `Runtime`; tests build one pointed at the local stand-ins, or pass fakes.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretsManagerApiKeyProvider } from './adapters/api-key-provider.js';
import { UndiciDigiCertClient } from './adapters/digicert-client.js';
import { SqsFailureQueue } from './adapters/failure-queue.js';
import { type Config, type Env, loadConfig } from './config.js';
import { ENV, USER_AGENT } from './contract.js';
import type { ApiKeyProvider, DigiCertClient, FailureQueue, RateLimiter } from './domain/ports.js';
import { createSlidingWindowLimiter } from './domain/rate-limiter.js';
import { createResendUseCase, DEFAULT_RETRY_POLICY, type ResendUseCase } from './domain/resend.js';
import { createTelemetry, type Telemetry } from './observability/invocation.js';
import { createLogger, type Logger, lambdaLogLevel, resolveLogLevel } from './observability/logger.js';

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
}

export interface RuntimeOverrides {
  readonly apiKeys?: ApiKeyProvider;
  readonly digicert?: DigiCertClient;
  readonly limiter?: RateLimiter;
  readonly failureQueue?: FailureQueue;
  readonly logger?: Logger;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Bounds on the Secrets Manager client (tests shorten them). @default SECRETS_MANAGER_BOUNDS */
  readonly secretsManager?: Partial<SecretsManagerBounds>;
}

/** How long one key read may keep the caller: attempts (the first included) and per-attempt timeouts. */
export interface SecretsManagerBounds {
  readonly maxAttempts: number;
  readonly connectionTimeoutMs: number;
  readonly requestTimeoutMs: number;
}

/**
 * The SDK's standard retry strategy retries throttling and transient errors (5xx, resets, timeouts)
 * with jittered backoff; these bounds keep a hung or throttling Secrets Manager from eating the
 * invocation: at most 3 attempts of at most 3 s each (a connection must open within 1 s), plus the
 * SDK's backoff (up to 1 s, then 2 s, for throttling). The use case also stops waiting for the key
 * at its own deadline.
 */
export const SECRETS_MANAGER_BOUNDS: SecretsManagerBounds = {
  maxAttempts: 3,
  connectionTimeoutMs: 1_000,
  requestTimeoutMs: 3_000,
};

/** Builds the runtime from the environment; throws `ConfigurationError` naming a bad variable. */
export function createRuntime(env: Env, overrides: RuntimeOverrides = {}): Runtime {
  const config = loadConfig(env);
  const logger = overrides.logger ?? createLogger({ level: resolveLogLevel(env) });
  const telemetry = createTelemetry({
    logger,
    service: env[ENV.SERVICE_NAME],
    lambdaLogLevel: lambdaLogLevel(env),
  });
  const apiKeys =
    overrides.apiKeys ??
    new SecretsManagerApiKeyProvider({
      // The SDK reads AWS_REGION and AWS_ENDPOINT_URL_SECRETS_MANAGER itself.
      client: secretsManagerClient({ ...SECRETS_MANAGER_BOUNDS, ...overrides.secretsManager }),
      secretId: config.secretId,
      ttlMs: config.secretCacheTtlMs,
      onFetch: () => telemetry.container.secretRead(),
    });
  const digicert =
    overrides.digicert ??
    new UndiciDigiCertClient({ baseUrl: config.digicertBaseUrl, userAgent: USER_AGENT });
  // One limiter per container, shared by every invocation it serves: DigiCert counts per key.
  const limiter = overrides.limiter ?? createSlidingWindowLimiter({ windows: config.rateLimits });
  const resend = createResendUseCase({
    apiKeys,
    digicert,
    limiter,
    retry: { ...DEFAULT_RETRY_POLICY, maxAttempts: config.maxAttempts },
    attemptTimeoutMs: config.digicertTimeoutMs,
    ...(overrides.sleep ? { sleep: overrides.sleep } : {}),
  });
  const failureQueue =
    overrides.failureQueue ??
    (config.failureQueueUrl === undefined
      ? undefined
      : new SqsFailureQueue({ queueUrl: config.failureQueueUrl }));
  return { config, resend, logger, apiKeys, digicert, limiter, failureQueue, telemetry };
}

function secretsManagerClient(bounds: SecretsManagerBounds): SecretsManagerClient {
  return new SecretsManagerClient({
    maxAttempts: bounds.maxAttempts,
    requestHandler: {
      connectionTimeout: bounds.connectionTimeoutMs,
      requestTimeout: bounds.requestTimeoutMs,
      // Without this the SDK only logs a warning when requestTimeout passes, and keeps waiting.
      throwOnRequestTimeout: true,
    },
  });
}
