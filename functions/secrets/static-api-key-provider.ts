/**
 * An API key given directly (local runs and the CLI with `DIGICERT_API_KEY`). Deployed functions
 * always read the key from Secrets Manager.
 */
import { ConfigurationError } from '../lib/errors.js';
import { registerSecret } from '../observability/logger.js';
import type { ApiKeyProvider } from '../resend/ports.js';
import { API_KEY_RULE, isPlausibleApiKey } from './api-key-shape.js';

export class StaticApiKeyProvider implements ApiKeyProvider {
  readonly #key: string;

  constructor(key: string, source = 'DIGICERT_API_KEY') {
    const trimmed = key.trim();
    if (!isPlausibleApiKey(trimmed)) {
      throw new ConfigurationError(
        'secret_unavailable',
        `${source} must be a DigiCert API key: ${API_KEY_RULE}`,
      );
    }
    this.#key = trimmed;
    registerSecret(trimmed);
  }

  getApiKey(): Promise<string> {
    return Promise.resolve(this.#key);
  }

  cachedApiKey(): string {
    return this.#key;
  }

  /** A given key cannot be re-read; a second 401 then reports the key as rejected. */
  invalidate(): void {}
}
