/**
 * Reads the DigiCert API key from AWS Secrets Manager, caches it for a TTL, and shares one
 * in-flight read among all callers (a cold container receiving many requests makes one call).
 */
import type { GetSecretValueCommand, GetSecretValueCommandOutput } from '@aws-sdk/client-secrets-manager';
import { awsSetupProblem, describeAwsSetupProblem } from '../aws/setup-errors.js';
import { ConfigurationError } from '../lib/errors.js';
import { registerSecret } from '../observability/logger.js';
import type { ApiKeyProvider } from '../resend/ports.js';
import { API_KEY_RULE, isPlausibleApiKey } from './api-key-shape.js';

/** Reads a secret's value: `SigV4SecretsManagerClient`, or the SDK client loaded on first use (`runtime.ts`). */
export interface SecretValueReader {
  readSecret(secretId: string): Promise<Pick<GetSecretValueCommandOutput, 'SecretString'>>;
}

/** A `SecretsManagerClient`, or anything that answers `GetSecretValueCommand` like one. */
export interface SecretsManagerSdkClient {
  send(command: GetSecretValueCommand): Promise<GetSecretValueCommandOutput>;
}

export interface SecretsManagerApiKeyProviderOptions {
  readonly client: SecretsManagerSdkClient | SecretValueReader;
  readonly secretId: string;
  readonly ttlMs: number;
  readonly now?: () => number;
  /** Called once per actual Secrets Manager read (for metrics). */
  readonly onFetch?: () => void;
}

// Error names the SDK raises for which the fix is on the operator's side, not a retry.
const PERMANENT = new Set([
  'ResourceNotFoundException',
  'AccessDeniedException',
  'AccessDeniedFault',
  'DecryptionFailure',
  'InvalidRequestException',
  'InvalidParameterException',
  'UnrecognizedClientException',
  'ExpiredTokenException',
]);

/**
 * Extracts the key from a secret string: the bare key, or JSON with an `api_key` field.
 * Never includes the secret's content in an error.
 */
export function parseApiKeySecret(secretString: string | undefined, secretId: string): string {
  const text = secretString?.trim() ?? '';
  if (text === '') {
    throw new ConfigurationError(
      'secret_unavailable',
      `Secret ${secretId} has no string value: set it to the DigiCert API key, or to JSON {"api_key": "..."}`,
    );
  }
  let key = text;
  if (text.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new ConfigurationError(
        'secret_unavailable',
        `Secret ${secretId} looks like JSON but does not parse`,
      );
    }
    const value =
      typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>).api_key : undefined;
    if (typeof value !== 'string' || value.trim() === '') {
      throw new ConfigurationError(
        'secret_unavailable',
        `Secret ${secretId} is JSON without a non-empty string field "api_key"`,
      );
    }
    key = value.trim();
  }
  // The key travels in an HTTP header and is redacted from logs: only a plausible key is used.
  if (!isPlausibleApiKey(key)) {
    throw new ConfigurationError(
      'secret_unavailable',
      `Secret ${secretId} holds a value that cannot be an API key: a DigiCert API key is ${API_KEY_RULE}`,
    );
  }
  return key;
}

export class SecretsManagerApiKeyProvider implements ApiKeyProvider {
  readonly #options: SecretsManagerApiKeyProviderOptions;
  readonly #now: () => number;
  #cached: { key: string; expiresAt: number } | undefined;
  #inFlight: Promise<string> | undefined;
  #generation = 0;
  /** The key the last completed read returned, until it is invalidated. */
  #current: string | undefined;

  constructor(options: SecretsManagerApiKeyProviderOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  getApiKey(): Promise<string> {
    const cached = this.cachedApiKey();
    if (cached !== undefined) return Promise.resolve(cached);
    this.#inFlight ??= this.#fetch();
    return this.#inFlight;
  }

  cachedApiKey(): string | undefined {
    const cached = this.#cached;
    return cached && this.#now() < cached.expiresAt ? cached.key : undefined;
  }

  invalidate(rejectedKey?: string): void {
    if (rejectedKey !== undefined && rejectedKey !== this.#current) return;
    this.#current = undefined;
    this.#cached = undefined;
    this.#inFlight = undefined;
    this.#generation += 1;
  }

  async #fetch(): Promise<string> {
    const generation = this.#generation;
    const { client, secretId, ttlMs } = this.#options;
    try {
      this.#options.onFetch?.();
      let response: Pick<GetSecretValueCommandOutput, 'SecretString'>;
      try {
        response = await readSecret(client, secretId);
      } catch (error) {
        throw describeSdkError(error, secretId);
      }
      const key = parseApiKeySecret(response.SecretString, secretId);
      registerSecret(key);
      // A key read before an invalidate() is stale: hand it to the callers that asked, keep it out of the cache.
      if (generation === this.#generation) {
        this.#current = key;
        if (ttlMs > 0) this.#cached = { key, expiresAt: this.#now() + ttlMs };
      }
      return key;
    } finally {
      if (generation === this.#generation) this.#inFlight = undefined;
    }
  }
}

async function readSecret(
  client: SecretsManagerSdkClient | SecretValueReader,
  secretId: string,
): Promise<Pick<GetSecretValueCommandOutput, 'SecretString'>> {
  if ('readSecret' in client) return client.readSecret(secretId);
  // The SDK's command comes with the SDK client that needs it: a cold start that reads the key
  // without the SDK (secrets-manager-sigv4.ts) never evaluates the package.
  const { GetSecretValueCommand } = await import('./secrets-manager-sdk.js');
  return client.send(new GetSecretValueCommand({ SecretId: secretId }));
}

function describeSdkError(error: unknown, secretId: string): ConfigurationError {
  // No region, no credentials, no route to the endpoint: the cause and its fix, not the SDK's bare name.
  const setup = awsSetupProblem(error);
  if (setup) {
    const cause = describeAwsSetupProblem(setup, 'Secrets Manager', 'AWS_ENDPOINT_URL_SECRETS_MANAGER');
    return new ConfigurationError('secret_unavailable', `Cannot read secret ${secretId}: ${cause}`, {
      cause: error,
    });
  }
  const name = error instanceof Error ? error.name : 'UnknownError';
  const hint = PERMANENT.has(name)
    ? name === 'ResourceNotFoundException'
      ? 'the secret does not exist (or has no current version)'
      : name === 'DecryptionFailure'
        ? 'the secret cannot be decrypted with its KMS key'
        : 'access was denied or the request was refused'
    : 'Secrets Manager did not answer successfully';
  return new ConfigurationError('secret_unavailable', `Cannot read secret ${secretId}: ${hint} (${name})`, {
    cause: error,
  });
}
