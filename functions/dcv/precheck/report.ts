/**
 * What the DCV pre-check tells operators: a log line per approval email that cannot approve (or
 * that DNS could not judge, or whose domain has no MX), and a small EMF document counting them, in
 * the same namespace and dimension as the invocation's metrics (metrics.ts). A separate document,
 * because in `warn` mode the verdict may come after the invocation's own document was written.
 */

import type { Logger } from '../../observability/logger.js';
import { metricDocumentWriter } from '../../observability/metrics.js';
import type { PrecheckEvent } from './resend.js';

/** The pre-check's metrics (names are the contract with dashboards and alarms). */
export const PRECHECK_METRIC = {
  /** Approval emails that match no allowed address (refused in `enforce`, sent anyway in `warn`). */
  mismatches: 'DcvPrecheckMismatches',
  /** Approval emails DNS could not judge (lookups failed or timed out); never blocking. */
  dnsFailures: 'DcvPrecheckDnsFailures',
  /** Requests that reached their bound of DNS lookups: some approval emails were not verified. */
  lookupLimit: 'DcvPrecheckLookupLimit',
} as const;

/** Builds the `report` the pre-check calls for every judged email. */
export function createPrecheckReporter(options: {
  readonly logger: Logger;
  readonly service: string;
  readonly documentLevel: string;
  readonly now?: () => number;
}): (event: PrecheckEvent) => void {
  const log = options.logger.child({ component: 'dcv-precheck' });
  const write = metricDocumentWriter(options);
  return (event) => {
    const { verdict } = event;
    // The warm path of every passing address: nothing to say unless debugging.
    if (verdict.kind === 'allowed' && verdict.noMx === undefined && log.level !== 'debug') return;
    const fields = {
      orderId: event.orderId,
      mode: event.mode,
      field: event.field,
      domain: event.domain,
      email: event.email,
      late: event.late || undefined,
    };
    let metric: string | undefined;
    if (verdict.kind === 'not_allowed') {
      metric = PRECHECK_METRIC.mismatches;
      log.warn(
        event.refused
          ? 'dcv pre-check refused an address that cannot approve the domain'
          : 'dcv pre-check: the address cannot approve the domain; sent anyway (DCV_PRECHECK=warn)',
        { ...fields, allowed: verdict.allowed, note: verdict.noMx },
      );
    } else if (verdict.kind === 'unchecked') {
      metric = PRECHECK_METRIC.lookupLimit;
      log.warn(
        `dcv pre-check: the request reached its bound of ${verdict.limit} DNS lookups; ${verdict.count} approval email(s) were not verified (the first: ${event.field}) and are not blocked`,
        { ...fields, unchecked: verdict.count, limit: verdict.limit },
      );
    } else if (verdict.kind === 'unknown') {
      metric = PRECHECK_METRIC.dnsFailures;
      log.warn('dcv pre-check: DNS could not say whether the address can approve; not blocking', {
        ...fields,
        dnsErrors: verdict.dnsErrors,
      });
    } else if (verdict.noMx !== undefined) {
      log.warn(`dcv pre-check: ${verdict.noMx}`, { ...fields, via: verdict.via });
    } else {
      log.debug('dcv pre-check: the address can approve the domain', { ...fields, via: verdict.via });
    }
    if (metric === undefined) return;
    write([{ name: metric, unit: 'Count', value: 1 }], { properties: { orderId: event.orderId } });
  };
}
