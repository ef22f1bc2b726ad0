/**
 * What a direct or scheduled invocation answers (docs/contract.md §3): one order's success, or a batch's
 * per-order results. Shared by the entry (which produces them), `BatchError` (which carries them)
 * and the invoke client (which hands them back to callers).
 */

export interface SentResult {
  readonly order_id: number;
  readonly status: 'sent';
}

export interface FailedResult {
  readonly order_id: number;
  readonly status: 'failed';
  /** The error's `name`, as a single invocation would have thrown it (`UpstreamError`, ...). */
  readonly error_type: string;
  /** The contract code (`upstream_unavailable`, DigiCert's own codes, ...) when there is one. */
  readonly code?: string;
  readonly message: string;
}

export type OrderResult = SentResult | FailedResult;

export interface BatchResult {
  readonly sent: number;
  readonly failed: number;
  /** One entry per order, in the order of the request. */
  readonly results: readonly OrderResult[];
}
