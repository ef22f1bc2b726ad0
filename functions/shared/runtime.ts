/**
 * Wires the real adapters once per container: configuration, the Secrets Manager key provider,
 * the undici DigiCert client, the rate limiter shared by every invocation, and the use case.
 * Entry points receive a `Runtime`; tests build one pointed at the local stand-ins, or pass fakes.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type ApiKeyProvider, SecretsManagerApiKeyProvider } from './adapters/api-key-provider.js';
import { type DigiCertClient, UndiciDigiCertClient } from './adapters/digicert-client.js';
import { type Config, type Env, loadConfig } from './config.js';
import { createSlidingWindowLimiter } from './domain/rate-limiter.js';
import {
  createResendUseCase,
  DEFAULT_RETRY_POLICY,
  type RateLimiter,
  type ResendUseCase,
} from './domain/resend.js';
import { createLogger, type Logger, parseLogLevel } from './observability/logger.js';

export const USER_AGENT = 'dcv-resend/0.1.0';

export interface Runtime {
  readonly config: Config;
  readonly resend: ResendUseCase;
  readonly logger: Logger;
  readonly apiKeys: ApiKeyProvider;
  readonly digicert: DigiCertClient;
  readonly limiter: RateLimiter;
}

export interface RuntimeOverrides {
  readonly apiKeys?: ApiKeyProvider;
  readonly digicert?: DigiCertClient;
  readonly limiter?: RateLimiter;
  readonly logger?: Logger;
  readonly sleep?: (ms: number) => Promise<void>;
  /**
   * Multiplies the rate limiter's windows (tests: `0.1` turns "50 per 5 s" into "50 per 500 ms").
   * Ignored when `limiter` is given. @default 1
   */
  readonly rateLimitWindowScale?: number;
}

/** Builds the runtime from the environment; throws `ConfigurationError` naming a bad variable. */
export function createRuntime(env: Env, overrides: RuntimeOverrides = {}): Runtime {
  const config = loadConfig(env);
  const logger = overrides.logger ?? createLogger({ level: parseLogLevel(env.LOG_LEVEL) });
  const apiKeys =
    overrides.apiKeys ??
    new SecretsManagerApiKeyProvider({
      // The SDK reads AWS_REGION and AWS_ENDPOINT_URL_SECRETS_MANAGER itself; it retries throttling
      // and transient errors with its standard strategy (3 attempts).
      client: new SecretsManagerClient({}),
      secretId: config.secretId,
      ttlMs: config.secretCacheTtlMs,
    });
  const digicert =
    overrides.digicert ??
    new UndiciDigiCertClient({ baseUrl: config.digicertBaseUrl, userAgent: USER_AGENT });
  // One limiter per container, shared by every invocation it serves: DigiCert counts per key.
  const windowScale = overrides.rateLimitWindowScale ?? 1;
  const limiter =
    overrides.limiter ??
    createSlidingWindowLimiter({
      windows: config.rateLimits.map(({ limit, windowMs }) => ({ limit, windowMs: windowMs * windowScale })),
    });
  const resend = createResendUseCase({
    apiKeys,
    digicert,
    limiter,
    retry: { ...DEFAULT_RETRY_POLICY, maxAttempts: config.maxAttempts },
    attemptTimeoutMs: config.digicertTimeoutMs,
    ...(overrides.sleep ? { sleep: overrides.sleep } : {}),
  });
  return { config, resend, logger, apiKeys, digicert, limiter };
}
