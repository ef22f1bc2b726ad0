/**
 * Errors as direct callers (Lambda `Invoke`, Step Functions, EventBridge, Scheduler) receive them.
 * Lambda reports a thrown error as `{"errorType": error.name, "errorMessage": error.message}` and
 * nothing else, so the fields a program needs (the code, the status, DigiCert's entries, the
 * retry hint) must travel in the message. The message of each typed error thrown to a direct caller
 * is therefore a JSON object (docs/contract.md §3), as `BatchError`'s already is:
 *
 * `{"message":"<the sentence>","code":"upstream_timeout","status":504,"attempts":2}`
 *
 * Why at this boundary rather than in the errors themselves: the same errors are written to logs,
 * put into batch results (whose `message` stays a sentence), printed by the CLI and mapped to HTTP
 * bodies (`error-mapping.ts`, which reads their fields, never their message). Only Lambda's
 * serialisation of a thrown error needs the JSON form, so it is made here, once, as the error
 * leaves the function.
 */

import type { DirectErrorDetail } from '../app/contract.js';
import {
  ConfigurationError,
  type DigiCertErrorEntry,
  DigiCertRequestError,
  errorCodeOf,
  UpstreamError,
  ValidationError,
} from '../lib/errors.js';
import { redact } from '../observability/logger.js';
import { httpStatusOf } from './error-mapping.js';

/** The machine-readable form of `error`, or `undefined` for errors that are not the contract's. */
export function directErrorDetail(error: unknown): DirectErrorDetail | undefined {
  if (error instanceof ValidationError) {
    const errors = error.issues.map(({ code, message, field }) =>
      field ? { code, message, field } : { code, message },
    );
    return {
      message: error.message,
      code: errors[0]?.code ?? 'invalid_input',
      status: httpStatusOf(error),
      errors,
    };
  }
  if (error instanceof DigiCertRequestError) {
    const errors: readonly DigiCertErrorEntry[] = error.errors;
    return {
      message: error.message,
      code: errorCodeOf(error) ?? `http_${error.status}`,
      status: error.status,
      errors,
    };
  }
  if (error instanceof UpstreamError) {
    return {
      message: error.message,
      code: error.code,
      status: httpStatusOf(error),
      ...(error.retryAfterSeconds === undefined ? {} : { retry_after: error.retryAfterSeconds }),
      attempts: error.attempts,
    };
  }
  if (error instanceof ConfigurationError) {
    return { message: error.message, code: error.code, status: httpStatusOf(error) };
  }
  return undefined;
}

/**
 * `error`, ready to be thrown to a direct caller: a typed error's message replaced by its JSON
 * detail (the instance, its `name` and its fields are kept; its stack keeps the sentence). Other
 * errors, `BatchError` included (its message is JSON already), are returned unchanged. Call it after
 * the error has been logged, which uses the sentence.
 */
export function forDirectCaller(error: unknown): unknown {
  const detail = directErrorDetail(error);
  if (detail !== undefined && error instanceof Error) error.message = redact(JSON.stringify(detail));
  return error;
}
