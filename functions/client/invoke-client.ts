/**
 * The callers' side of a direct invocation (docs/contract.md §3): other TypeScript Lambdas import this
 * module to call the resend function through the Lambda `Invoke` API, with typed requests and
 * results, and get failures back as the same error classes the function throws.
 *
 * ```ts
 * import { createResendClient, UpstreamError } from 'dcv-resend/invoke-client';
 *
 * const dcv = createResendClient({ functionName: process.env.DCV_RESEND_FUNCTION_NAME ?? '' });
 * await dcv.resend({ order_id: 123456, locale: 'en' }); // { order_id: 123456, status: 'sent' }
 * ```
 *
 * Lambda reports a thrown error as `{"errorType": error.name, "errorMessage": error.message}` and
 * nothing else, so the function puts every field a program needs into the message, as JSON
 * (docs/contract.md §3; `functions/triggers/direct-errors.ts`): this client reads the code,
 * status, entries, retry hint and attempts from there, and gives the rebuilt error the sentence as
 * its `message`. `BatchError.summary` is the message itself. Any other error payload becomes a
 * `LambdaInvokeError`.
 *
 * This module imports no schema library: it adds only the Lambda client to a caller's bundle.
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { DirectErrorDetail, DnsDcvMethod, SweepPolicy } from '../app/contract.js';
import { ERROR_CODES } from '../app/contract.js';
import type { DnsDcvStarted } from '../dcv/dns/state.js';
import type { DcvStatus } from '../dcv/status.js';
import type { SweepAnswer } from '../dcv/sweep/sweep.js';
import {
  BatchError,
  ConfigurationError,
  type DigiCertErrorEntry,
  DigiCertRequestError,
  UpstreamError,
  ValidationError,
} from '../lib/errors.js';
import { isRecord } from '../lib/is-record.js';
import type { BatchResult, OrderResult, SentResult } from '../resend/batch-result.js';

export type { DnsDcvStarted, DnsDcvStateRecord } from '../dcv/dns/state.js';
export type { DcvStatus } from '../dcv/status.js';
export {
  BatchError,
  ConfigurationError,
  DigiCertRequestError,
  UpstreamError,
  ValidationError,
} from '../lib/errors.js';
export type { BatchResult, FailedResult, OrderResult, SentResult } from '../resend/batch-result.js';

/** One address DigiCert should send the DCV email to (docs/contract.md §1). */
export interface ApprovalEmailInput {
  /** The domain to validate (FQDN; a leading `*.` is allowed). */
  readonly domain: string;
  readonly email: string;
  /** `domain` itself or one of its parents, for constructed addresses such as `admin@`. */
  readonly email_domain?: string;
}

/** One order to resend DCV emails for; the function validates it (docs/contract.md §1). */
export interface ResendOrder {
  /** A positive integer of at most 12 digits, or its decimal string. */
  readonly order_id: number | string;
  /** 1..100 recipients; omit for DigiCert's default recipients. */
  readonly domain_approval_emails?: readonly ApprovalEmailInput[];
  /** `xx` or `xx_YY`. */
  readonly locale?: string;
}

export interface ResendClientOptions {
  /** The function's name, ARN or partial ARN (`name:alias` selects an alias). */
  readonly functionName: string;
  /** A version or alias, when not part of `functionName`. */
  readonly qualifier?: string;
  /**
   * The Lambda client to use; create it once per container. @default a `LambdaClient` built from
   * the environment (`AWS_REGION`, credentials, `AWS_ENDPOINT_URL_LAMBDA`)
   */
  readonly lambda?: LambdaClient;
}

export interface ResendClient {
  /** Resends one order's DCV emails; throws one of the named errors when it did not happen. */
  resend(order: ResendOrder): Promise<SentResult>;
  /**
   * Resends 1..500 orders in one invocation. Resolves when every order was sent; otherwise throws
   * `BatchError`, whose `summary` says which orders failed and why (the others were sent), or
   * `ValidationError` when the batch was refused before any order was tried. With
   * `idempotencyKey` (docs/contract.md §6), invoking again with the same key and orders sends only
   * the orders without a recorded outcome.
   */
  resendBatch(orders: readonly ResendOrder[], options?: { idempotencyKey?: string }): Promise<BatchResult>;
  /**
   * An order's DCV status (docs/contract.md §10): `{"action": "dcv-status", "order_id": N}`. Throws
   * `DigiCertRequestError` with code `order_not_found` (status 404) for an order DigiCert does not know.
   */
  dcvStatus(orderId: number | string): Promise<DcvStatus>;
  /**
   * Starts the pending-DCV sweep (docs/contract.md §11): `{"action": "sweep"}`; with `dryRun`, its
   * plan from `offset` (which may stop short: follow `next_offset`), with `policy` if given.
   */
  sweep(request?: { dryRun?: boolean; policy?: SweepPolicy; offset?: number }): Promise<SweepAnswer>;
  /**
   * Moves an order to DNS DCV and starts its workflow (docs/contract.md §12):
   * `{"action": "dns-dcv", "order_id": N, "method": ...}`; the records and the execution's ARN.
   */
  dnsDcv(orderId: number | string, method?: DnsDcvMethod): Promise<DnsDcvStarted>;
}

/**
 * The invocation failed in a way that is not one of the function's own errors: the runtime failed
 * (`Runtime.*`, `Sandbox.Timedout`), an unexpected error type, or an answer that is not the
 * contract's. Errors of the Lambda API itself (throttling, missing function, access denied) are
 * the SDK's and pass through unchanged.
 */
export class LambdaInvokeError extends Error {
  override readonly name = 'LambdaInvokeError';
  /** Lambda's `errorType`, when the function reported one. */
  readonly errorType: string | undefined;
  /** The `X-Amz-Function-Error` value (`Unhandled`), when the function failed. */
  readonly functionError: string | undefined;

  constructor(message: string, details: { errorType?: string; functionError?: string } = {}) {
    super(message);
    this.errorType = details.errorType;
    this.functionError = details.functionError;
  }
}

/** Builds a client; create it once (module scope) and reuse it across invocations. */
export function createResendClient(options: ResendClientOptions): ResendClient {
  const lambda = options.lambda ?? new LambdaClient({});
  const invoke = async (payload: unknown): Promise<unknown> => {
    const response = await lambda.send(
      new InvokeCommand({
        FunctionName: options.functionName,
        ...(options.qualifier === undefined ? {} : { Qualifier: options.qualifier }),
        InvocationType: 'RequestResponse',
        Payload: new TextEncoder().encode(JSON.stringify(payload)),
      }),
    );
    const text = response.Payload?.transformToString() ?? '';
    if (response.FunctionError !== undefined) throw toRemoteError(text, response.FunctionError);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new LambdaInvokeError(
        `The function answered with a payload that is not JSON: ${text.slice(0, 200)}`,
      );
    }
  };

  return {
    async resend(order) {
      const result = await invoke(order);
      if (!isSentResult(result)) throw unexpected('a single order', result);
      return result;
    },
    async resendBatch(orders, options = {}) {
      const key = options.idempotencyKey;
      const result = await invoke(key === undefined ? { orders } : { orders, idempotency_key: key });
      if (!isBatchResult(result)) throw unexpected('a batch', result);
      return result;
    },
    async dcvStatus(orderId) {
      const result = await invoke({ action: 'dcv-status', order_id: orderId });
      if (!isDcvStatus(result)) throw unexpected('a DCV status', result);
      return result;
    },
    async sweep(request = {}) {
      const result = await invoke({
        action: 'sweep',
        ...(request.dryRun ? { dry_run: true } : {}),
        ...(request.policy === undefined ? {} : { policy: request.policy }),
        ...(request.offset === undefined ? {} : { offset: request.offset }),
      });
      if (!isSweepAnswer(result)) throw unexpected('a sweep', result);
      return result;
    },
    async dnsDcv(orderId, method) {
      const result = await invoke({
        action: 'dns-dcv',
        order_id: orderId,
        ...(method === undefined ? {} : { method }),
      });
      if (!isDnsDcvStarted(result)) throw unexpected('a DNS DCV start', result);
      return result;
    },
  };
}

function unexpected(what: string, result: unknown): LambdaInvokeError {
  return new LambdaInvokeError(
    `The function's answer to ${what} is not the contract's result: ${JSON.stringify(result)?.slice(0, 200)}`,
  );
}

/**
 * Turns Lambda's error payload `{"errorType","errorMessage","trace"}` back into the named error the
 * function threw, with the function's sentence as its `message`.
 */
export function toRemoteError(payload: string, functionError = 'Unhandled'): Error {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    parsed = undefined;
  }
  const errorType = isRecord(parsed) && typeof parsed.errorType === 'string' ? parsed.errorType : undefined;
  const message =
    isRecord(parsed) && typeof parsed.errorMessage === 'string'
      ? parsed.errorMessage
      : payload.slice(0, 1000);
  const detail = errorType === 'BatchError' ? undefined : parseDetail(message);
  const error =
    (detail ? fromDetail(errorType, detail) : fromBatchSummary(errorType, message)) ??
    new LambdaInvokeError(message, { errorType, functionError });
  // The constructors word their own message: the caller sees the function's sentence instead.
  error.message = detail?.message ?? message;
  return error;
}

/** The JSON detail of an error message, or `undefined` for a message that is not one. */
function parseDetail(message: string): DirectErrorDetail | undefined {
  if (!message.startsWith('{')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(message);
  } catch {
    return undefined;
  }
  if (!isRecord(value) || typeof value.message !== 'string' || typeof value.code !== 'string') {
    return undefined;
  }
  return {
    message: value.message,
    code: value.code,
    status: typeof value.status === 'number' ? value.status : 0,
    ...(Array.isArray(value.errors) ? { errors: value.errors.filter(isEntry) } : {}),
    ...(typeof value.retry_after === 'number' ? { retry_after: value.retry_after } : {}),
    ...(typeof value.attempts === 'number' ? { attempts: value.attempts } : {}),
  };
}

function isEntry(value: unknown): value is DigiCertErrorEntry & { readonly field?: string } {
  return isRecord(value) && typeof value.code === 'string' && typeof value.message === 'string';
}

/** Whether `code` is one of `codes` (a code this client does not know is replaced by a fallback). */
function oneOf<T extends string>(codes: readonly T[], code: string): code is T {
  return (codes as readonly string[]).includes(code);
}

function fromDetail(errorType: string | undefined, detail: DirectErrorDetail): Error | undefined {
  const errors = detail.errors ?? [];
  switch (errorType) {
    case 'ValidationError':
      return new ValidationError(
        errors.map(({ field, code, message }) => ({
          field: field ?? '',
          message,
          code: oneOf(ERROR_CODES.ValidationError, code) ? code : 'invalid_input',
        })),
      );
    case 'DigiCertRequestError':
      return new DigiCertRequestError(detail.status, errors);
    case 'UpstreamError':
      return new UpstreamError(
        oneOf(ERROR_CODES.UpstreamError, detail.code) ? detail.code : 'upstream_unavailable',
        detail.message,
        { attempts: detail.attempts ?? 0, retryAfterSeconds: detail.retry_after },
      );
    case 'ConfigurationError':
      return new ConfigurationError(
        oneOf(ERROR_CODES.ConfigurationError, detail.code) ? detail.code : 'invalid_configuration',
        detail.message,
      );
    default:
      return undefined;
  }
}

/** A `BatchError`, whose message is the batch summary as JSON. */
function fromBatchSummary(errorType: string | undefined, message: string): BatchError | undefined {
  if (errorType !== 'BatchError') return undefined;
  let summary: unknown;
  try {
    summary = JSON.parse(message);
  } catch {
    return undefined;
  }
  return isBatchResult(summary) ? new BatchError(summary) : undefined;
}

function isDcvStatus(value: unknown): value is DcvStatus {
  return (
    isRecord(value) &&
    typeof value.order_id === 'number' &&
    typeof value.order_status === 'string' &&
    Array.isArray(value.domains)
  );
}

function isSweepAnswer(value: unknown): value is SweepAnswer {
  return isRecord(value) && typeof value.dry_run === 'boolean' && typeof value.policy === 'string';
}

function isDnsDcvStarted(value: unknown): value is DnsDcvStarted {
  return (
    isRecord(value) &&
    typeof value.order_id === 'number' &&
    typeof value.execution === 'string' &&
    Array.isArray(value.records)
  );
}

function isSentResult(value: unknown): value is SentResult {
  return isRecord(value) && typeof value.order_id === 'number' && value.status === 'sent';
}

function isOrderResult(value: unknown): value is OrderResult {
  if (isSentResult(value)) return true;
  return (
    isRecord(value) &&
    typeof value.order_id === 'number' &&
    value.status === 'failed' &&
    typeof value.error_type === 'string' &&
    typeof value.message === 'string'
  );
}

function isBatchResult(value: unknown): value is BatchResult {
  return (
    isRecord(value) &&
    typeof value.sent === 'number' &&
    typeof value.failed === 'number' &&
    Array.isArray(value.results) &&
    value.results.every(isOrderResult)
  );
}
