/**
 * The one place where outcomes become HTTP statuses (CONTRACT §2). Client errors say what was
 * wrong; server errors say nothing internal. The envelope is DigiCert's own shape.
 */
import {
  ConfigurationError,
  type DigiCertErrorEntry,
  DigiCertRequestError,
  IdempotencyKeyReusedError,
  UpstreamError,
  ValidationError,
} from '../domain/errors.js';
import { HttpRequestError, type HttpResponse } from './api-gateway.js';

interface ErrorEntry {
  readonly code: string;
  readonly message: string;
  readonly field?: string;
}

interface Mapped {
  readonly status: number;
  readonly errors: readonly (ErrorEntry | DigiCertErrorEntry)[];
  readonly headers?: Record<string, string>;
}

const entry = (code: string, message: string): ErrorEntry[] => [{ code, message }];

function map(error: unknown): Mapped {
  if (error instanceof IdempotencyKeyReusedError) {
    // A well-formed request that conflicts with the recorded one: 422, not the 400 of a bad request.
    return {
      status: 422,
      errors: error.issues.map(({ code, message, field }) => ({ code, message, field })),
    };
  }
  if (error instanceof ValidationError) {
    return {
      status: 400,
      errors: error.issues.map(({ code, message, field }) =>
        field ? { code, message, field } : { code, message },
      ),
    };
  }
  if (error instanceof HttpRequestError) {
    return {
      status: error.status,
      errors: entry(error.code, error.message),
      headers: error.status === 405 ? { allow: 'PUT' } : undefined,
    };
  }
  if (error instanceof DigiCertRequestError) {
    // DigiCert's own entries, verbatim: existing DigiCert client code keeps working.
    return { status: error.status, errors: error.errors };
  }
  if (error instanceof UpstreamError) {
    switch (error.code) {
      case 'request_limit_exceeded':
        return {
          status: 429,
          errors: entry(
            'request_limit_exceeded',
            'DigiCert request limit reached; retry after the indicated delay',
          ),
          headers: { 'retry-after': String(error.retryAfterSeconds ?? 5) },
        };
      case 'upstream_timeout':
        return { status: 504, errors: entry('upstream_timeout', 'DigiCert did not answer in time') };
      case 'request_in_progress':
        return {
          status: 409,
          errors: entry(
            'request_in_progress',
            'A request with this Idempotency-Key is still being processed; retry after the indicated delay',
          ),
          headers: { 'retry-after': String(error.retryAfterSeconds ?? 5) },
        };
      case 'state_unavailable':
        return {
          status: 503,
          errors: entry(
            'state_unavailable',
            'The request could not be recorded, so it was not sent; retry later with the same Idempotency-Key',
          ),
        };
      default:
        return {
          status: 502,
          errors: entry('upstream_unavailable', 'DigiCert is unavailable; retry later'),
          headers:
            error.retryAfterSeconds === undefined
              ? undefined
              : { 'retry-after': String(error.retryAfterSeconds) },
        };
    }
  }
  if (error instanceof ConfigurationError) {
    switch (error.code) {
      case 'secret_unavailable':
        return { status: 503, errors: entry('secret_unavailable', 'The DigiCert API key cannot be read') };
      case 'upstream_auth_failed':
        return {
          status: 502,
          errors: entry('upstream_auth_failed', 'DigiCert rejected the configured API key'),
        };
      default:
        return { status: 500, errors: entry('internal_error', 'Internal error') };
    }
  }
  return { status: 500, errors: entry('internal_error', 'Internal error') };
}

/** The HTTP response for an error, with the DigiCert-shaped envelope and the request id. */
export function errorResponse(error: unknown, requestId: string): HttpResponse {
  const { status, errors, headers } = map(error);
  return {
    statusCode: status,
    headers: { 'content-type': 'application/json', 'x-request-id': requestId, ...headers },
    body: JSON.stringify({ errors }),
  };
}

/** A response answered from a recorded outcome (docs/contract.md §2, §6). */
export function replayedResponse(response: HttpResponse): HttpResponse {
  return { ...response, headers: { ...response.headers, 'idempotent-replayed': 'true' } };
}

/** DigiCert accepted: 204, empty body. */
export function noContentResponse(requestId: string): HttpResponse {
  return { statusCode: 204, headers: { 'x-request-id': requestId }, body: '' };
}
