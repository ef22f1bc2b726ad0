/**
 * Direct invocations (Lambda `Invoke`, Step Functions), EventBridge Scheduler inputs and
 * EventBridge event envelopes (docs/contract.md §3): recognise the payload and validate it whole. Running
 * it is the domain's (`resend/use-case.ts`, `resend/batch.ts`).
 */
import {
  DIRECT_ACTIONS,
  DNS_DCV_METHODS,
  type DnsDcvMethod,
  REQUEST_LIMITS,
  SWEEP_POLICIES,
  type SweepPolicy,
} from '../app/contract.js';
import { type Issue, ValidationError } from '../lib/errors.js';
import { isRecord } from '../lib/is-record.js';
import {
  batchRequestSchema,
  directRequestSchema,
  parseOrderId,
  parseOrThrow,
  type ResendPayload,
  type ResendRequest,
  toIssues,
} from '../resend/request-schema.js';

export const ACCEPTED_SHAPES =
  'expected a single order {"order_id": 123, ...}, a batch {"orders": [...]}, an action {"action": "dcv-status", "order_id": 123}, {"action": "dns-dcv", "order_id": 123} or {"action": "sweep"}, an EventBridge event whose "detail" is one of those, or an API Gateway proxy event';

/**
 * Whether `event` is an EventBridge event envelope. EventBridge always sends both fields; a direct
 * payload never has them (they are not request fields).
 */
export function isEventBridgeEnvelope(event: unknown): event is Record<string, unknown> {
  return isRecord(event) && 'detail-type' in event && 'source' in event;
}

/** The id of an EventBridge event envelope (the caller's correlation id), if `event` is one. */
export function eventBridgeId(event: unknown): string | undefined {
  return isEventBridgeEnvelope(event) && typeof event.id === 'string' ? event.id : undefined;
}

function describeShape(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** An action of a direct invocation (docs/contract.md §10, §11, §12): not a resend. */
export type ActionPayload =
  | { readonly kind: 'action'; readonly action: 'dcv-status'; readonly orderId: number }
  | {
      readonly kind: 'action';
      readonly action: 'dns-dcv';
      readonly orderId: number;
      /** @default 'dns-txt-token' */
      readonly method: DnsDcvMethod;
    }
  | {
      readonly kind: 'action';
      readonly action: 'sweep';
      readonly dryRun: boolean;
      /** Dry runs only. */
      readonly policy?: SweepPolicy;
      /** Dry runs only. */
      readonly offset?: number;
    };

/**
 * A direct invocation's payload: an action (`{"action": "dcv-status", "order_id": N}`,
 * `{"action": "sweep", "dry_run": true}`) or a resend (single or batch, `parseDirectPayload`'s
 * rules, unknown fields refused); throws `ValidationError`.
 */
export function parseDirectInvocation(event: unknown): ResendPayload | ActionPayload {
  const { payload, prefix } = unwrap(event);
  return 'action' in payload ? parseAction(payload, prefix) : parseResend(payload, prefix);
}

/** Whether `event` (or its EventBridge `detail`) names an `action`: `parseDirectInvocation` reads it as one. */
export function isActionInvocation(event: unknown): boolean {
  const payload = isEventBridgeEnvelope(event) ? event.detail : event;
  return isRecord(payload) && 'action' in payload;
}

/** Each action's fields (docs/contract.md §10, §11, §12). */
const ACTION_FIELDS: Readonly<Record<(typeof DIRECT_ACTIONS)[number], ReadonlySet<string>>> = {
  'dcv-status': new Set(['action', 'order_id']),
  'dns-dcv': new Set(['action', 'order_id', 'method']),
  sweep: new Set(['action', 'dry_run', 'policy', 'offset']),
};

function parseAction(payload: Record<string, unknown>, prefix: readonly string[]): ActionPayload {
  const field = (name: string) => [...prefix, name].join('.');
  const action = DIRECT_ACTIONS.find((name) => name === payload.action);
  if (action === undefined) {
    throw ValidationError.single(
      field('action'),
      `must be one of ${DIRECT_ACTIONS.map((name) => `"${name}"`).join(', ')} (omit it to resend)`,
    );
  }
  const issues: Issue[] = [];
  for (const key of Object.keys(payload)) {
    if (!ACTION_FIELDS[action].has(key)) {
      issues.push({
        field: field(key),
        message: `is not a known field of the "${action}" action`,
        code: 'invalid_input',
      });
    }
  }
  if (action === 'sweep') return parseSweep(payload, field, issues);
  const orderId = parseOrderId(payload.order_id);
  if (orderId === undefined) {
    issues.unshift({
      field: field('order_id'),
      message:
        payload.order_id === undefined
          ? 'is required'
          : `must be a positive integer of at most ${REQUEST_LIMITS.maxOrderIdDigits} digits`,
      code: 'invalid_order_id',
    });
  }
  const method =
    action === 'dns-dcv' ? parseDnsDcvMethod(payload.method, field('method'), issues) : undefined;
  if (orderId === undefined || issues.length > 0) throw new ValidationError(issues);
  if (action === 'dns-dcv') return { kind: 'action', action, orderId, method: method ?? 'dns-txt-token' };
  return { kind: 'action', action, orderId };
}

/**
 * A DNS DCV method (docs/contract.md §12): absent is TXT; anything else but the two methods is an
 * issue naming `field`. Shared with the HTTP route's body.
 */
export function parseDnsDcvMethod(raw: unknown, field: string, issues: Issue[]): DnsDcvMethod | undefined {
  if (raw === undefined) return 'dns-txt-token';
  const method = DNS_DCV_METHODS.find((name) => name === raw);
  if (method === undefined) {
    issues.push({
      field,
      message: `must be one of ${DNS_DCV_METHODS.map((name) => `"${name}"`).join(', ')}`,
      code: 'invalid_input',
    });
  }
  return method;
}

function parseSweep(
  payload: Record<string, unknown>,
  field: (name: string) => string,
  issues: Issue[],
): ActionPayload {
  const { dry_run: dryRun = false, policy, offset } = payload;
  if (typeof dryRun !== 'boolean') {
    issues.push({ field: field('dry_run'), message: 'must be true or false', code: 'invalid_input' });
  }
  const known = SWEEP_POLICIES.find((name) => name === policy);
  if (policy !== undefined) {
    if (known === undefined) {
      issues.push({
        field: field('policy'),
        message: `must be one of ${SWEEP_POLICIES.map((name) => `"${name}"`).join(', ')}`,
        code: 'invalid_input',
      });
    } else if (dryRun !== true) {
      issues.push({
        field: field('policy'),
        message: 'is allowed only with "dry_run": true (a sweep acts with the configured DCV_SWEEP_POLICY)',
        code: 'invalid_input',
      });
    }
  }
  if (offset !== undefined) {
    if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) {
      issues.push({
        field: field('offset'),
        message: 'must be a whole number, 0 or more',
        code: 'invalid_input',
      });
    } else if (dryRun !== true) {
      issues.push({
        field: field('offset'),
        message: 'is allowed only with "dry_run": true (a sweep reads every page)',
        code: 'invalid_input',
      });
    }
  }
  if (issues.length > 0) throw new ValidationError(issues);
  return {
    kind: 'action',
    action: 'sweep',
    dryRun: dryRun === true,
    ...(known === undefined ? {} : { policy: known }),
    ...(typeof offset === 'number' ? { offset } : {}),
  };
}

/** Recognises and validates a resend payload (single or batch); throws `ValidationError` naming the place. */
export function parseDirectPayload(event: unknown): ResendPayload {
  const { payload, prefix } = unwrap(event);
  return parseResend(payload, prefix);
}

/** The payload itself: the event, or the `detail` of an EventBridge envelope (its fields prefixed). */
function unwrap(event: unknown): { payload: Record<string, unknown>; prefix: string[] } {
  if (!isRecord(event)) {
    const hint = Array.isArray(event) ? '. To send several orders, wrap them: {"orders": [...]}' : '';
    throw ValidationError.single(
      '',
      `Unrecognised event (${describeShape(event)}): ${ACCEPTED_SHAPES}${hint}`,
    );
  }
  let payload: Record<string, unknown> = event;
  let prefix: string[] = [];
  if (isEventBridgeEnvelope(event)) {
    if (!('detail' in event)) {
      throw ValidationError.single('detail', `is required in an EventBridge event: ${ACCEPTED_SHAPES}`);
    }
    const detail = event.detail;
    if (!isRecord(detail)) {
      throw ValidationError.single(
        'detail',
        `must be an object, got ${describeShape(detail)}: ${ACCEPTED_SHAPES}`,
      );
    }
    if (Object.keys(detail).length === 0) {
      // A rule's own schedule sends `"detail": {}`: the payload belongs in the target's input.
      throw ValidationError.single(
        'detail',
        `is empty: ${ACCEPTED_SHAPES}. For a scheduled rule, set the target's input to the payload itself`,
      );
    }
    payload = detail;
    prefix = ['detail'];
  }
  return { payload, prefix };
}

function parseResend(payload: Record<string, unknown>, prefix: readonly string[]): ResendPayload {
  if ('orders' in payload) {
    const { orders, idempotency_key } = parseOrThrow(batchRequestSchema, payload, prefix);
    rejectDuplicates(orders, prefix);
    return { kind: 'batch', orders, ...withKey(idempotency_key) };
  }
  if (!('order_id' in payload)) {
    // Neither shape: say which shapes are accepted, and which fields were not understood.
    const unknown = toIssues(directRequestSchema.safeParse(payload).error?.issues ?? [], prefix).filter(
      (issue) => !issue.field.endsWith('order_id'),
    );
    throw new ValidationError([
      { field: prefix.join('.'), message: `Unrecognised payload: ${ACCEPTED_SHAPES}`, code: 'invalid_input' },
      ...unknown,
    ]);
  }
  const { idempotency_key, ...request } = parseOrThrow(directRequestSchema, payload, prefix);
  return { kind: 'single', request, ...withKey(idempotency_key) };
}

function withKey(idempotencyKey: string | undefined): { idempotencyKey?: string } {
  return idempotencyKey === undefined ? {} : { idempotencyKey };
}

function rejectDuplicates(orders: readonly ResendRequest[], prefix: readonly string[]): void {
  const seen = new Map<number, number>();
  const issues: Issue[] = [];
  for (const [index, order] of orders.entries()) {
    const first = seen.get(order.order_id);
    if (first === undefined) {
      seen.set(order.order_id, index);
      continue;
    }
    issues.push({
      field: [...prefix, 'orders', String(index), 'order_id'].join('.'),
      message: `duplicates orders.${first}.order_id (${order.order_id}), list each order once`,
      code: 'invalid_order_id',
    });
  }
  if (issues.length > 0) throw new ValidationError(issues);
}
