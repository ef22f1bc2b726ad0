/**
 * Deliveries happen once (docs/contract.md §6): the port the entry points use to record what
 * DigiCert answered for each (delivery, order), and the helpers that turn the resend use case's
 * outcome into something recordable. The DynamoDB adapter is `aws/idempotency-store.ts`.
 */
import { IDEMPOTENCY_KEY_PATTERN, IDEMPOTENCY_KEY_RULE, ORDER_CLAIM_MS } from '../app/contract.js';
import { type DigiCertErrorEntry, DigiCertRequestError, ValidationError } from '../lib/errors.js';
import type { ResendRequest } from './request-schema.js';
import type { ResendOptions, ResendUseCase } from './use-case.js';

/**
 * What DigiCert answered, the only outcomes that are recorded: it sent the emails, or it refused
 * the request with a 4xx (its own entries, already sanitised). Anything else (timeouts, 5xx after
 * retries, rate limits, configuration) is thrown and not recorded, so a retry may try again.
 */
export type RecordedOutcome =
  | { readonly kind: 'sent' }
  | { readonly kind: 'rejected'; readonly status: number; readonly errors: readonly DigiCertErrorEntry[] };

/**
 * Names one record: `http` (an HTTP delivery, one order), `order` (one order of a direct, scheduled,
 * EventBridge or queued delivery), `delivery` (a direct delivery as a whole, when its sender named
 * it) or `failure-record` (an order's record in the failure queue was written, docs/contract.md §8).
 */
export interface DeliveryKey {
  readonly scope: 'http' | 'order' | 'delivery' | 'failure-record';
  readonly delivery: string;
  readonly order?: number;
  /** A hash of the HTTP caller's identity: one caller's `Idempotency-Key` is not another's. */
  readonly caller?: string;
}

export interface Once<T> {
  readonly value: T;
  /** The value was recorded by an earlier call; `work` did not run. */
  readonly replayed: boolean;
}

export interface OnceOptions {
  /**
   * `work` acts on the world (calls DigiCert, writes a queue), so when its outcome cannot be
   * recorded the key stays "in progress" past the deadline rather than let a redelivery act again.
   * `false` for work that only claims the key. @default true
   */
  readonly acts?: boolean;
}

/** Runs work at most once per key, remembering what it returned. */
export interface IdempotencyStore {
  /** How long one order's claim lasts (`ORDER_CLAIM_MS`; tests shorten it). */
  readonly orderClaimMs?: number;
  /**
   * The first call for `key` runs `work` and records what it returns; a later call returns the
   * record (`replayed: true`) without running it. `work` that throws records nothing.
   *
   * @param request what the key stands for: a later call with the same key and a different request
   *   throws `IdempotencyKeyReusedError`.
   * @param deadline epoch ms; until then another call with the same key is refused as in progress
   *   (`UpstreamError` `request_in_progress`); after it, a crashed holder no longer blocks a retry.
   * @throws UpstreamError `state_unavailable` when the table cannot be read or written before `work`.
   * When `work` returned but its outcome cannot be recorded, recording is retried until `deadline`
   * (docs/contract.md §6); the value is returned either way.
   */
  once<T>(
    key: DeliveryKey,
    request: unknown,
    deadline: number,
    work: () => Promise<T>,
    options?: OnceOptions,
  ): Promise<Once<T>>;
}

/** Runs one order and returns DigiCert's answer as an outcome; failures DigiCert did not decide are thrown. */
export async function resendOutcome(
  resend: ResendUseCase,
  request: ResendRequest,
  options: ResendOptions,
): Promise<RecordedOutcome> {
  try {
    await resend(request, options);
    return { kind: 'sent' };
  } catch (error) {
    // A thrown error would delete the record: DigiCert's refusal is an answer, so it is returned.
    if (error instanceof DigiCertRequestError) {
      return { kind: 'rejected', status: error.status, errors: error.errors };
    }
    throw error;
  }
}

/** The error a recorded refusal is reported as, the same as when DigiCert first answered. */
export function rejection(outcome: Extract<RecordedOutcome, { kind: 'rejected' }>): DigiCertRequestError {
  return new DigiCertRequestError(outcome.status, outcome.errors);
}

/**
 * The use case, once per (delivery, order): an order with a recorded outcome is answered from the
 * record; the others are sent and their outcome recorded. Used for every order of a direct,
 * scheduled or EventBridge delivery, single or batch.
 */
export function idempotentResend(
  store: IdempotencyStore,
  delivery: string,
  resend: ResendUseCase,
): ResendUseCase {
  const claimMs = store.orderClaimMs ?? ORDER_CLAIM_MS;
  return async (request, options) => {
    // The order's own deadline, which its claim lapses with: a holder that dies leaves a claim
    // that a retry (Lambda's first comes a minute later) can take over; a live holder never makes
    // a DigiCert call that would end after it.
    const deadline = Math.min(options.deadline, Date.now() + claimMs);
    const { value } = await store.once(
      { scope: 'order', delivery, order: request.order_id },
      request,
      deadline,
      () => resendOutcome(resend, request, { ...options, deadline }),
    );
    if (value.kind === 'rejected') throw rejection(value);
    return { orderId: request.order_id, attempts: 0 };
  };
}

/** Checks an HTTP `Idempotency-Key` header value; `undefined` when absent (no idempotency). */
export function parseIdempotencyKeyHeader(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!IDEMPOTENCY_KEY_PATTERN.test(value)) {
    throw ValidationError.single('Idempotency-Key', `header ${IDEMPOTENCY_KEY_RULE}`);
  }
  return value;
}
