/**
 * The one place where outcomes become HTTP responses (docs/contract.md §2); the statuses are the
 * contract's, from `contract.ts`. Client errors say what was
 * wrong; server errors say nothing internal. The envelope is DigiCert's own shape.
 */
import {
  DEFAULT_RETRY_AFTER_SECONDS,
  EMAIL_DCV_SUNSET,
  EMAIL_DCV_SUNSET_SOURCE,
  HEADERS,
  HTTP_ERROR_STATUS,
  type HttpErrorCode,
} from '../app/contract.js';
import {
  ConfigurationError,
  type DigiCertErrorEntry,
  DigiCertRequestError,
  OrderNotFoundError,
  UpstreamError,
  ValidationError,
} from '../lib/errors.js';
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

/** The contract's status and a one-entry envelope for one of this product's codes. */
const own = (code: HttpErrorCode, message: string) => ({
  status: HTTP_ERROR_STATUS[code],
  errors: entry(code, message),
});

function map(error: unknown): Mapped {
  if (error instanceof ValidationError) {
    // 400, except a well-formed request that conflicts with a recorded one (idempotency_key_reused): 422.
    return {
      status: HTTP_ERROR_STATUS[error.issues[0]?.code ?? 'invalid_input'],
      errors: error.issues.map(({ code, message, field }) =>
        field ? { code, message, field } : { code, message },
      ),
    };
  }
  if (error instanceof HttpRequestError) {
    return {
      status: error.status,
      errors: entry(error.code, error.message),
      headers: error.code === 'method_not_allowed' ? { allow: error.allow } : undefined,
    };
  }
  if (error instanceof OrderNotFoundError) {
    // docs/contract.md §10: this product's own code for DigiCert's 404, whatever DigiCert's wording.
    return own('order_not_found', error.errors[0]?.message ?? 'DigiCert does not know the order');
  }
  if (error instanceof DigiCertRequestError) {
    // DigiCert's own codes and messages (sanitised by the client): existing DigiCert client code keeps working.
    return { status: error.status, errors: error.errors };
  }
  if (error instanceof UpstreamError) {
    switch (error.code) {
      case 'request_limit_exceeded':
        return {
          ...own('request_limit_exceeded', 'DigiCert request limit reached; retry after the indicated delay'),
          headers: { [HEADERS.retryAfter]: String(error.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS) },
        };
      case 'upstream_timeout':
        return own('upstream_timeout', 'DigiCert did not answer in time');
      case 'request_in_progress':
        return {
          ...own(
            'request_in_progress',
            'A request with this Idempotency-Key is still being processed; retry after the indicated delay',
          ),
          headers: { [HEADERS.retryAfter]: String(error.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS) },
        };
      case 'state_unavailable':
        return own(
          'state_unavailable',
          'The request could not be recorded, so it was not sent; retry later with the same Idempotency-Key',
        );
      default:
        return {
          ...own('upstream_unavailable', 'DigiCert is unavailable; retry later'),
          headers:
            error.retryAfterSeconds === undefined
              ? undefined
              : { [HEADERS.retryAfter]: String(error.retryAfterSeconds) },
        };
    }
  }
  if (error instanceof ConfigurationError) {
    switch (error.code) {
      case 'secret_unavailable':
        return own('secret_unavailable', 'The DigiCert API key cannot be read');
      case 'upstream_auth_failed':
        return own('upstream_auth_failed', 'DigiCert rejected the configured API key');
      default:
        return own('internal_error', 'Internal error');
    }
  }
  return own('internal_error', 'Internal error');
}

/**
 * The HTTP status an error is answered with. Direct callers get it too, in the error's JSON message
 * (`direct-errors.ts`), so that both kinds of caller can branch on the same number.
 */
export function httpStatusOf(error: unknown): number {
  return map(error).status;
}

/** The HTTP response for an error, with the DigiCert-shaped envelope and the request id. */
export function errorResponse(error: unknown, requestId: string): HttpResponse {
  const { status, errors, headers } = map(error);
  return {
    statusCode: status,
    headers: { 'content-type': 'application/json', [HEADERS.requestId]: requestId, ...headers },
    body: JSON.stringify({ errors }),
  };
}

/** A response answered from a recorded outcome (docs/contract.md §2, §6). */
export function replayedResponse(response: HttpResponse): HttpResponse {
  return { ...response, headers: { ...response.headers, [HEADERS.idempotentReplayed]: 'true' } };
}

/**
 * DigiCert accepted: 204, empty body, and the email-DCV sunset (docs/contract.md §2, §9): RFC 8594
 * `Sunset` with a `Link` to the CA/Browser Forum ballot that sets the date.
 */
export function noContentResponse(requestId: string): HttpResponse {
  return {
    statusCode: 204,
    headers: {
      [HEADERS.requestId]: requestId,
      // docs/contract.md §2, §9: every resend that went out says when email DCV ends.
      [HEADERS.sunset]: EMAIL_DCV_SUNSET,
      [HEADERS.link]: `<${EMAIL_DCV_SUNSET_SOURCE}>; rel="sunset"`,
    },
    body: '',
  };
}

/** 200 with a JSON body (the read-only routes); 202 for a started workflow (docs/contract.md §12). */
export function jsonResponse(requestId: string, body: string, statusCode: 200 | 202 = 200): HttpResponse {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', [HEADERS.requestId]: requestId },
    body,
  };
}
