/**
 * Lambda entry for resending DigiCert DCV emails. Accepts API Gateway HTTP API (2.0) and REST
 * (1.0) proxy events, direct invocations, EventBridge Scheduler inputs and EventBridge events.
 * The runtime is built once per container, on first use (nothing at import that the first call
 * does not need); a bad environment is reported to every caller as a `ConfigurationError` naming
 * the variable.
 */
import { createHandler } from '../shared/entry.js';
import { createRuntime, type Runtime } from '../shared/runtime.js';

/**
 * The variables the runtime is built from. Lambda never changes them within a container; a local
 * harness that does (tests pointing the function at a new stand-in) gets a runtime rebuilt for them
 * instead of one silently configured for the old values.
 */
const WATCHED = [
  'DIGICERT_API_KEY_SECRET_ID',
  'DIGICERT_BASE_URL',
  'DIGICERT_TIMEOUT_MS',
  'DIGICERT_MAX_ATTEMPTS',
  'DIGICERT_RATE_LIMIT_PER_5S',
  'DIGICERT_RATE_LIMIT_PER_3MIN',
  'SECRET_CACHE_TTL_SECONDS',
  'STATE_TABLE_NAME',
  'IDEMPOTENCY_TTL_SECONDS',
  'LOG_LEVEL',
  'SERVICE_NAME',
  'AWS_REGION',
  'AWS_ENDPOINT_URL',
  'AWS_ENDPOINT_URL_SECRETS_MANAGER',
  'AWS_ENDPOINT_URL_DYNAMODB',
] as const;

let built: { readonly key: string; readonly runtime: Runtime } | undefined;

function getRuntime(): Runtime {
  const env = process.env;
  let key = '';
  for (const name of WATCHED) key += `${env[name] ?? ''}\u0000`;
  if (built?.key !== key) built = { key, runtime: createRuntime(env) };
  return built.runtime;
}

export const handler = createHandler(getRuntime);
