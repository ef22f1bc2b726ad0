/**
 * The DNS-DCV feature's hosted zones (`dcv/dns/ports.ts` `DnsZones`) on Route 53: the adapter's
 * own failures become the feature's. Throttling (`Throttling`, `PriorRequestNotComplete`), a 5xx,
 * a timeout or no request slot within its wait is an `UpstreamError` (the workflow retries it);
 * access denied or a missing zone is a `ConfigurationError`; a CNAME in the way is
 * `DnsRecordConflict`; a set that kept changing is `DnsChangeRefused`.
 */
import { DnsChangeRefusedError, DnsRecordConflictError } from '../../dcv/dns/errors.js';
import type { DnsZones, ZoneRecord } from '../../dcv/dns/ports.js';
import { ConfigurationError, UpstreamError } from '../../lib/errors.js';
import type { RateLimiter } from '../../resend/ports.js';
import { createRoute53Client } from './client.js';
import { ChangeRefusedError, RecordConflictError, RecordNameError, Route53Error } from './errors.js';
import { Route53Records } from './records.js';

/**
 * Builds the container's zones: one Route 53 client, with the role to assume when one is set, every
 * request of which takes a slot of `limiter` (Route 53's 5 per second per account, `request-budget.ts`).
 */
export function createDnsDcvZones(options: {
  readonly roleArn?: string | undefined;
  readonly limiter: RateLimiter;
}): DnsZones {
  const records = new Route53Records(
    createRoute53Client(options.roleArn === undefined ? {} : { roleArn: options.roleArn }),
    { limiter: options.limiter },
  );
  return dnsZonesOn(records);
}

/** The port on an existing adapter (tests give theirs). */
export function dnsZonesOn(records: Route53Records): DnsZones {
  return {
    findZone: (name, allowed, call) =>
      translated(async () => {
        const match = await records.findZone(name, allowed, call);
        return match.allowed
          ? { allowed: true, zoneId: match.zoneId }
          : { allowed: false, reason: match.reason };
      }),
    publish: (record: ZoneRecord, call) => translated(() => records.publish(record, call)),
    cleanup: (record: ZoneRecord, call) => translated(() => records.cleanup(record, call)),
    changeStatus: (changeId, call) => translated(() => records.changeStatus(changeId, call)),
  };
}

async function translated<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof RecordConflictError || error instanceof RecordNameError) {
      throw new DnsRecordConflictError(error.message, { cause: error });
    }
    if (error instanceof ChangeRefusedError) throw new DnsChangeRefusedError(error.message, { cause: error });
    if (error instanceof Route53Error) {
      if (error.retryable) throw new UpstreamError('upstream_unavailable', error.message, { cause: error });
      throw new ConfigurationError('invalid_configuration', error.message, { cause: error });
    }
    throw error;
  }
}
