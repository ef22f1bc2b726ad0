/**
 * SQS events from the bulk queue's event source mapping (docs/contract.md §3, §8): each message
 * body is a single or batch payload of at most 100 orders, read with the direct-call recogniser.
 *
 * Orders that end are done with: sent; refused by DigiCert or invalid (written to the failure queue
 * with their reason, never retried). A message comes back (`batchItemFailures`) only when one of
 * its orders failed for a passing reason (DigiCert unavailable or rate-limited, the secret
 * unreadable, the deadline), when its failures could not be written, or when it was not started
 * before the deadline; SQS moves it to the dead-letter queue after its last receive.
 */
import { IDEMPOTENCY_KEY_PATTERN, IDEMPOTENCY_KEY_RULE, REQUEST_LIMITS } from '../app/contract.js';
import type { Runtime } from '../app/runtime.js';
import { isSweepMessage, parseSweepMessage, type SweepMessage } from '../dcv/sweep/messages.js';
import type { SweepMessageOutcome } from '../dcv/sweep/sweep.js';
import {
  BatchError,
  ConfigurationError,
  DigiCertRequestError,
  errorCodeOf,
  ValidationError,
} from '../lib/errors.js';
import { isRecord } from '../lib/is-record.js';
import { InvocationObserver, observing } from '../observability/invocation.js';
import { redact } from '../observability/logger.js';
import { BATCH_CONCURRENCY, runBatch } from '../resend/batch.js';
import type { OrderResult } from '../resend/batch-result.js';
import { directDelivery } from '../resend/deliveries.js';
import type { IdempotencyStore } from '../resend/idempotency.js';
import type { FailureQueue, FailureRecord } from '../resend/ports.js';
import type { ResendPayload, ResendRequest } from '../resend/request-schema.js';
import type { ResendUseCase } from '../resend/use-case.js';
import { parseDirectPayload } from './direct-payload.js';
import type { Invocation } from './invocation.js';

/** One SQS message as the consumer needs it. */
export interface QueueMessage {
  readonly messageId: string;
  readonly body: string;
  /** SQS's `ApproximateReceiveCount` (1 on the first receive). */
  readonly receiveCount: number;
}

/** Lambda's partial batch response: the messages to receive again. */
export interface SqsBatchResponse {
  batchItemFailures: { itemIdentifier: string }[];
}

/**
 * Whether `event` is an SQS event: a non-empty `Records` array whose records all come from SQS.
 * Nothing else a caller sends has `Records` with `eventSource: "aws:sqs"`.
 */
export function isSqsEvent(event: unknown): event is { Records: unknown[] } {
  return (
    isRecord(event) &&
    Array.isArray(event.Records) &&
    event.Records.length > 0 &&
    event.Records.every((record) => isRecord(record) && record.eventSource === 'aws:sqs')
  );
}

/** The messages of an SQS event; a record without a message id cannot be answered for, and is an error. */
export function queueMessages(event: { Records: unknown[] }): QueueMessage[] {
  return event.Records.map((record, index) => {
    const { messageId, body, attributes } = isRecord(record) ? record : {};
    if (typeof messageId !== 'string' || messageId === '') {
      throw ValidationError.single(`Records.${index}.messageId`, 'is required in an SQS record');
    }
    const count = isRecord(attributes) ? Number(attributes.ApproximateReceiveCount) : Number.NaN;
    return {
      messageId,
      body: typeof body === 'string' ? body : '',
      receiveCount: Number.isInteger(count) && count > 0 ? count : 1,
    };
  });
}

/**
 * Reads one message body: JSON, an optional top-level `idempotency_key`, and a single or batch
 * payload of at most 100 orders. Throws `ValidationError` naming the place.
 */
export function parseQueuedPayload(body: string): ResendPayload {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw ValidationError.single('', 'The message body is not valid JSON', 'invalid_json');
  }
  let idempotencyKey: string | undefined;
  if (isRecord(value) && 'idempotency_key' in value) {
    const { idempotency_key: key, ...rest } = value;
    if (typeof key !== 'string' || !IDEMPOTENCY_KEY_PATTERN.test(key)) {
      throw ValidationError.single('idempotency_key', IDEMPOTENCY_KEY_RULE);
    }
    idempotencyKey = key;
    value = rest;
  }
  if (
    isRecord(value) &&
    Array.isArray(value.orders) &&
    value.orders.length > REQUEST_LIMITS.maxQueueMessageOrders
  ) {
    throw ValidationError.single(
      'orders',
      `has ${value.orders.length} orders; a message of the bulk queue holds at most ${REQUEST_LIMITS.maxQueueMessageOrders} (dcv-resend submit splits larger lists)`,
    );
  }
  const payload = parseDirectPayload(value);
  return idempotencyKey === undefined ? payload : { ...payload, idempotencyKey };
}

/**
 * Turns the use case into the one a delivery runs: the seam for deliveries that happen once
 * (docs/contract.md §6). With a state table it answers orders already recorded for `deliveryId`
 * from the record; without one, it is the use case itself.
 */
export type WrapDelivery = (
  payload: ResendPayload,
  deliveryId: string,
  resend: ResendUseCase,
  deadline: number,
) => Promise<ResendUseCase>;

/** Without a state table every receive is a new attempt: the use case unchanged. */
export const withoutIdempotency: WrapDelivery = async (_payload, _deliveryId, resend) => resend;

/** How one message ended. */
export interface MessageOutcome {
  readonly messageId: string;
  readonly deliveryId: string | undefined;
  /** `done`: deleted by Lambda. `retry`: listed in `batchItemFailures`. */
  readonly verdict: 'done' | 'retry';
  readonly sent: number;
  /** Orders refused or invalid, written to the failure queue. */
  readonly refused: number;
  /** Orders that failed for a passing reason (or were not attempted). */
  readonly transient: number;
  readonly failureRecords: number;
  /** Why the message comes back, when it does. */
  readonly reason?: string;
}

/** One message's observer: the scope its work runs in, its hooks and its end. */
export interface MessageObserver {
  /** Runs the message's work (its DigiCert attempts are counted for this message). */
  readonly run: <T>(work: () => Promise<T>) => Promise<T>;
  /** Each order's outcome (as `runBatch`'s `onResult`). */
  readonly onResult: (result: OrderResult, error?: unknown) => void;
  /** The message could not be read, or its delivery could not start. */
  readonly onUnreadable: (error: unknown) => void;
  /** Called once with the message's outcome. Must not throw. */
  readonly finished: (outcome: MessageOutcome) => void;
}

/**
 * Messages of one SQS event in flight at once (each with `BATCH_CONCURRENCY` orders): enough to
 * keep the budget busy while one message waits on a slow order, few enough that a message not
 * started before the deadline is rare.
 */
export const QUEUE_MESSAGE_CONCURRENCY = 2;

export interface ConsumeOptions {
  /** Epoch ms: a message not started by then comes back untouched. */
  readonly deadline: number;
  readonly now: () => number;
  readonly failureQueue: FailureQueue;
  readonly resend: ResendUseCase;
  readonly wrapDelivery: WrapDelivery;
  /**
   * Remembers, per (delivery, order), that an order's failure record was written (docs/contract.md
   * §8), so that a redelivery writes the records an earlier receive could not, and only those.
   * Without a state table, `undefined`: every receive attempts every order and writes its records.
   */
  readonly failureRecords?: IdempotencyStore;
  /** Works through one of the pending-DCV sweep's own messages (docs/contract.md §11). */
  readonly sweep?: (message: SweepMessage, deadline: number) => Promise<SweepMessageOutcome>;
  readonly observe: (message: QueueMessage) => MessageObserver;
}

/** Processes every message of one event, at most `messageConcurrency` at a time, and answers Lambda. */
export async function consumeMessages(
  messages: readonly QueueMessage[],
  options: ConsumeOptions,
): Promise<SqsBatchResponse> {
  const outcomes: MessageOutcome[] = new Array(messages.length);
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < messages.length; index = next++) {
      const message = messages[index] as QueueMessage;
      const observer = options.observe(message);
      const outcome =
        options.now() >= options.deadline
          ? notStarted(message)
          : await observer
              .run(() => consumeMessage(message, observer, options))
              .catch((error: unknown) => crashed(message, error));
      outcomes[index] = outcome;
      observer.finished(outcome);
    }
  };
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(QUEUE_MESSAGE_CONCURRENCY, messages.length)) }, worker),
  );
  return {
    batchItemFailures: outcomes
      .filter((outcome) => outcome.verdict === 'retry')
      .map((outcome) => ({ itemIdentifier: outcome.messageId })),
  };
}

function notStarted(message: QueueMessage): MessageOutcome {
  return {
    messageId: message.messageId,
    deliveryId: undefined,
    verdict: 'retry',
    sent: 0,
    refused: 0,
    transient: 0,
    failureRecords: 0,
    reason: 'not started before the deadline',
  };
}

function crashed(message: QueueMessage, error: unknown): MessageOutcome {
  return {
    ...notStarted(message),
    reason: `failed: ${error instanceof Error ? error.name : 'Error'}`,
  };
}

/** Whether a failure ends the order for good: DigiCert refused it, or it is invalid. */
export function isPermanent(errorType: string): boolean {
  return errorType === 'DigiCertRequestError' || errorType === 'ValidationError';
}

async function consumeMessage(
  message: QueueMessage,
  hooks: MessageObserver,
  options: ConsumeOptions,
): Promise<MessageOutcome> {
  if (options.sweep !== undefined && isSweepMessage(parsedOrUndefined(message.body))) {
    return consumeSweepMessage(message, hooks, options.sweep, options);
  }
  let payload: ResendPayload;
  try {
    payload = parseQueuedPayload(message.body);
  } catch (error) {
    hooks.onUnreadable(error);
    return finishUnreadable(message, undefined, error, options.failureQueue);
  }
  const deliveryId = payload.idempotencyKey ?? message.messageId;
  let resend: ResendUseCase;
  try {
    resend = await options.wrapDelivery(payload, deliveryId, options.resend, options.deadline);
  } catch (error) {
    hooks.onUnreadable(error);
    // A delivery id reused for another payload is the sender's mistake; anything else (the state
    // table unreachable, the delivery in progress elsewhere) passes.
    if (error instanceof ValidationError)
      return finishUnreadable(message, deliveryId, error, options.failureQueue);
    return {
      ...notStarted(message),
      deliveryId,
      reason: `delivery could not start: ${error instanceof Error ? error.name : 'Error'}`,
    };
  }
  const orders: readonly ResendRequest[] = payload.kind === 'batch' ? payload.orders : [payload.request];
  const failures = new Map<number, unknown>();
  let results: readonly OrderResult[];
  try {
    results = (
      await runBatch(orders, resend, {
        deadline: options.deadline,
        concurrency: BATCH_CONCURRENCY,
        redact,
        onResult: (result, error) => {
          if (error !== undefined) failures.set(result.order_id, error);
          hooks.onResult(result, error);
        },
      })
    ).results;
  } catch (error) {
    if (!(error instanceof BatchError)) throw error;
    results = error.summary.results;
  }
  let sent = 0;
  let transient = 0;
  const records: FailureRecord[] = [];
  const permanent: number[] = [];
  for (const [index, result] of results.entries()) {
    if (result.status === 'sent') {
      sent += 1;
      continue;
    }
    if (!isPermanent(result.error_type)) {
      transient += 1;
      continue;
    }
    permanent.push(result.order_id);
    // Also an order the delivery answered from its record (a redelivery): its failure record may be
    // the one an earlier receive could not write. `writeOrderRecords` writes each once.
    records.push(
      orderRecord(message, deliveryId, orders[index] as ResendRequest, result, failures.get(result.order_id)),
    );
  }
  const { written, failure } = await writeOrderRecords(options, deliveryId, records);
  const base = {
    messageId: message.messageId,
    deliveryId,
    sent,
    refused: permanent.length,
    transient,
    failureRecords: written,
  };
  if (failure !== undefined)
    return { ...base, verdict: 'retry', reason: `the failure queue could not be written: ${failure}` };
  if (transient > 0)
    return { ...base, verdict: 'retry', reason: `${transient} order(s) failed for a passing reason` };
  return { ...base, verdict: 'done' };
}

function parsedOrUndefined(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

/** A page or a part of a sweep: worked through by the sweep; a malformed one goes to the failure queue. */
async function consumeSweepMessage(
  message: QueueMessage,
  hooks: MessageObserver,
  sweep: NonNullable<ConsumeOptions['sweep']>,
  options: ConsumeOptions,
): Promise<MessageOutcome> {
  let parsed: SweepMessage;
  try {
    parsed = parseSweepMessage(JSON.parse(message.body));
  } catch (error) {
    hooks.onUnreadable(error);
    return finishUnreadable(message, undefined, error, options.failureQueue);
  }
  const outcome = await sweep(parsed, options.deadline);
  const base = {
    messageId: message.messageId,
    deliveryId: parsed.id,
    sent: 0,
    refused: 0,
    transient: 0,
    failureRecords: 0,
  };
  return outcome.verdict === 'done'
    ? { ...base, verdict: 'done' }
    : { ...base, verdict: 'retry', transient: 1, reason: outcome.reason };
}

/**
 * Writes the orders' failure records. With a state table each record is written at most once per
 * (delivery, order): one whose write is remembered is skipped, one whose write failed is written on
 * a later receive. Returns how many were written now, and why one could not be, if so.
 */
async function writeOrderRecords(
  options: ConsumeOptions,
  deliveryId: string,
  records: readonly FailureRecord[],
): Promise<{ written: number; failure?: string }> {
  const store = options.failureRecords;
  if (store === undefined) {
    const written = await write(options.failureQueue, records);
    return written === true ? { written: records.length } : { written: 0, failure: written };
  }
  let written = 0;
  let failure: string | undefined;
  for (const record of records) {
    try {
      const once = await store.once(
        {
          scope: 'failure-record',
          delivery: deliveryId,
          ...(record.orderId === undefined ? {} : { order: record.orderId }),
        },
        record.order,
        options.deadline,
        async () => {
          await options.failureQueue.write([record]);
          return { written: true };
        },
      );
      if (!once.replayed) written += 1;
    } catch (error) {
      failure ??= error instanceof Error ? error.message : 'unknown error';
    }
  }
  return failure === undefined ? { written } : { written, failure };
}

async function finishUnreadable(
  message: QueueMessage,
  deliveryId: string | undefined,
  error: unknown,
  failureQueue: FailureQueue,
): Promise<MessageOutcome> {
  const record: FailureRecord = {
    kind: 'message',
    messageId: message.messageId,
    ...(deliveryId === undefined ? {} : { deliveryId }),
    receiveCount: message.receiveCount,
    body: message.body,
    ...reasonOf(error),
  };
  const written = await write(failureQueue, [record]);
  const base = { messageId: message.messageId, deliveryId, sent: 0, refused: 0, transient: 0 };
  return written === true
    ? { ...base, verdict: 'done', failureRecords: 1 }
    : {
        ...base,
        verdict: 'retry',
        failureRecords: 0,
        reason: `the failure queue could not be written: ${written}`,
      };
}

function orderRecord(
  message: QueueMessage,
  deliveryId: string,
  order: ResendRequest,
  result: OrderResult,
  error: unknown,
): FailureRecord {
  return {
    kind: 'order',
    messageId: message.messageId,
    deliveryId,
    receiveCount: message.receiveCount,
    orderId: result.order_id,
    order,
    ...reasonOf(error ?? new Error(result.status === 'failed' ? result.message : '')),
    ...(result.status === 'failed' && error === undefined
      ? { errorType: result.error_type, ...(result.code ? { code: result.code } : {}) }
      : {}),
  };
}

/** The reason fields of a record: the error's type, code, sentence, and DigiCert's or the validator's entries. */
function reasonOf(
  error: unknown,
): Pick<FailureRecord, 'errorType' | 'code' | 'message' | 'status' | 'errors'> {
  // A validation error's code is its first issue's, as direct callers get it (triggers/direct-errors.ts).
  const code =
    error instanceof ValidationError ? (error.issues[0]?.code ?? 'invalid_input') : errorCodeOf(error);
  const base = {
    errorType: error instanceof Error ? error.name : 'Error',
    ...(code === undefined ? {} : { code }),
    message: redact(error instanceof Error ? error.message : 'Unknown error'),
  };
  if (error instanceof DigiCertRequestError) {
    return { ...base, status: error.status, errors: error.errors };
  }
  if (error instanceof ValidationError) {
    return { ...base, errors: error.issues.map((issue) => ({ ...issue, message: redact(issue.message) })) };
  }
  return base;
}

/** `true`, or why the records could not be written. */
async function write(queue: FailureQueue, records: readonly FailureRecord[]): Promise<true | string> {
  if (records.length === 0) return true;
  try {
    await queue.write(records);
    return true;
  } catch (error) {
    return error instanceof Error ? error.message : 'unknown error';
  }
}

/** The error reported when an SQS event arrives at a function that has no failure queue. */
export function missingFailureQueue(): ConfigurationError {
  return new ConfigurationError(
    'invalid_configuration',
    'FAILURE_QUEUE_URL is required to consume the bulk queue: refused and invalid orders are written there',
  );
}

/**
 * An SQS event of the bulk queue (docs/contract.md §8): one observer per message (its orders' lines
 * carry the message id as correlation id, its document the queue counts), and the messages to
 * receive again. Without a runtime (a bad environment) every message comes back, and the reason is
 * logged.
 */
export async function handleSqs(
  event: { Records: unknown[] },
  invocation: Invocation,
): Promise<SqsBatchResponse> {
  const messages = queueMessages(event);
  const observe = (message: QueueMessage) =>
    new InvocationObserver(
      invocation.telemetry,
      { requestId: invocation.awsRequestId, correlationId: message.messageId, source: 'sqs' },
      invocation.now,
    );
  let runtime: Runtime;
  try {
    runtime = invocation.runtime();
  } catch (error) {
    const observer = observe(messages[0] as QueueMessage);
    observer.failed(undefined, error, { messages: messages.length });
    observer.end();
    return { batchItemFailures: messages.map((message) => ({ itemIdentifier: message.messageId })) };
  }
  return consumeMessages(messages, {
    deadline: invocation.deadline,
    now: invocation.now,
    // Without FAILURE_QUEUE_URL, messages whose orders were all sent are still done; one with a
    // refusal to record comes back (its write fails), so nothing is lost.
    failureQueue: runtime.failureQueue ?? { write: () => Promise.reject(missingFailureQueue()) },
    resend: runtime.resend,
    // docs/contract.md §6: a message is a delivery like a direct payload; a redelivery attempts
    // only the orders without a recorded outcome.
    wrapDelivery: (payload, deliveryId, resend, deadline) =>
      directDelivery(runtime.idempotency, payload, deliveryId, resend, deadline),
    ...(runtime.idempotency === undefined ? {} : { failureRecords: runtime.idempotency }),
    sweep: (message, deadline) => runtime.sweep.work(message, { deadline }),
    observe: (message) => {
      const observer = observe(message);
      return {
        run: (work) => observing(observer, work),
        onResult: observer.batchResult,
        onUnreadable: (error) => observer.failed(undefined, error),
        finished: (outcome) => {
          observer.queueMessage(outcome, message.receiveCount);
          observer.end();
        },
      };
    },
  });
}
