/**
 * The DNS-DCV task failures that are not the resend's errors (docs/contract.md §12): their `name` is
 * the `errorType` the workflow sees (`DNS_DCV_ERROR_TYPES`). None is retried by the workflow: it
 * cleans up and fails. Transient failures are `UpstreamError`s, which it retries.
 */
import { DNS_DCV_ERROR_TYPES } from '../../app/contract.js';

/** Our record cannot go where it must without replacing someone else's (a CNAME, a routed set). */
export class DnsRecordConflictError extends Error {
  override readonly name = DNS_DCV_ERROR_TYPES.recordConflict;
}

/** Route 53 refused the change batch every time: the record set kept changing under us. */
export class DnsChangeRefusedError extends Error {
  override readonly name = DNS_DCV_ERROR_TYPES.changeRefused;
}

/** Route 53 did not report the change `INSYNC` within the polls allowed. */
export class DnsChangeNotInSyncError extends Error {
  override readonly name = DNS_DCV_ERROR_TYPES.changeNotInSync;
}
