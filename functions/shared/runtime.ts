/**
 * Wires the real adapters once per container: configuration, the Secrets Manager key provider,
 * the undici DigiCert client and the use case. Entry points receive a `Runtime`; tests build one
 * pointed at the local stand-ins, or pass fakes.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type ApiKeyProvider, SecretsManagerApiKeyProvider } from './adapters/api-key-provider.js';
import { type DigiCertClient, UndiciDigiCertClient } from './adapters/digicert-client.js';
import { type Config, type Env, loadConfig } from './config.js';
import {
  createResendUseCase,
  DEFAULT_RETRY_POLICY,
  type RateLimiter,
  type ResendUseCase,
  unlimited,
} from './domain/resend.js';
import { createTelemetry, type Telemetry } from './observability/invocation.js';
import { createLogger, type Logger, lambdaLogLevel, resolveLogLevel } from './observability/logger.js';

export const USER_AGENT = 'dcv-resend/0.1.0';

export interface Runtime {
  readonly config: Config;
  readonly resend: ResendUseCase;
  readonly logger: Logger;
  readonly apiKeys: ApiKeyProvider;
  readonly digicert: DigiCertClient;
  readonly limiter: RateLimiter;
  /** Logs and metrics settings and the container's counters (cold start, secret reads). */
  readonly telemetry: Telemetry;
}

export interface RuntimeOverrides {
  readonly apiKeys?: ApiKeyProvider;
  readonly digicert?: DigiCertClient;
  readonly limiter?: RateLimiter;
  readonly logger?: Logger;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Builds the runtime from the environment; throws `ConfigurationError` naming a bad variable. */
export function createRuntime(env: Env, overrides: RuntimeOverrides = {}): Runtime {
  const config = loadConfig(env);
  const logger = overrides.logger ?? createLogger({ level: resolveLogLevel(env) });
  const telemetry = createTelemetry({
    logger,
    service: env.SERVICE_NAME,
    lambdaLogLevel: lambdaLogLevel(env),
  });
  const apiKeys =
    overrides.apiKeys ??
    new SecretsManagerApiKeyProvider({
      // The SDK reads AWS_REGION and AWS_ENDPOINT_URL_SECRETS_MANAGER itself; it retries throttling
      // and transient errors with its standard strategy (3 attempts).
      client: new SecretsManagerClient({}),
      secretId: config.secretId,
      ttlMs: config.secretCacheTtlMs,
      onFetch: () => telemetry.container.secretRead(),
    });
  const digicert =
    overrides.digicert ??
    new UndiciDigiCertClient({ baseUrl: config.digicertBaseUrl, userAgent: USER_AGENT });
  const limiter = overrides.limiter ?? unlimited;
  const resend = createResendUseCase({
    apiKeys,
    digicert,
    limiter,
    retry: { ...DEFAULT_RETRY_POLICY, maxAttempts: config.maxAttempts },
    attemptTimeoutMs: config.digicertTimeoutMs,
    ...(overrides.sleep ? { sleep: overrides.sleep } : {}),
  });
  return { config, resend, logger, apiKeys, digicert, limiter, telemetry };
}
