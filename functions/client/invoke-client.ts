/**
 * The callers' side of a direct invocation (CONTRACT §3): other TypeScript Lambdas import this
 * module to call the resend function through the Lambda `Invoke` API, with typed requests and
 * results, and get failures back as the same error classes the function throws.
 *
 * ```ts
 * import { createResendClient, UpstreamError } from 'dcv-resend/invoke-client';
 *
 * const dcv = createResendClient({ functionName: process.env.RESEND_FUNCTION_NAME ?? 'resend-dcv-emails' });
 * await dcv.resend({ order_id: 123456, locale: 'en' }); // { order_id: 123456, status: 'sent' }
 * ```
 *
 * Lambda reports a thrown error as `{"errorType": error.name, "errorMessage": error.message}` and
 * nothing else, so what is not in the message cannot be rebuilt: `UpstreamError.code` and
 * `ConfigurationError.code` are read from the message's wording, `DigiCertRequestError.errors` carry
 * DigiCert's codes and first message, and `ValidationError.issues` are split from the summary.
 * `BatchError.summary` is complete: its message is the JSON summary itself.
 *
 * This module imports no schema library: it adds only the Lambda client to a caller's bundle.
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { BatchResult, OrderResult, SentResult } from '../shared/domain/batch-result.js';
import {
  BatchError,
  type ConfigurationCode,
  ConfigurationError,
  type DigiCertErrorEntry,
  DigiCertRequestError,
  type Issue,
  type UpstreamCode,
  UpstreamError,
  ValidationError,
} from '../shared/domain/errors.js';
import { isRecord } from '../shared/is-record.js';

export type { BatchResult, FailedResult, OrderResult, SentResult } from '../shared/domain/batch-result.js';
export {
  BatchError,
  ConfigurationError,
  DigiCertRequestError,
  UpstreamError,
  ValidationError,
} from '../shared/domain/errors.js';

/** One address DigiCert should send the DCV email to (CONTRACT §1). */
export interface ApprovalEmailInput {
  /** The domain to validate (FQDN; a leading `*.` is allowed). */
  readonly domain: string;
  readonly email: string;
  /** `domain` itself or one of its parents, for constructed addresses such as `admin@`. */
  readonly email_domain?: string;
}

/** One order to resend DCV emails for; the function validates it (CONTRACT §1). */
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
   * `ValidationError` when the batch was refused before any order was tried.
   */
  resendBatch(orders: readonly ResendOrder[]): Promise<BatchResult>;
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
    async resendBatch(orders) {
      const result = await invoke({ orders });
      if (!isBatchResult(result)) throw unexpected('a batch', result);
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
 * function threw.
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
  const error = rebuild(errorType, message) ?? new LambdaInvokeError(message, { errorType, functionError });
  // The rebuilt error's own wording may differ in detail: the caller sees exactly what was thrown.
  error.message = message;
  return error;
}

function rebuild(errorType: string | undefined, message: string): Error | undefined {
  switch (errorType) {
    case 'ValidationError':
      return new ValidationError(parseIssues(message));
    case 'DigiCertRequestError':
      return parseDigiCertRequestError(message);
    case 'UpstreamError':
      return new UpstreamError(upstreamCodeOf(message), message, { attempts: attemptsOf(message) });
    case 'ConfigurationError':
      return new ConfigurationError(configurationCodeOf(message), message);
    case 'BatchError': {
      let summary: unknown;
      try {
        summary = JSON.parse(message);
      } catch {
        return undefined;
      }
      return isBatchResult(summary) ? new BatchError(summary) : undefined;
    }
    default:
      return undefined;
  }
}

const ISSUE_WITH_FIELD = /^([A-Za-z0-9_.-]+): ([\s\S]*)$/;

/** `Invalid request: a.b: rule; c: rule` back into issues. */
function parseIssues(message: string): Issue[] {
  const body = message.replace(/^Invalid request: /, '');
  return body.split('; ').map((part) => {
    const match = ISSUE_WITH_FIELD.exec(part);
    const field = match?.[1] ?? '';
    return {
      field,
      message: match?.[2] ?? part,
      code: field.endsWith('order_id') ? 'invalid_order_id' : 'invalid_input',
    };
  });
}

const DIGICERT_REJECTION = /HTTP (\d{3}) \(([^)]*)\)(?:: ([\s\S]*))?$/;

function parseDigiCertRequestError(message: string): DigiCertRequestError {
  const match = DIGICERT_REJECTION.exec(message);
  const status = Number(match?.[1] ?? 0);
  const codes = match?.[2] && match[2] !== 'no error code' ? match[2].split(', ') : [];
  const detail = match?.[3] ?? '';
  const errors: DigiCertErrorEntry[] = codes.map((code, index) => ({
    code,
    message: index === 0 ? detail : '',
  }));
  return new DigiCertRequestError(status, errors);
}

function upstreamCodeOf(message: string): UpstreamCode {
  if (/request limit|rate-limit|HTTP 429/i.test(message)) return 'request_limit_exceeded';
  if (/in time|no time left/i.test(message)) return 'upstream_timeout';
  return 'upstream_unavailable';
}

function attemptsOf(message: string): number {
  return Number(/after (\d+) attempts?/.exec(message)?.[1] ?? 0);
}

function configurationCodeOf(message: string): ConfigurationCode {
  if (/rejected the API key/i.test(message)) return 'upstream_auth_failed';
  if (/^DIGICERT_API_KEY_SECRET_ID is required/.test(message)) return 'secret_unavailable';
  if (/^[A-Z][A-Z0-9_]* must /.test(message)) return 'invalid_configuration';
  return /secret/i.test(message) ? 'secret_unavailable' : 'invalid_configuration';
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
