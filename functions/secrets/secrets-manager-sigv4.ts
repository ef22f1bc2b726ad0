/**
 * `GetSecretValue` without the AWS SDK client: one awsJson1_1 `POST`, signed by the SDK's own
 * `SignatureV4`, through an undici pool, for the cold start: creating the SDK's client and running
 * its first request (config resolution, middleware, endpoint rules, config-file lookups, Node's
 * `http` request, web streams) is a visible part of a cold HTTP resend ("Cold start profile" in
 * docs/performance.md), and undici is loaded for DigiCert anyway.
 *
 * It behaves as the SDK client it replaces (`runtime.ts`, `SECRETS_MANAGER_BOUNDS`): the same
 * endpoint variables, the standard retry strategy's attempts, backoff and retryable errors, the
 * per-attempt connection and request timeouts, the clock-skew correction, and errors of the same
 * `name`, `code` and `$metadata` that `api-key-provider.ts` classifies. It is used only where that is plain
 * (`fastSecretsManagerEligible`): credentials and region in the environment as Lambda sets them, the
 * `aws` partition or an explicit endpoint, no FIPS or dual-stack switch; anywhere else the SDK runs.
 */
import type { GetSecretValueCommandOutput } from '@aws-sdk/client-secrets-manager';
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Pool as PoolType } from 'undici';
import Pool from 'undici/lib/dispatcher/pool.js';
import { USER_AGENT } from '../app/contract.js';
import type { ClientBounds } from '../lib/client-bounds.js';
import { exchange } from '../lib/http-exchange.js';
import type { SecretValueReader } from './api-key-provider.js';

const SERVICE = 'secretsmanager';
const TARGET = 'secretsmanager.GetSecretValue';
const CONTENT_TYPE = 'application/x-amz-json-1.1';
/** Largest answer read: a secret is at most 64 KiB, 87 KiB as base64 `SecretBinary`, plus the JSON around it. */
const MAX_RESPONSE_BYTES = 1024 * 1024;
/** Regions of the `aws` partition, whose endpoint is `secretsmanager.<region>.amazonaws.com`. */
const AWS_PARTITION_REGION = /^(us|eu|ap|sa|ca|me|af|il|mx)-[a-z]+-\d+$/;

// The SDK's standard retry strategy (@smithy/core retry): which failures are retried, and how long
// it waits: a random delay up to 2^attempts × 100 ms, or × 500 ms after throttling, 20 s at most.
const THROTTLING = new Set([
  'BandwidthLimitExceeded',
  'EC2ThrottledException',
  'LimitExceededException',
  'PriorRequestNotComplete',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'ThrottledException',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'TransactionInProgressException',
]);
const TRANSIENT_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);
const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
const TRANSIENT_STATUSES = new Set([500, 502, 503, 504]);
const DELAY_BASE_MS = 100;
const THROTTLING_DELAY_BASE_MS = 500;
const MAX_DELAY_MS = 20_000;
// The SDK's clock-skew correction (@aws-sdk/core's AwsSdkSigV4Signer): every answer's `Date` sets the
// offset added to the clock when signing; an error answer that moves it by 4 minutes or more is
// retried (the retry strategy's `isClockSkewCorrectedError`).
const CLOCK_SKEW_THRESHOLD_MS = 240_000;
/** An answer that took longer than this says nothing reliable about the clock. */
const MAX_SAMPLE_ROUND_TRIP_MS = 900_000;

/**
 * Whether the SDK-free read does exactly what the SDK would in `env`: credentials in the environment
 * (Lambda's), a region of the `aws` partition or an endpoint given by variable, and none of the
 * switches that change the endpoint (FIPS, dual-stack, ignoring configured endpoints).
 */
export function fastSecretsManagerEligible(env: Readonly<Record<string, string | undefined>>): boolean {
  return sdkFreeEligible(env, 'AWS_ENDPOINT_URL_SECRETS_MANAGER');
}

/**
 * The same rule for any service's SDK-free client: `endpointVariable` is the service's own endpoint
 * variable (`AWS_ENDPOINT_URL_DYNAMODB` for the budget's signed client, `aws/signed-budget-table.ts`).
 */
export function sdkFreeEligible(
  env: Readonly<Record<string, string | undefined>>,
  endpointVariable: string,
): boolean {
  const set = (name: string) => (env[name] ?? '') !== '';
  if (!set('AWS_ACCESS_KEY_ID') || !set('AWS_SECRET_ACCESS_KEY') || !set('AWS_REGION')) return false;
  if (
    ['AWS_USE_FIPS_ENDPOINT', 'AWS_USE_DUALSTACK_ENDPOINT'].some((name) => (env[name] ?? 'false') !== 'false')
  )
    return false;
  if (set('AWS_IGNORE_CONFIGURED_ENDPOINT_URLS')) return false;
  const endpoint = env[endpointVariable] || env.AWS_ENDPOINT_URL;
  if (endpoint) return URL.canParse(endpoint);
  return AWS_PARTITION_REGION.test(env.AWS_REGION ?? '');
}

/** An error Secrets Manager answered, shaped as the SDK's service exceptions are (`name`, `$metadata`). */
export class SecretsManagerServiceError extends Error {
  readonly $fault: 'client' | 'server';
  readonly $metadata: {
    readonly httpStatusCode: number;
    readonly requestId: string | undefined;
    /** Set, as the SDK sets it, when this answer corrected the clock by 4 minutes or more. */
    clockSkewCorrected?: boolean;
  };

  constructor(name: string, message: string, status: number, requestId: string | undefined) {
    super(message);
    this.name = name;
    this.$fault = status >= 500 ? 'server' : 'client';
    this.$metadata = { httpStatusCode: status, requestId };
  }
}

/** `GetSecretValue` over SigV4 and undici; create once per container (it keeps a connection pool). */
export class SigV4SecretsManagerClient implements SecretValueReader {
  readonly #env: Readonly<Record<string, string | undefined>>;
  readonly #bounds: ClientBounds;
  readonly #now: () => Date;
  readonly #random: () => number;
  readonly #signer: SignatureV4;
  /** Server time minus this clock, from the last answer's `Date` (the SDK's `systemClockOffset`). */
  #clockOffsetMs = 0;
  #pool: PoolType | undefined;

  constructor(
    env: Readonly<Record<string, string | undefined>>,
    bounds: ClientBounds,
    clock: { readonly now?: () => Date; readonly random?: () => number } = {},
  ) {
    this.#env = env;
    this.#bounds = bounds;
    this.#now = clock.now ?? (() => new Date());
    this.#random = clock.random ?? Math.random;
    this.#signer = secretsManagerSigner(env);
  }

  /** `GetSecretValue` for `secretId`, answered as `SecretsManagerClient.send(new GetSecretValueCommand(...))` is. */
  async readSecret(secretId: string): Promise<GetSecretValueCommandOutput> {
    const body = JSON.stringify({ SecretId: secretId });
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#attempt(body);
      } catch (error) {
        if (attempt >= this.#bounds.maxAttempts || !isRetryable(error)) throw error;
        await new Promise((resolve) => setTimeout(resolve, backoffMs(error, attempt, this.#random)));
      }
    }
  }

  async #attempt(body: string): Promise<GetSecretValueCommandOutput> {
    const endpoint = new URL(
      this.#env.AWS_ENDPOINT_URL_SECRETS_MANAGER ||
        this.#env.AWS_ENDPOINT_URL ||
        `https://${SERVICE}.${this.#env.AWS_REGION ?? ''}.amazonaws.com`,
    );
    const path = endpoint.pathname || '/';
    const offsetBefore = this.#clockOffsetMs;
    const sentAt = this.#now().getTime();
    const headers = await signedHeaders(this.#signer, {
      host: endpoint.host,
      path,
      body,
      date: new Date(sentAt + offsetBefore),
    });
    this.#pool ??= new Pool(endpoint.origin, {
      connections: 4,
      keepAliveTimeout: 4_000,
      connect: { timeout: this.#bounds.connectionTimeoutMs },
    });
    const result = await exchange(this.#pool, {
      method: 'POST',
      path,
      headers: { ...headers, 'user-agent': USER_AGENT },
      body,
      timeoutMs: this.#bounds.requestTimeoutMs,
      maxBodyBytes: MAX_RESPONSE_BYTES,
    });
    if (result.kind === 'failed') {
      throw result.timedOut
        ? requestTimeout('Secrets Manager', this.#bounds.requestTimeoutMs)
        : transportError(result.error);
    }
    this.#clockOffsetMs = updatedClockOffset(
      this.#clockOffsetMs,
      result.headers,
      sentAt,
      this.#now().getTime(),
    );
    const requestId = header(result.headers['x-amzn-requestid']);
    if (result.status >= 200 && result.status < 300) {
      const output = JSON.parse(result.text) as Omit<GetSecretValueCommandOutput, '$metadata'>;
      return { ...output, $metadata: { httpStatusCode: result.status, requestId } };
    }
    const error = serviceError(
      result.status,
      result.text,
      header(result.headers['x-amzn-errortype']),
      requestId,
    );
    if (clockSkewCorrected(offsetBefore, this.#clockOffsetMs)) error.$metadata.clockSkewCorrected = true;
    throw error;
  }
}

/** The SDK's signer for Secrets Manager, with the credentials and region Lambda puts in the environment. */
export function secretsManagerSigner(env: Readonly<Record<string, string | undefined>>): SignatureV4 {
  return environmentSigner(env, SERVICE);
}

/** The SDK's signer for `service`, with the credentials and region Lambda puts in the environment. */
export function environmentSigner(
  env: Readonly<Record<string, string | undefined>>,
  service: string,
): SignatureV4 {
  return new SignatureV4({
    credentials: {
      accessKeyId: env.AWS_ACCESS_KEY_ID ?? '',
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? '',
      ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
    },
    region: env.AWS_REGION ?? '',
    service,
    sha256: Sha256,
  });
}

/**
 * The headers of the signed JSON `POST` (without `host`, which the pool sends): what the SDK sends,
 * the payload's hash (`x-amz-content-sha256`) included.
 */
export async function signedHeaders(
  signer: SignatureV4,
  input: {
    readonly host: string;
    readonly path: string;
    readonly body: string;
    readonly date: Date;
    /** @default Secrets Manager's `GetSecretValue` over awsJson1_1 */
    readonly target?: string;
    readonly contentType?: string;
  },
): Promise<Record<string, string>> {
  const signed = await signer.sign(
    {
      method: 'POST',
      protocol: 'https:',
      hostname: input.host.split(':')[0] ?? input.host,
      path: input.path,
      headers: {
        host: input.host,
        'content-type': input.contentType ?? CONTENT_TYPE,
        'x-amz-target': input.target ?? TARGET,
      },
      body: input.body,
    },
    { signingDate: input.date },
  );
  const { host: _host, ...sent } = signed.headers;
  return sent;
}

/** A header's value as undici hands it (one, or the first of several). */
export function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The SDK's `getUpdatedSystemClockOffset`: server time minus this clock, from an answer's `Date`,
 * unless the answer was cached (`Age`) or took too long to say anything reliable.
 */
export function updatedClockOffset(
  currentMs: number,
  headers: Readonly<Record<string, string | string[] | undefined>>,
  sentAt: number,
  receivedAt: number,
): number {
  const serverTime = Date.parse(header(headers.date) ?? '');
  if (headers.age !== undefined || Number.isNaN(serverTime)) return currentMs;
  if (receivedAt - sentAt > MAX_SAMPLE_ROUND_TRIP_MS) return currentMs;
  return serverTime - receivedAt;
}

/** Whether an answer moved the clock offset by enough that the SDK retries the request (`clockSkewCorrected`). */
export function clockSkewCorrected(beforeMs: number, afterMs: number): boolean {
  return Math.abs(afterMs) >= CLOCK_SKEW_THRESHOLD_MS && afterMs !== beforeMs;
}

/** The awsJson1_1 error: `__type` (maybe `namespace#Name`) or the error-type header, and its message. */
function serviceError(
  status: number,
  text: string,
  typeHeader: string | undefined,
  requestId: string | undefined,
): SecretsManagerServiceError {
  let parsed: { __type?: unknown; code?: unknown; message?: unknown; Message?: unknown } = {};
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null) parsed = value;
  } catch {
    // Not JSON (a proxy's page): the status alone names it.
  }
  const raw = [typeHeader, parsed.__type, parsed.code].find(
    (v): v is string => typeof v === 'string' && v !== '',
  );
  const name = raw?.split(':')[0]?.split('#').at(-1) || 'UnknownError';
  const message = [parsed.message, parsed.Message].find((v): v is string => typeof v === 'string') ?? name;
  return new SecretsManagerServiceError(name, message, status, requestId);
}

/** The SDK's name for a request to `service` that passed its time limit (`throwOnRequestTimeout`). */
export function requestTimeout(service: string, ms: number): Error {
  return Object.assign(new Error(`${service} request exceeded the ${ms} ms request timeout`), {
    name: 'TimeoutError',
    code: 'ETIMEDOUT',
  });
}

/** undici's transport failures under the names and codes the SDK's Node handler gives them. */
export function transportError(error: unknown): unknown {
  if (!(error instanceof Error) || error instanceof SecretsManagerServiceError) return error;
  const code = (error as { code?: unknown }).code;
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return Object.assign(error, { name: 'TimeoutError' });
  if (code === 'UND_ERR_SOCKET' || code === 'UND_ERR_CLOSED')
    return Object.assign(error, { code: 'ECONNRESET' });
  return error;
}

/** The standard retry strategy's wait after failed attempt `attempt` (from 1). */
export function backoffMs(error: unknown, attempt: number, random: () => number): number {
  const base = isThrottling(error) ? THROTTLING_DELAY_BASE_MS : DELAY_BASE_MS;
  return Math.floor(Math.min(MAX_DELAY_MS, random() * 2 ** attempt * base));
}

/** The standard retry strategy's throttling errors (a longer backoff). */
export function isThrottling(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return status === 429 || THROTTLING.has(error.name);
}

/** What the SDK's standard retry strategy retries: throttling, 5xx, resets and timeouts, a corrected clock. */
export function isRetryable(error: unknown): boolean {
  if (!(error instanceof Error) || error.name === 'AbortError') return false;
  const code = (error as { code?: unknown }).code;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  const skewCorrected = (error as { $metadata?: { clockSkewCorrected?: boolean } }).$metadata
    ?.clockSkewCorrected;
  return (
    skewCorrected === true ||
    (error.name === 'InvalidSignatureException' && error.message.includes('Signature expired')) ||
    isThrottling(error) ||
    TRANSIENT_NAMES.has(error.name) ||
    (typeof code === 'string' && TRANSIENT_CODES.has(code)) ||
    (status !== undefined && TRANSIENT_STATUSES.has(status))
  );
}
