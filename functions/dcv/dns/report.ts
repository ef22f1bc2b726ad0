/**
 * What the DNS-DCV workflow tells operators (docs/contract.md §12): EMF documents in the function's
 * namespace (`DnsDcvStarted`; `DnsDcvValidated` with `DnsDcvTimeToValidationSeconds`;
 * `DnsDcvFailed` with the dimension sets [Service] and [Service, Reason]) and a log line for each.
 * Written as the sweep's and the pre-check's are (`metricDocumentWriter`).
 */
import { DNS_DCV_METRICS, METRICS } from '../../app/contract.js';
import type { Logger } from '../../observability/logger.js';
import { metricDocumentWriter } from '../../observability/metrics.js';

export interface DnsDcvReporter {
  started(orderId: number, details: { readonly method: string; readonly execution: string }): void;
  validated(orderId: number, seconds: number): void;
  /** The workflow ended without validation; `reason` is the error's name or `RandomValueExpired`, `GaveUp`. */
  failed(orderId: number, reason: string): void;
}

export function createDnsDcvReporter(options: {
  readonly logger: Logger;
  readonly service: string;
  readonly documentLevel: string;
  readonly now?: () => number;
}): DnsDcvReporter {
  const log = options.logger.child({ component: 'dns-dcv' });
  const write = metricDocumentWriter(options);
  return {
    started(orderId, details) {
      write([{ name: DNS_DCV_METRICS.started, unit: 'Count', value: 1 }]);
      log.info('dns dcv started', { orderId, ...details });
    },
    validated(orderId, seconds) {
      write([
        { name: DNS_DCV_METRICS.validated, unit: 'Count', value: 1 },
        { name: DNS_DCV_METRICS.timeToValidation, unit: 'Seconds', value: seconds },
      ]);
      log.info('dns dcv validated', { orderId, seconds });
    },
    failed(orderId, reason) {
      write([{ name: DNS_DCV_METRICS.failed, unit: 'Count', value: 1 }], {
        dimensions: [[METRICS.serviceDimension], [METRICS.serviceDimension, DNS_DCV_METRICS.reasonDimension]],
        dimensionValues: { [DNS_DCV_METRICS.reasonDimension]: reason },
      });
      log.warn('dns dcv not validated', { orderId, reason });
    },
  };
}
