/**
 * Typed errors of the resend use case. Their `name` is what Lambda reports as `errorType` to
 * direct callers and Step Functions (docs/contract.md §3), so the names are part of the public
 * contract and are written once, in `contract.ts`. HTTP statuses are decided elsewhere, in
 * `functions/triggers/error-mapping.ts`.
 */
import { type ERROR_CODES, ERROR_TYPES } from '../app/contract.js';
import type { BatchResult } from '../resend/batch-result.js';

/** One problem found in a request: where it is and which rule it broke. */
export interface Issue {
  /** Dotted path of the offending field, e.g. `domain_approval_emails.0.email`; `` for the whole request. */
  readonly field: string;
  /** The rule that was broken, in words a caller can act on. */
  readonly message: string;
  /** A stable code: `invalid_input`, `invalid_order_id`, `invalid_json`, `dcv_email_not_allowed` or `idempotency_key_reused`. */
  readonly code: ValidationCode;
}

export type ValidationCode = (typeof ERROR_CODES.ValidationError)[number];

/** Issues reported for one request; beyond them, one more entry says how many were left out. */
export const MAX_REPORTED_ISSUES = 50;

/**
 * Input rejected before DigiCert was called. Retrying does not help. A large invalid batch could
 * break every rule hundreds of times: only the first `MAX_REPORTED_ISSUES` are kept (in the error,
 * its message and the HTTP envelope), then one entry with the count of the others.
 */
export class ValidationError extends Error {
  override readonly name = ERROR_TYPES.ValidationError;
  readonly issues: readonly Issue[];

  constructor(issues: readonly Issue[], options?: ErrorOptions) {
    const reported = ValidationError.cap(issues);
    super(ValidationError.summarise(reported), options);
    this.issues = reported;
  }

  private static cap(issues: readonly Issue[]): readonly Issue[] {
    if (issues.length <= MAX_REPORTED_ISSUES) return issues;
    const more = issues.length - MAX_REPORTED_ISSUES;
    return [
      ...issues.slice(0, MAX_REPORTED_ISSUES),
      {
        field: '',
        message: `and ${more} more problem${more === 1 ? '' : 's'} not listed (only the first ${MAX_REPORTED_ISSUES} are reported)`,
        code: 'invalid_input',
      },
    ];
  }

  static single(field: string, message: string, code: ValidationCode = 'invalid_input'): ValidationError {
    return new ValidationError([{ field, message, code }]);
  }

  private static summarise(issues: readonly Issue[]): string {
    const parts = issues.map((i) => (i.field ? `${i.field}: ${i.message}` : i.message));
    return `Invalid request: ${parts.join('; ')}`;
  }
}

/**
 * A delivery id (HTTP `Idempotency-Key`, payload `idempotency_key`) reused with a different request
 * (docs/contract.md §6). Direct callers see a `ValidationError`; HTTP answers 422.
 */
export class IdempotencyKeyReusedError extends ValidationError {
  constructor(field: string, options?: ErrorOptions) {
    super(
      [
        {
          field,
          message:
            'was already used for a different request; send a new key for a new request, or repeat the original request unchanged',
          code: 'idempotency_key_reused',
        },
      ],
      options,
    );
  }
}

/** One entry of DigiCert's error envelope, as DigiCert sent it. */
export interface DigiCertErrorEntry {
  readonly code: string;
  readonly message: string;
  readonly [extra: string]: unknown;
}

/** DigiCert answered with a 4xx (other than 401 and 429). Retrying does not help. */
export class DigiCertRequestError extends Error {
  override readonly name = ERROR_TYPES.DigiCertRequestError;
  readonly status: number;
  readonly errors: readonly DigiCertErrorEntry[];

  constructor(status: number, errors: readonly DigiCertErrorEntry[], options?: ErrorOptions) {
    const codes = errors.map((e) => e.code).join(', ') || 'no error code';
    const detail = errors.map((e) => e.message).filter(Boolean)[0];
    super(
      `DigiCert rejected the request with HTTP ${status} (${codes})${detail ? `: ${detail}` : ''}`,
      options,
    );
    this.status = status;
    this.errors = errors;
  }
}

/**
 * DigiCert does not know the order (its 404) where this product names the outcome itself
 * (docs/contract.md §10): 404 `order_not_found` over HTTP; directly a `DigiCertRequestError` whose
 * code is `order_not_found`.
 */
export class OrderNotFoundError extends DigiCertRequestError {
  readonly code = 'order_not_found' satisfies (typeof ERROR_CODES.DigiCertRequestError)[number];
  readonly orderId: number;

  constructor(orderId: number, options?: ErrorOptions) {
    super(
      404,
      [{ code: 'order_not_found', message: `DigiCert has no order ${orderId} in this account` }],
      options,
    );
    this.orderId = orderId;
  }
}

export type UpstreamCode = (typeof ERROR_CODES.UpstreamError)[number];

/** DigiCert was unavailable, rate-limited or too slow, after the retries that fit. Retrying later helps. */
export class UpstreamError extends Error {
  override readonly name = ERROR_TYPES.UpstreamError;
  readonly code: UpstreamCode;
  /** Seconds the caller should wait before trying again, when known. */
  readonly retryAfterSeconds: number | undefined;
  /** How many times DigiCert was called for this request. */
  readonly attempts: number;

  constructor(
    code: UpstreamCode,
    message: string,
    options?: ErrorOptions & { retryAfterSeconds?: number | undefined; attempts?: number },
  ) {
    super(message, options);
    this.code = code;
    this.retryAfterSeconds = options?.retryAfterSeconds;
    this.attempts = options?.attempts ?? 0;
  }
}

export type ConfigurationCode = (typeof ERROR_CODES.ConfigurationError)[number];

/** The function is misconfigured: a variable, the secret, or the API key itself. Fix, then retry. */
export class ConfigurationError extends Error {
  override readonly name = ERROR_TYPES.ConfigurationError;
  readonly code: ConfigurationCode;

  constructor(code: ConfigurationCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/**
 * Some orders of a batch failed; the message is JSON with every order's result (the same
 * `{"sent","failed","results"}` a successful batch returns), so that callers who only see Lambda's
 * `errorMessage` (Step Functions, `aws lambda invoke`) learn which orders failed and why.
 */
export class BatchError extends Error {
  override readonly name = ERROR_TYPES.BatchError;
  readonly summary: BatchResult;

  constructor(summary: BatchResult) {
    super(JSON.stringify(summary));
    this.summary = summary;
  }
}

/** The errors a direct caller may see, by `name`. */
export type ResendErrorType =
  | ValidationError['name']
  | DigiCertRequestError['name']
  | UpstreamError['name']
  | ConfigurationError['name']
  | BatchError['name'];

/**
 * The code that identifies a failure for logs, metrics and batch results: the contract's code
 * (`UpstreamError.code`, `ConfigurationError.code`, ...), else DigiCert's own codes joined by commas.
 */
export function errorCodeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, errors } = error as { code?: unknown; errors?: unknown };
  if (typeof code === 'string') return code;
  if (!Array.isArray(errors)) return undefined;
  const codes = errors
    .map((entry: unknown) =>
      typeof entry === 'object' && entry !== null && typeof (entry as { code?: unknown }).code === 'string'
        ? (entry as { code: string }).code
        : '',
    )
    .filter(Boolean);
  return codes.length > 0 ? codes.join(',') : undefined;
}

/**
 * The DCV pre-check refused an approval email (`DCV_PRECHECK=enforce`, docs/contract.md §9): a
 * `ValidationError` to every caller (400 over HTTP, `errorType` `ValidationError` directly), whose
 * `code` also tags batch results and logs.
 */
export class DcvEmailNotAllowedError extends ValidationError {
  readonly code = 'dcv_email_not_allowed';
}
