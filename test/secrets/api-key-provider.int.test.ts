/** The API key provider through the real Secrets Manager SDK, against the awsJson1_1 stand-in. */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SecretsManagerStandIn } from '../../dev/secrets-manager-standin.js';
import { ConfigurationError } from '../../functions/lib/errors.js';
import { SecretsManagerApiKeyProvider } from '../../functions/secrets/api-key-provider.js';
import { StaticApiKeyProvider } from '../../functions/secrets/static-api-key-provider.js';
import { CANARY_KEY, pointSdkAt } from '../support/harness.js';

const NAME = 'dcv-resend/key-provider-test';
let secrets: SecretsManagerStandIn;

beforeAll(async () => {
  secrets = await SecretsManagerStandIn.start({ [NAME]: CANARY_KEY });
  pointSdkAt(secrets.endpoint);
});
afterAll(async () => {
  await secrets.close();
});
beforeEach(() => {
  secrets.reset();
  secrets.setSecret(NAME, CANARY_KEY);
});

function provider(options: { ttlMs?: number; secretId?: string; now?: () => number } = {}) {
  return new SecretsManagerApiKeyProvider({
    client: new SecretsManagerClient({ maxAttempts: 1 }),
    secretId: options.secretId ?? NAME,
    ttlMs: options.ttlMs ?? 300_000,
    ...(options.now ? { now: options.now } : {}),
  });
}

async function failure(promise: Promise<unknown>): Promise<ConfigurationError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigurationError);
  return error as ConfigurationError;
}

describe('API key provider', () => {
  it('reads a bare-string secret', async () => {
    expect(await provider().getApiKey()).toBe(CANARY_KEY);
    expect(secrets.protocolErrors).toEqual([]);
  });

  it('reads a JSON secret with an api_key field', async () => {
    secrets.setSecret(NAME, JSON.stringify({ api_key: CANARY_KEY, note: 'rotated 2026-11' }));
    expect(await provider().getApiKey()).toBe(CANARY_KEY);
  });

  it('reads the secret by ARN', async () => {
    expect(await provider({ secretId: SecretsManagerStandIn.arnOf(NAME) }).getApiKey()).toBe(CANARY_KEY);
  });

  it('sends a SigV4-signed GetSecretValue for the configured id', async () => {
    await provider().getApiKey();
    expect(secrets.calls).toHaveLength(1);
    expect(secrets.calls[0]?.secretId).toBe(NAME);
    expect(secrets.calls[0]?.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=/);
  });

  it('reuses the key within the TTL', async () => {
    const keys = provider();
    for (let i = 0; i < 20; i += 1) await keys.getApiKey();
    expect(secrets.calls).toHaveLength(1);
  });

  it('reads the secret again once the TTL has passed', async () => {
    let now = 1_000_000;
    const keys = provider({ ttlMs: 1_000, now: () => now });
    await keys.getApiKey();
    now += 999;
    await keys.getApiKey();
    now += 2;
    await keys.getApiKey();
    expect(secrets.calls).toHaveLength(2);
  });

  it('makes one call when many requests arrive together on a cold container', async () => {
    secrets.setDelay(50);
    const keys = provider();
    const results = await Promise.all(Array.from({ length: 50 }, () => keys.getApiKey()));
    expect(new Set(results)).toEqual(new Set([CANARY_KEY]));
    expect(secrets.calls).toHaveLength(1);
  });

  it('reads a rotated key after invalidate()', async () => {
    const keys = provider();
    await keys.getApiKey();
    secrets.setSecret(NAME, 'rotated-key-0123456789');
    keys.invalidate();
    expect(await keys.getApiKey()).toBe('rotated-key-0123456789');
    expect(secrets.calls).toHaveLength(2);
  });

  it('does not cache a failed read', async () => {
    secrets.failNext('InternalServiceError');
    const keys = provider();
    await failure(keys.getApiKey());
    expect(await keys.getApiKey()).toBe(CANARY_KEY);
  });

  it.each([
    ['the secret does not exist', () => secrets.deleteSecret(NAME), /does not exist/],
    ['access is denied', () => secrets.failNext('AccessDeniedException'), /access was denied/],
    ['the secret cannot be decrypted', () => secrets.failNext('DecryptionFailure'), /decrypted/],
    ['the secret is empty', () => secrets.setSecret(NAME, '   '), /no string value/],
    ['the secret is JSON without api_key', () => secrets.setSecret(NAME, '{"apikey":"x"}'), /"api_key"/],
    ['the secret is broken JSON', () => secrets.setSecret(NAME, '{"api_key":'), /does not parse/],
    ['the secret holds spaces', () => secrets.setSecret(NAME, 'two words'), /cannot be an API key/],
    [
      'the key is shorter than 20 characters',
      () => secrets.setSecret(NAME, 'short-key-0123456'),
      /cannot be an API key: .*at least 20 characters/,
    ],
    [
      'the key holds a double quote',
      () => secrets.setSecret(NAME, JSON.stringify({ api_key: `${CANARY_KEY}"x` })),
      /without spaces, quotes, backslashes/,
    ],
    [
      'the key holds a single quote',
      () => secrets.setSecret(NAME, `'${CANARY_KEY}'`),
      /without spaces, quotes, backslashes/,
    ],
    [
      'the key holds a backslash',
      () => secrets.setSecret(NAME, `${CANARY_KEY}\\x`),
      /without spaces, quotes, backslashes/,
    ],
    [
      'the key holds a control character',
      () => secrets.setSecret(NAME, JSON.stringify({ api_key: `${CANARY_KEY}\u0007` })),
      /control characters/,
    ],
    [
      'the key holds a line break in the middle',
      () => secrets.setSecret(NAME, `${CANARY_KEY}\n${CANARY_KEY}`),
      /cannot be an API key/,
    ],
  ])('fails with a ConfigurationError naming the secret id when %s', async (_name, arrange, rule) => {
    arrange();
    const error = await failure(provider().getApiKey());
    expect(error.code).toBe('secret_unavailable');
    expect(error.message).toContain(NAME);
    expect(error.message).toMatch(rule);
  });

  it('accepts a key of exactly 20 characters', async () => {
    secrets.setSecret(NAME, 'k'.repeat(20));
    expect(await provider().getApiKey()).toBe('k'.repeat(20));
  });

  it.each([
    ['too short', 'short-key-0123'],
    ['holding a quote', `${CANARY_KEY}"`],
    ['holding a backslash', `${CANARY_KEY}\\`],
  ])('never puts a refused key (%s) in its error', async (_name, value) => {
    secrets.setSecret(NAME, value);
    const error = await failure(provider().getApiKey());
    expect(error.message).toContain(NAME);
    expect(JSON.stringify({ message: error.message, stack: error.stack })).not.toContain(value);
  });

  it('refuses an implausible DIGICERT_API_KEY for local runs, naming the variable and not the value', async () => {
    expect(() => new StaticApiKeyProvider('short-key-1')).toThrow(
      /^DIGICERT_API_KEY must be a DigiCert API key: at least 20 characters/,
    );
    expect(() => new StaticApiKeyProvider('short-key-1')).not.toThrow(/short-key-1/);
    expect(() => new StaticApiKeyProvider(`${CANARY_KEY}'`)).toThrow(ConfigurationError);
    await expect(new StaticApiKeyProvider(` ${CANARY_KEY}\n`).getApiKey()).resolves.toBe(CANARY_KEY);
  });

  it('never puts the secret value in its errors', async () => {
    secrets.setSecret(NAME, `{"api_key": ${JSON.stringify(CANARY_KEY)}`);
    const error = await failure(provider().getApiKey());
    expect(JSON.stringify({ message: error.message, stack: error.stack })).not.toContain(CANARY_KEY);
  });
});
