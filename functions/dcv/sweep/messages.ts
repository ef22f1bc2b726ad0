/**
 * The sweep's own messages on the bulk queue (docs/contract.md §8, §11): `{"sweep": {...}}`, a page
 * to read or a part of a page to work through. The function writes them; the consumer reads them
 * with this schema, so a hand-written or damaged one is refused naming the field, like any other
 * message, and ends in the failure queue.
 */
import {
  array,
  int,
  maximum,
  maxLength,
  minimum,
  minLength,
  number,
  object,
  enum as oneOf,
  string,
  union,
} from 'zod/mini';
import { REQUEST_LIMITS, SWEEP_POLICIES, type SweepPolicy } from '../../app/contract.js';
import { ValidationError } from '../../lib/errors.js';
import { isRecord } from '../../lib/is-record.js';

/** Orders in one part: a part is one message, worked through in one invocation with room to spare. */
export const SWEEP_PART_ORDERS = 25;

export interface SweepPageMessage {
  readonly id: string;
  readonly policy: SweepPolicy;
  readonly page: { readonly offset: number };
}

export interface SweepPartMessage {
  readonly id: string;
  readonly policy: SweepPolicy;
  /** Unique within the sweep: `<page offset>:<index>`. */
  readonly part: string;
  readonly orders: readonly number[];
}

export type SweepMessage = SweepPageMessage | SweepPartMessage;

const SWEEP_ID = string().check(minLength(1), maxLength(128));
const orderId = number().check(int(), minimum(1), maximum(10 ** REQUEST_LIMITS.maxOrderIdDigits - 1));
const policy = oneOf(SWEEP_POLICIES);

const pageMessage = object({
  id: SWEEP_ID,
  policy,
  page: object({ offset: number().check(int(), minimum(0)) }),
});

const partMessage = object({
  id: SWEEP_ID,
  policy,
  part: string().check(minLength(1), maxLength(64)),
  orders: array(orderId).check(minLength(1), maxLength(REQUEST_LIMITS.maxQueueMessageOrders)),
});

const envelope = object({ sweep: union([pageMessage, partMessage]) });

/** Whether a parsed message body is one of the sweep's (it has a `sweep` member). */
export function isSweepMessage(body: unknown): boolean {
  return isRecord(body) && 'sweep' in body && !('orders' in body) && !('order_id' in body);
}

/** Reads a sweep message; throws `ValidationError` naming the field. */
export function parseSweepMessage(body: unknown): SweepMessage {
  const result = envelope.safeParse(body);
  if (!result.success) {
    throw ValidationError.single(
      'sweep',
      'is not a page or a part of a sweep: {"sweep": {"id", "policy", "page": {"offset"}}} or {"sweep": {"id", "policy", "part", "orders": [...]}}',
    );
  }
  return result.data.sweep;
}

/** The body of a sweep message. */
export function sweepMessageBody(message: SweepMessage): string {
  return JSON.stringify({ sweep: message });
}
