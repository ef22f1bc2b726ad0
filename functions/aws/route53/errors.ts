/** What the Route 53 adapter throws; each names what went wrong, the SDK's error stays in `cause`. */

/** Not a DNS name this adapter can publish at. */
export class RecordNameError extends Error {
  override readonly name = 'RecordNameError';
  constructor(readonly recordName: string) {
    super(`not a DNS name: ${JSON.stringify(recordName)}`);
  }
}

/**
 * The record cannot go there without replacing someone else's: a CNAME at the name pointing
 * elsewhere, a CNAME where other records exist (or the reverse), or a record set with a routing
 * policy. Never retried, never overwritten.
 */
export class RecordConflictError extends Error {
  override readonly name = 'RecordConflictError';
}

/**
 * Route 53 refused the change batch every time it was tried (`InvalidChangeBatch`): the record set
 * kept changing between our read and our write, or the change is one Route 53 will not take.
 */
export class ChangeRefusedError extends Error {
  override readonly name = 'ChangeRefusedError';
  constructor(
    message: string,
    readonly attempts: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A Route 53 (or STS) call failed after the SDK's own retries. */
export class Route53Error extends Error {
  override readonly name = 'Route53Error';
  constructor(
    readonly operation: string,
    /** The SDK's error name (`Throttling`, `NoSuchHostedZone`, `AccessDenied`, `TimeoutError`, ...). */
    readonly code: string,
    /** Throttling, a 5xx, a timeout or a dropped connection: worth another try later. */
    readonly retryable: boolean,
    options?: ErrorOptions,
  ) {
    super(`Route 53 ${operation} failed: ${code}`, options);
  }
}
