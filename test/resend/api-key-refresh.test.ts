/**
 * The key provider's refresh after DigiCert rejected a key: one re-read of the secret however many
 * orders saw the 401 together, and no stale key kept in the cache.
 */
import type { GetSecretValueCommand, GetSecretValueCommandOutput } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { SecretsManagerApiKeyProvider } from '../../functions/secrets/api-key-provider.js';

/** A Secrets Manager client whose secret value can be rotated, counting its reads. */
function fakeSecrets(initial: string) {
  const state = { value: initial, reads: 0 };
  const client = {
    send(_command: GetSecretValueCommand): Promise<GetSecretValueCommandOutput> {
      state.reads += 1;
      const value = state.value;
      return new Promise((resolve) =>
        setTimeout(() => resolve({ SecretString: value, $metadata: {} } as GetSecretValueCommandOutput), 5),
      );
    },
  };
  return {
    state,
    provider: new SecretsManagerApiKeyProvider({ client, secretId: 'dcv/key', ttlMs: 60_000 }),
  };
}

describe('SecretsManagerApiKeyProvider refresh', () => {
  it('reads the secret once when several orders report the same rejected key', async () => {
    const { state, provider } = fakeSecrets('old-key-0001-abcdefghij');
    const rejected = await provider.getApiKey();
    state.value = 'new-key-0002-abcdefghij';

    provider.invalidate(rejected);
    provider.invalidate(rejected);
    const keys = await Promise.all([provider.getApiKey(), provider.getApiKey()]);
    provider.invalidate(rejected);

    expect(keys).toEqual(['new-key-0002-abcdefghij', 'new-key-0002-abcdefghij']);
    expect(await provider.getApiKey()).toBe('new-key-0002-abcdefghij');
    expect(state.reads).toBe(2);
  });

  it('keeps a refresh already under way when a late order reports the old key', async () => {
    const { state, provider } = fakeSecrets('old-key-0001-abcdefghij');
    const rejected = await provider.getApiKey();
    state.value = 'new-key-0002-abcdefghij';

    provider.invalidate(rejected);
    const refreshing = provider.getApiKey();
    provider.invalidate(rejected);

    expect(await refreshing).toBe('new-key-0002-abcdefghij');
    expect(await provider.getApiKey()).toBe('new-key-0002-abcdefghij');
    expect(state.reads).toBe(2);
  });

  it('still drops the cached key when invalidated without naming one', async () => {
    const { state, provider } = fakeSecrets('old-key-0001-abcdefghij');
    await provider.getApiKey();
    state.value = 'new-key-0002-abcdefghij';

    provider.invalidate();

    expect(await provider.getApiKey()).toBe('new-key-0002-abcdefghij');
    expect(state.reads).toBe(2);
  });

  it('hands out the cached key without a promise while it is fresh, and none before the first read or after a refusal', async () => {
    const { provider } = fakeSecrets('old-key-0001-abcdefghij');
    expect(provider.cachedApiKey()).toBeUndefined();

    const key = await provider.getApiKey();
    expect(provider.cachedApiKey()).toBe(key);

    provider.invalidate(key);
    expect(provider.cachedApiKey()).toBeUndefined();
  });
});
