/**
 * Which delivery a request belongs to, and running it once (docs/contract.md §6). Without a state
 * table (`STATE_TABLE_NAME` unset: the CLI's `--local`) or, over HTTP, without an `Idempotency-Key`, every
 * request runs as before.
 */
import { createHash } from 'node:crypto';
import { UpstreamError } from '../lib/errors.js';
import {
  type IdempotencyStore,
  idempotentResend,
  type Once,
  type RecordedOutcome,
  resendOutcome,
} from './idempotency.js';
import type { ResendPayload, ResendRequest } from './request-schema.js';
import type { ResendOptions, ResendUseCase } from './use-case.js';

/**
 * One HTTP request: its outcome, from DigiCert or, for a repeated `Idempotency-Key`, from the
 * record. The key names the delivery among the caller's own (`caller`: the identity API Gateway's
 * authorizer established; none in local runs), so two callers who pick the same key never
 * see each other's outcomes; the whole request (order id and body) is what it stands for, so the
 * same caller's key with another order or another body is refused.
 */
export async function httpDelivery(
  store: IdempotencyStore | undefined,
  delivery: { readonly idempotencyKey: string | undefined; readonly caller: string | undefined },
  request: ResendRequest,
  resend: ResendUseCase,
  options: ResendOptions,
): Promise<Once<RecordedOutcome>> {
  const { idempotencyKey, caller } = delivery;
  if (store === undefined || idempotencyKey === undefined) {
    return { value: await resendOutcome(resend, request, options), replayed: false };
  }
  const key = {
    scope: 'http',
    delivery: idempotencyKey,
    // No caller keeps the key it always had; a caller's identity goes in only as a hash.
    ...(caller === undefined ? {} : { caller: createHash('sha256').update(caller).digest('base64url') }),
  } as const;
  return store.once(key, request, options.deadline, () => resendOutcome(resend, request, options));
}

/**
 * The use case for each order of a direct, scheduled or EventBridge delivery: an order with a
 * recorded outcome is answered from the record, so a retried batch attempts only the rest.
 *
 * When the sender named the delivery (`idempotency_key`), the whole payload is first checked
 * against what that name was first used for: per-order records alone would not notice the same key
 * reused for a batch with other orders. (Lambda's request id and an EventBridge event id always
 * come with the same payload, so they need no such check.)
 */
export async function directDelivery(
  store: IdempotencyStore | undefined,
  payload: ResendPayload,
  deliveryId: string,
  resend: ResendUseCase,
  deadline: number,
): Promise<ResendUseCase> {
  if (store === undefined) return resend;
  if (payload.idempotencyKey !== undefined) {
    const request = payload.kind === 'batch' ? { orders: payload.orders } : { order: payload.request };
    await store.once(
      { scope: 'delivery', delivery: deliveryId },
      request,
      deadline,
      async () => ({ claimed: true }),
      // Only a claim: left unrecorded, it lapses at the deadline and blocks nothing for long.
      { acts: false },
    );
  }
  const once = idempotentResend(store, deliveryId, resend);
  let unavailable: UpstreamError | undefined;
  return async (request, options) => {
    // The table is the same for every order: once it is out of reach, the orders left fail at once
    // instead of each waiting out the client's retries (and none of them is sent unrecorded).
    if (unavailable) throw unavailable;
    try {
      return await once(request, options);
    } catch (error) {
      if (error instanceof UpstreamError && error.code === 'state_unavailable') unavailable ??= error;
      throw error;
    }
  };
}
