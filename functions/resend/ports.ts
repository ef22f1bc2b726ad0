/**
 * The ports of the resend use case: what the domain needs from the world, in the domain's terms.
 * Adapters (`digicert/`, `secrets/`, `aws/`) implement them; the domain receives them as arguments and never imports
 * an adapter, so that the dependencies point inward and tests can pass fakes.
 */
import type { DigiCertErrorEntry } from '../lib/errors.js';
import type { ResendBody } from './request-schema.js';

/** The DigiCert API key (the real one reads Secrets Manager). */
export interface ApiKeyProvider {
  /** The current API key, from cache when fresh. */
  getApiKey(): Promise<string>;
  /**
   * The key `getApiKey` would answer at once from its cache, or `undefined` when it would have to
   * read it: a warm invocation then takes the key without waiting on a promise or arming a timer.
   */
  cachedApiKey?(): string | undefined;
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

/** How an attempt ended without success: what every DigiCert call shares, a write or a read. */
export type FailedAttempt = Exclude<AttemptOutcome, { readonly kind: 'sent' }>;

/**
 * How one DigiCert read (`GET`) ended: its body, already checked against the shape the reader
 * needs (a body without a required field is `unavailable`, naming it), or a failed attempt.
 */
export type ReadOutcome<T> =
  | { readonly kind: 'found'; readonly status: number; readonly body: T }
  | FailedAttempt;

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

/** Keeps DigiCert requests under DigiCert's rate limits (the real ones are in `rate-limit/`). */
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
  outcome: AttemptOutcome | ReadOutcome<unknown>;
  durationMs: number;
}) => void;

/**
 * Why an order or a whole message of the bulk queue ended without being sent (docs/contract.md §8):
 * refused by DigiCert, or invalid. Written to the failure queue so that nothing is lost; never
 * carries the API key (messages are redacted before they get here).
 */
export interface FailureRecord {
  /** `order`: one order DigiCert refused. `message`: a message body that could not be read. */
  readonly kind: 'order' | 'message';
  /** The SQS message the order came in, and its delivery id (`idempotency_key`, else the message id). */
  readonly messageId: string;
  readonly deliveryId?: string;
  readonly receiveCount?: number;
  readonly orderId?: number;
  /** The order as validated (kind `order`), ready to be submitted again once fixed. */
  readonly order?: unknown;
  /** The message body as received (kind `message`), cut to `FAILURE_BODY_MAX_CHARS`. */
  readonly body?: string;
  readonly errorType: string;
  readonly code?: string;
  readonly message: string;
  /** DigiCert's HTTP status, for a refusal. */
  readonly status?: number;
  /** DigiCert's own error entries (sanitised), or the validation issues with their fields. */
  readonly errors?: readonly unknown[];
}

/** Where orders that ended in a permanent failure are recorded (the real one writes an SQS queue). */
export interface FailureQueue {
  /** Writes every record, or throws: a caller that sees no error may forget them. */
  write(records: readonly FailureRecord[]): Promise<void>;
}
