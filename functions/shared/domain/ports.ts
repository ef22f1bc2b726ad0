/**
 * The ports of the resend use case: what the domain needs from the world, in the domain's terms.
 * Adapters (`../adapters/`) implement them; the domain receives them as arguments and never imports
 * an adapter, so that the dependencies point inward and tests can pass fakes.
 */
import type { DigiCertErrorEntry } from './errors.js';
import type { ResendBody } from './request-schema.js';

/** The DigiCert API key (the real one reads Secrets Manager). */
export interface ApiKeyProvider {
  /** The current API key, from cache when fresh. */
  getApiKey(): Promise<string>;
  /**
   * Forgets the cached key (after DigiCert rejected it), so the next call reads the secret again.
   * With `rejectedKey`, does nothing when that key is no longer the current one: concurrent orders
   * that all saw the same 401 then cause one re-read, not one each.
   */
  invalidate(rejectedKey?: string): void;
}

/** How one DigiCert attempt ended, classified so that the use case can act on it. */
export type AttemptOutcome =
  | { readonly kind: 'sent'; readonly status: number }
  /** A 4xx other than 401/429: DigiCert's own error entries, their known fields only, the key redacted. */
  | { readonly kind: 'rejected'; readonly status: number; readonly errors: readonly DigiCertErrorEntry[] }
  /** 401: the key is wrong, revoked or expired. */
  | { readonly kind: 'unauthorized'; readonly status: 401 }
  | { readonly kind: 'rate_limited'; readonly status: 429; readonly retryAfterSeconds: number | undefined }
  /** 5xx, an unexpected status, a bad response or a broken connection. */
  | {
      readonly kind: 'unavailable';
      readonly status: number | undefined;
      readonly retryable: boolean;
      readonly retryAfterSeconds: number | undefined;
      readonly detail: string;
    }
  /** No complete answer within the attempt's time. */
  | { readonly kind: 'timeout'; readonly detail: string };

export interface AttemptOptions {
  /** Milliseconds this attempt may take, headers and body. */
  readonly timeoutMs: number;
}

/** One `resend-emails` call to DigiCert; never throws for an HTTP status or a transport failure. */
export interface DigiCertClient {
  resendEmails(
    orderId: number,
    body: ResendBody,
    apiKey: string,
    options: AttemptOptions,
  ): Promise<AttemptOutcome>;
}

/** Keeps DigiCert requests under DigiCert's rate limits (`rate-limiter.ts` is the real one). */
export interface RateLimiter {
  /** Waits for a slot; `false` when none frees up before `deadline`. */
  acquire(deadline: number): Promise<boolean>;
  /**
   * The request a granted `acquire` was for has finished (answered, failed, or not sent): a limiter
   * that counts requests until DigiCert has surely seen them needs to know. Called once per grant.
   */
  release?(): void;
}

/** Observes each DigiCert attempt (metrics and logs); must not throw. */
export type AttemptObserver = (event: {
  orderId: number;
  attempt: number;
  outcome: AttemptOutcome;
  durationMs: number;
}) => void;
