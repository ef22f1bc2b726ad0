/**
 * What the DNS-DCV workflow tells operators (docs/contract.md §12): EMF documents in the function's
 * namespace (`DnsDcvStarted`; `DnsDcvValidated` with `DnsDcvTimeToValidationSeconds`;
 * `DnsDcvFailed` with the dimension sets [Service] and [Service, Reason]) and a log line for each.
 * Written the way the sweep writes its documents (`sweep/report.ts`).
 */
import { DNS_DCV_METRICS, METRICS } from '../../app/contract.js';
import type { Logger } from '../../observability/logger.js';

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
  const now = options.now ?? Date.now;
  const log = options.logger.child({ component: 'dns-dcv' });
  const write = (
    metrics: readonly { readonly name: string; readonly unit: string; readonly value: number }[],
    dimensions: readonly (readonly string[])[] = [[METRICS.serviceDimension]],
    extra: Readonly<Record<string, string>> = {},
  ) => {
    const timestamp = now();
    options.logger.write({
      _aws: {
        Timestamp: timestamp,
        CloudWatchMetrics: [
          {
            Namespace: METRICS.namespace,
            Dimensions: dimensions.map((set) => [...set]),
            Metrics: metrics.map(({ name, unit }) => ({ Name: name, Unit: unit })),
          },
        ],
      },
      [METRICS.serviceDimension]: options.service,
      ...extra,
      ...Object.fromEntries(metrics.map(({ name, value }) => [name, value])),
      timestamp: new Date(timestamp).toISOString(),
      level: options.documentLevel,
    });
  };
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
      write(
        [{ name: DNS_DCV_METRICS.failed, unit: 'Count', value: 1 }],
        [[METRICS.serviceDimension], [METRICS.serviceDimension, DNS_DCV_METRICS.reasonDimension]],
        { [DNS_DCV_METRICS.reasonDimension]: reason },
      );
      log.warn('dns dcv not validated', { orderId, reason });
    },
  };
}
