/**
 * What the sweep tells operators (docs/contract.md §11): a log line per order or page it could not
 * read or act on, one line per finished sweep, and EMF documents in the function's namespace: the
 * resends, migrations and errors as they happen, and the gauges (`PendingOrders` per `DcvMethod`,
 * `OldestPendingHours`, `RandomValuesExpiringSoon`, `PendingPastRecheckWindow`) once per sweep.
 */
import { METRICS, SWEEP_METRICS } from '../../app/contract.js';
import { DigiCertRequestError } from '../../lib/errors.js';
import { describeError, type Logger } from '../../observability/logger.js';
import { metricDocumentWriter } from '../../observability/metrics.js';
import type { SweepCounts, SweepSummary } from './plan.js';
import type { SweepReporter } from './sweep.js';

/** The methods `PendingOrders` is written for even when none is pending, so graphs have no gaps. */
export const REPORTED_DCV_METHODS = ['email', 'dns-txt-token', 'dns-cname-token', 'http-token'] as const;

export function createSweepReporter(options: {
  readonly logger: Logger;
  readonly service: string;
  readonly documentLevel: string;
  readonly now?: () => number;
}): SweepReporter {
  const log = options.logger.child({ component: 'dcv-sweep' });
  const document = metricDocumentWriter(options);
  const counts = (values: Readonly<Record<string, number>>) =>
    Object.entries(values).map(([name, value]) => ({ name, unit: 'Count' as const, value }));
  const write = (
    metrics: Readonly<Record<string, number>>,
    dimensionValues: Readonly<Record<string, string>> = {},
  ) =>
    document(counts(metrics), {
      dimensions: [[METRICS.serviceDimension, ...Object.keys(dimensionValues)]],
      dimensionValues,
    });
  return {
    acted(sweepId: string, counts: SweepCounts) {
      write({
        [SWEEP_METRICS.sweepResends]: counts.resends,
        [SWEEP_METRICS.sweepMigrations]: counts.migrations,
        [SWEEP_METRICS.sweepErrors]: counts.errors,
      });
      if (counts.resends + counts.migrations + counts.errors > 0) {
        log.info('sweep acted', {
          sweepId,
          resends: counts.resends,
          migrations: counts.migrations,
          errors: counts.errors,
        });
      }
    },
    completed(sweepId: string, summary: SweepSummary) {
      write({
        [SWEEP_METRICS.oldestPendingHours]: summary.oldest_pending_hours,
        [SWEEP_METRICS.randomValuesExpiringSoon]: summary.random_values_expiring_soon,
        [SWEEP_METRICS.pendingPastRecheckWindow]: summary.pending_past_recheck_window,
      });
      const methods = new Set<string>([...REPORTED_DCV_METHODS, ...Object.keys(summary.by_dcv_method)]);
      for (const method of methods) {
        write(
          { [SWEEP_METRICS.pendingOrders]: summary.by_dcv_method[method] ?? 0 },
          { [SWEEP_METRICS.dcvMethodDimension]: method },
        );
      }
      log.info('sweep finished', { sweepId, ...summary });
    },
    failed(sweepId, subject, error) {
      const level = error instanceof DigiCertRequestError ? 'warn' : 'error';
      log[level](
        subject.orderId === undefined
          ? 'sweep could not read a page of pending orders'
          : 'sweep could not read or act on an order',
        {
          sweepId,
          ...(subject.orderId === undefined ? {} : { orderId: subject.orderId }),
          ...(subject.offset === undefined ? {} : { offset: subject.offset }),
          error: describeError(error),
        },
      );
    },
  };
}
