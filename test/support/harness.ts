/**
 * One place to stand up the real parts for a test: the DigiCert simulator, the Secrets Manager
 * stand-in (reached by the real SDK through `AWS_ENDPOINT_URL_SECRETS_MANAGER`), a runtime built
 * from environment variables exactly as in Lambda, and a handler whose log lines are captured.
 */

import { DigiCertSimulator, type SimulatorOptions } from '../../dev/digicert-simulator.js';
import { pointSdkAt } from '../../dev/sdk-endpoint.js';
import { SecretsManagerStandIn } from '../../dev/secrets-manager-standin.js';
import { createRuntime, type Runtime, type RuntimeOverrides } from '../../functions/app/runtime.js';
import { createLogger } from '../../functions/observability/logger.js';
import { createHandler, type Handler } from '../../functions/resend-dcv-emails/handler.js';

/** A recognisable key: any output line containing it is a leak. */
export const CANARY_KEY = 'CANARY-dcv-7f3a9c21e4b84d0f9a6b5c3d2e1f0a9b';
export const SECRET_NAME = 'dcv-resend/digicert-api-key';

export interface Harness {
  readonly simulator: DigiCertSimulator;
  readonly secrets: SecretsManagerStandIn;
  readonly env: Record<string, string>;
  /** Every log line written by runtimes built with `runtime()`. */
  readonly logs: string[];
  /** A fresh runtime (cold container) built from `env` plus `extraEnv`. */
  runtime(extraEnv?: Record<string, string>, overrides?: RuntimeOverrides): Runtime;
  /** A handler around a fresh runtime. */
  handler(extraEnv?: Record<string, string>, overrides?: RuntimeOverrides): Handler;
  /** Forget requests, scripts, calls and logs between tests. */
  reset(): void;
  close(): Promise<void>;
}

export { pointSdkAt };

export interface HarnessOptions {
  readonly simulator?: Partial<SimulatorOptions>;
  /** The secret's string value. @default the canary key, bare */
  readonly secretValue?: string;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const simulator = await DigiCertSimulator.start({ validKeys: [CANARY_KEY], ...options.simulator });
  const secrets = await SecretsManagerStandIn.start({ [SECRET_NAME]: options.secretValue ?? CANARY_KEY });
  pointSdkAt(secrets.endpoint);
  const env: Record<string, string> = {
    DIGICERT_API_KEY_SECRET_ID: SECRET_NAME,
    DIGICERT_BASE_URL: simulator.baseUrl,
    DIGICERT_TIMEOUT_MS: '2000',
    SECRET_CACHE_TTL_SECONDS: '300',
    // Loopback with nothing listening: the pre-check's lookups fail at once and never block.
    DNS_SERVERS: process.env.DNS_SERVERS ?? '127.0.0.1:9',
  };
  const logs: string[] = [];
  const runtime = (extraEnv: Record<string, string> = {}, overrides: RuntimeOverrides = {}) =>
    createRuntime(
      { ...env, ...extraEnv },
      {
        logger: createLogger({ level: 'debug', write: (line) => logs.push(line) }),
        // Tests never wait for real backoff: the retry decisions are what they check.
        sleep: () => Promise.resolve(),
        ...overrides,
      },
    );
  return {
    simulator,
    secrets,
    env,
    logs,
    runtime,
    handler: (extraEnv, overrides) => {
      const built = runtime(extraEnv, overrides);
      return createHandler(() => built);
    },
    reset: () => {
      simulator.reset();
      secrets.reset();
      logs.length = 0;
    },
    close: async () => {
      await Promise.all([simulator.close(), secrets.close()]);
    },
  };
}
