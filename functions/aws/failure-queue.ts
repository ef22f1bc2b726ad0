/**
 * The failure queue (`FAILURE_QUEUE_URL`, docs/contract.md §8) through SQS `SendMessageBatch`. The
 * same queue receives Lambda's records of failed asynchronous invocations; ours carry
 * `"source": "dcv-resend"` and a `kind`, so an operator (or a redrive script) can tell them apart.
 *
 * The SQS client is loaded on first use: only queue consumers write here, and HTTP and direct
 * invocations should not pay for evaluating it at cold start.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { PRODUCT_NAME } from '../app/contract.js';
import type { FailureQueue, FailureRecord } from '../resend/ports.js';

/** SQS's limits on one `SendMessageBatch` call. */
export const SQS_BATCH_LIMITS = { entries: 10, bytes: 256 * 1024 } as const;

/** A message body kept in a record is cut to this many characters, so a record always fits SQS. */
export const FAILURE_BODY_MAX_CHARS = 64 * 1024;

/** Entries SQS reported as failed are sent again this many times before `write` throws. */
const ENTRY_ATTEMPTS = 3;

export interface SqsFailureQueueOptions {
  readonly queueUrl: string;
  /** Bounds on the client: attempts per call and per-request timeouts. */
  readonly maxAttempts?: number;
  readonly requestTimeoutMs?: number;
  /** A ready client (tests); by default one is built on first use, honouring `AWS_ENDPOINT_URL_SQS`. */
  readonly client?: SQSClient;
  readonly now?: () => number;
}

/** The record as it is written: what happened, to what, and when. */
export function failureRecordBody(record: FailureRecord, failedAt: number): string {
  const body =
    record.body !== undefined && record.body.length > FAILURE_BODY_MAX_CHARS
      ? `${record.body.slice(0, FAILURE_BODY_MAX_CHARS)}…`
      : record.body;
  return JSON.stringify({
    source: PRODUCT_NAME,
    ...record,
    ...(body === undefined ? {} : { body }),
    failedAt: new Date(failedAt).toISOString(),
  });
}

/** Groups message bodies into `SendMessageBatch` calls: at most 10 entries and 256 KiB each. */
export function batchesOf(bodies: readonly string[]): string[][] {
  const batches: string[][] = [];
  let current: string[] = [];
  let bytes = 0;
  for (const body of bodies) {
    const size = Buffer.byteLength(body);
    if (
      current.length === SQS_BATCH_LIMITS.entries ||
      (current.length > 0 && bytes + size > SQS_BATCH_LIMITS.bytes)
    ) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(body);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

export class SqsFailureQueue implements FailureQueue {
  readonly #options: SqsFailureQueueOptions;
  readonly #sender: SqsBatchSender;

  constructor(options: SqsFailureQueueOptions) {
    this.#options = options;
    this.#sender = new SqsBatchSender({ ...options, what: 'The failure queue' });
  }

  async write(records: readonly FailureRecord[]): Promise<void> {
    if (records.length === 0) return;
    const now = this.#options.now ?? Date.now;
    const failedAt = now();
    await this.#sender.send(records.map((record) => failureRecordBody(record, failedAt)));
  }
}

export interface SqsBatchSenderOptions {
  readonly queueUrl: string;
  /** Names the queue in errors: "The failure queue refused 2 record(s)". */
  readonly what: string;
  readonly maxAttempts?: number;
  readonly requestTimeoutMs?: number;
  /** A ready client (tests); by default one is built on first use, honouring `AWS_ENDPOINT_URL_SQS`. */
  readonly client?: SQSClient;
}

/**
 * Sends message bodies to one queue with `SendMessageBatch` (at most 10 entries and 256 KiB per
 * call), sending again the entries SQS reports as failed; the SQS client is loaded on first use.
 */
export class SqsBatchSender {
  readonly #options: SqsBatchSenderOptions;
  #client: Promise<SQSClient> | undefined;
  #sdk: Promise<typeof import('./sqs-send.js')> | undefined;

  constructor(options: SqsBatchSenderOptions) {
    this.#options = options;
  }

  async send(bodies: readonly string[]): Promise<void> {
    for (const batch of batchesOf(bodies)) await this.#sendBatch(batch);
  }

  async #sendBatch(bodies: readonly string[]): Promise<void> {
    const { SendMessageBatchCommand } = await this.#loadSdk();
    const client = await this.#loadClient();
    let pending = bodies.map((body, index) => ({ Id: String(index), MessageBody: body }));
    for (let attempt = 1; pending.length > 0; attempt += 1) {
      const answer = await client.send(
        new SendMessageBatchCommand({ QueueUrl: this.#options.queueUrl, Entries: pending }),
      );
      const failed = new Set((answer.Failed ?? []).map((entry) => entry.Id));
      pending = pending.filter((entry) => failed.has(entry.Id));
      if (pending.length > 0 && attempt >= ENTRY_ATTEMPTS) {
        const codes = [...new Set((answer.Failed ?? []).map((entry) => entry.Code ?? 'unknown'))];
        throw new Error(
          `${this.#options.what} refused ${pending.length} record(s) after ${attempt} attempts (${codes.join(', ')})`,
        );
      }
    }
  }

  #loadSdk(): Promise<typeof import('./sqs-send.js')> {
    this.#sdk ??= import('./sqs-send.js');
    return this.#sdk;
  }

  #loadClient(): Promise<SQSClient> {
    if (this.#options.client) return Promise.resolve(this.#options.client);
    this.#client ??= this.#loadSdk().then(
      ({ SQSClient: Client }) =>
        new Client({
          maxAttempts: this.#options.maxAttempts ?? 3,
          requestHandler: {
            connectionTimeout: 1_000,
            requestTimeout: this.#options.requestTimeoutMs ?? 5_000,
            throwOnRequestTimeout: true,
          },
        }),
    );
    return this.#client;
  }
}
