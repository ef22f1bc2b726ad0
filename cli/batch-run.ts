/**
 * One `batch` run as it goes: which orders were sent, refused, failed, are in flight or were never
 * attempted, so that a Ctrl-C (SIGINT) can say exactly what is left (`--report FILE` keeps it), and
 * whether running the file again resumes (a state table or the deployed function) or sends all again.
 */
import { ERROR_TYPES } from '../functions/app/contract.js';
import type { FailedResult, OrderResult } from '../functions/resend/batch-result.js';
import type { ResendRequest } from '../functions/resend/request-schema.js';
import { describeResult } from './output.js';

/** What a run reports, on Ctrl-C and in `--report FILE`. */
export interface RunReport {
  readonly interrupted: boolean;
  /** The run's `idempotency_key` (cli/delivery-id.ts). */
  readonly delivery: string;
  /** Whether running the same file again skips the orders sent (a state table records them). */
  readonly resumable: boolean;
  readonly sent: number[];
  /** Refused by DigiCert or by validation: sending again gives the same answer. */
  readonly refused: FailedResult[];
  /** Failed for a passing reason (DigiCert unavailable, rate limits, configuration): try again. */
  readonly failed: FailedResult[];
  /** Sent or being sent when the run was stopped: the outcome is not known here. */
  readonly in_flight: number[];
  readonly not_attempted: number[];
}

/** Thrown instead of sending an order once the run is stopping. */
export class NotAttemptedError extends Error {
  override readonly name = 'NotAttemptedError';
}

const REFUSALS: ReadonlySet<string> = new Set([
  ERROR_TYPES.DigiCertRequestError,
  ERROR_TYPES.ValidationError,
]);

export class BatchRun {
  readonly delivery: string;
  /** Set by the backend: whether the orders are recorded per delivery. */
  resumable = false;
  #stopping = false;
  readonly #orders: readonly ResendRequest[];
  readonly #inFlight = new Set<number>();
  readonly #results = new Map<number, OrderResult>();

  constructor(orders: readonly ResendRequest[], delivery: string) {
    this.#orders = orders;
    this.delivery = delivery;
  }

  /** No order is started after this; those in flight finish. */
  stop(): void {
    this.#stopping = true;
  }

  get stopping(): boolean {
    return this.#stopping;
  }

  started(orderId: number): void {
    this.#inFlight.add(orderId);
  }

  finished(result: OrderResult): void {
    this.#inFlight.delete(result.order_id);
    this.#results.set(result.order_id, result);
  }

  report(): RunReport {
    const report: RunReport = {
      interrupted: this.#stopping,
      delivery: this.delivery,
      resumable: this.resumable,
      sent: [],
      refused: [],
      failed: [],
      in_flight: [],
      not_attempted: [],
    };
    for (const { order_id } of this.#orders) {
      const result = this.#results.get(order_id);
      if (result?.status === 'sent') report.sent.push(order_id);
      else if (result) (REFUSALS.has(result.error_type) ? report.refused : report.failed).push(result);
      else if (this.#inFlight.has(order_id)) report.in_flight.push(order_id);
      else report.not_attempted.push(order_id);
    }
    return report;
  }
}

/** The report as lines for a person. */
export function describeReport(report: RunReport): string[] {
  const head = `${report.interrupted ? 'interrupted: ' : ''}${report.sent.length} sent, ${report.refused.length} refused, ${report.failed.length} failed, ${report.in_flight.length} in flight, ${report.not_attempted.length} not attempted`;
  const lines = [head];
  const ids = (list: readonly number[]) => list.join(', ');
  if (report.sent.length > 0) lines.push(`  sent: ${ids(report.sent)}`);
  for (const result of [...report.refused, ...report.failed]) lines.push(`  ${describeResult(result)}`);
  if (report.in_flight.length > 0) lines.push(`  in flight (outcome unknown): ${ids(report.in_flight)}`);
  if (report.not_attempted.length > 0) lines.push(`  not attempted: ${ids(report.not_attempted)}`);
  lines.push(
    report.resumable
      ? 'Run the same command on the same file to resume: orders already sent are not sent again.'
      : 'Without a state table (STATE_TABLE_NAME) a local run records nothing: running the same file again sends every order again. Resuming needs the deployed function (--function-name) or a state table; or put the orders not sent in a new file.',
  );
  return lines;
}
