/**
 * What one invocation tells operators: one log line per order with its outcome, and one EMF
 * document with the invocation's metrics, written when it ends (success or failure). A trigger
 * creates an `InvocationObserver` per invocation (or per queue message) and runs its work inside
 * `observing()`: the use case's DigiCert attempts reach the observer of the invocation they belong
 * to through `AsyncLocalStorage` (docs/performance.md: about a microsecond per invocation), batch
 * results through `runBatch`'s `onResult`. Nothing here is shared between concurrent invocations
 * except the container's counters.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { FUNCTION_DEFAULTS } from '../app/contract.js';
import { DigiCertRequestError, errorCodeOf } from '../lib/errors.js';
import { isRecord } from '../lib/is-record.js';
import type { FailedResult, OrderResult } from '../resend/batch-result.js';
import type { AttemptObserver } from '../resend/ports.js';
import { createLogger, describeError, type LogFields, type Logger, type LogLevel } from './logger.js';
import { ContainerMetrics, InvocationMetrics } from './metrics.js';

const current = new AsyncLocalStorage<InvocationObserver>();

/** Runs `work` as `observer`'s: every DigiCert attempt made inside it, however deep, is counted there. */
export function observing<T>(observer: InvocationObserver, work: () => Promise<T>): Promise<T> {
  return current.run(observer, work);
}

/**
 * The use case's attempt observer, wired once by the runtime: hands each attempt to the observer of
 * the invocation it runs in, if any (a bare call, such as the CLI's, has none). Never throws.
 */
export const observeCurrentAttempt: AttemptObserver = (event) => current.getStore()?.onAttempt(event);

/** Container-wide observability settings and state, built once with the runtime. */
export interface Telemetry {
  readonly logger: Logger;
  /** The value of the `Service` dimension. */
  readonly service: string;
  readonly container: ContainerMetrics;
  /**
   * The `level` written on metric documents. With Lambda's JSON log format and an application log
   * level, Lambda drops lines below that level and treats lines without one as INFO: metric
   * documents carry at least Lambda's level so that they are never dropped.
   */
  readonly documentLevel: string;
}

export function createTelemetry(options: {
  logger: Logger;
  service?: string | undefined;
  lambdaLogLevel?: LogLevel | undefined;
}): Telemetry {
  const lambda = options.lambdaLogLevel;
  return {
    logger: options.logger,
    service: options.service?.trim() || FUNCTION_DEFAULTS.serviceName,
    container: new ContainerMetrics(),
    documentLevel: lambda === 'warn' || lambda === 'error' ? lambda.toUpperCase() : 'INFO',
  };
}

let fallback: Telemetry | undefined;

/** Telemetry for invocations that have no runtime (the environment is invalid): stdout, defaults. */
export function fallbackTelemetry(): Telemetry {
  fallback ??= createTelemetry({ logger: createLogger() });
  return fallback;
}

export type InvocationSource = 'http' | 'direct' | 'eventbridge' | 'sqs';

export interface InvocationInfo {
  /** Lambda's request id (`context.awsRequestId`), as in Lambda's own log lines. */
  readonly requestId: string;
  /** The caller's id: API Gateway's request id (also `x-request-id`), the EventBridge event id, else Lambda's. */
  readonly correlationId: string;
  readonly source: InvocationSource;
}

interface OrderStats {
  attempts: number;
  digicertMs: number;
}

/** Error fields for a log line: type, code, and DigiCert's status when it answered 4xx. */
function errorFields(error: unknown): {
  errorType: string;
  errorCode: string | undefined;
  /** DigiCert calls the error reports (`UpstreamError.attempts`), if it says. */
  attempts: number | undefined;
  fields: Record<string, unknown>;
} {
  const errorType = error instanceof Error ? error.name : 'Error';
  const record = isRecord(error) ? error : {};
  // The contract's code, else DigiCert's own codes: the same `errorCode` a batch result carries.
  const errorCode = errorCodeOf(error);
  return {
    errorType,
    errorCode,
    attempts: typeof record.attempts === 'number' ? record.attempts : undefined,
    fields: {
      errorType,
      errorCode,
      // Only DigiCert's own answer: the HTTP layer's refusals (404, 405, 413, 415) carry a
      // `status` too, but DigiCert never saw those requests.
      digicertStatus: error instanceof DigiCertRequestError ? error.status : undefined,
      error: describeError(error),
    },
  };
}

/** A failed batch result as an error, for a caller of `batchResult` that has only the result. */
function errorOf(result: FailedResult): Error {
  return Object.assign(new Error(result.message), { name: result.error_type, code: result.code });
}

function safeErrorFields(error: unknown): ReturnType<typeof errorFields> {
  try {
    return errorFields(error);
  } catch {
    return { errorType: 'Error', errorCode: undefined, attempts: undefined, fields: { errorType: 'Error' } };
  }
}

/** Failures a caller or DigiCert caused: WARN. Anything else (configuration, the key, a bug) needs an operator: ERROR. */
const WARN_ONLY = new Set(['ValidationError', 'HttpRequestError', 'DigiCertRequestError', 'UpstreamError']);

function levelOf(errorType: string): LogLevel {
  return WARN_ONLY.has(errorType) ? 'warn' : 'error';
}

export class InvocationObserver {
  readonly #telemetry: Telemetry;
  readonly #info: InvocationInfo;
  readonly #log: Logger;
  readonly #metrics = new InvocationMetrics();
  readonly #started: number;
  readonly #now: () => number;
  readonly #stats = new Map<number, OrderStats>();
  #orderId: number | undefined;
  #orders = 0;
  #ended = false;

  constructor(telemetry: Telemetry, info: InvocationInfo, now: () => number = Date.now) {
    this.#telemetry = telemetry;
    this.#info = info;
    this.#now = now;
    this.#started = now();
    this.#log = telemetry.logger.child({
      requestId: info.requestId,
      correlationId: info.correlationId,
      source: info.source,
    });
  }

  /** Counts and times every DigiCert call (reached through `observeCurrentAttempt`). Never throws. */
  readonly onAttempt: AttemptObserver = (event) => {
    try {
      this.#attempted(event);
    } catch {
      // Observing must never fail the request it observes.
    }
  };

  #attempted({ orderId, attempt, outcome, durationMs }: Parameters<AttemptObserver>[0]): void {
    this.#metrics.digicertAttempts += 1;
    if (attempt > 1) this.#metrics.digicertRetries += 1;
    this.#metrics.latency(durationMs);
    const stats = this.#stats.get(orderId);
    if (stats) {
      stats.attempts += 1;
      stats.digicertMs += durationMs;
    } else {
      this.#stats.set(orderId, { attempts: 1, digicertMs: durationMs });
    }
    if (this.#log.level === 'debug') {
      this.#emit('debug', 'digicert attempt', {
        orderId,
        attempt,
        attemptOutcome: outcome.kind,
        httpStatus: 'status' in outcome ? outcome.status : undefined,
        durationMs,
      });
    }
  }

  /** One order was sent (a single request, HTTP or direct). */
  sent(orderId: number, fields?: LogFields): void {
    this.#orderFinished(orderId, false, undefined, fields);
  }

  /** A single request failed; `orderId` when it was known before the failure. */
  failed(orderId: number | undefined, error: unknown, fields?: LogFields): void {
    this.#orderFinished(orderId, true, error, fields);
  }

  /**
   * Pass to `runBatch` as `onResult`: one line and one count per order of a batch, the same as a
   * single order's. Never throws.
   */
  readonly batchResult = (result: OrderResult, error?: unknown): void => {
    try {
      if (result.status === 'sent') this.#orderFinished(result.order_id, false);
      else this.#orderFinished(result.order_id, true, error ?? errorOf(result));
    } catch {
      // Observing must never fail the batch it observes.
    }
  };

  /** The one place where an order's outcome is counted and its line written, single or batch. */
  #orderFinished(orderId: number | undefined, failed: boolean, error?: unknown, fields?: LogFields): void {
    const stats = orderId === undefined ? undefined : this.#takeStats(orderId);
    if (orderId !== undefined) this.#orderSeen(orderId);
    const durationMs = this.#now() - this.#started;
    if (!failed) {
      this.#metrics.ordersSent += 1;
      // Absent values are `undefined`, which JSON leaves out.
      this.#emit('info', 'order sent', {
        orderId,
        outcome: 'sent',
        attempts: stats?.attempts,
        digicertMs: stats?.digicertMs,
        durationMs,
        ...fields,
      });
      return;
    }
    const { errorType, errorCode, attempts, fields: errorDetail } = safeErrorFields(error);
    this.#metrics.failure(errorType, errorCode);
    this.#emit(levelOf(errorType), 'order failed', {
      orderId,
      outcome: 'failed',
      attempts: stats?.attempts ?? attempts,
      digicertMs: stats?.digicertMs,
      durationMs,
      ...errorDetail,
      ...fields,
    });
  }

  /** The batch's summary line, after every order's own line. */
  batchFinished(summary: { sent: number; failed: number }): void {
    const line = { sent: summary.sent, failed: summary.failed, durationMs: this.#now() - this.#started };
    this.#emit(summary.failed > 0 ? 'warn' : 'info', 'batch finished', line);
  }

  /**
   * How a message of the bulk queue ended: its line (after its orders' lines) and its queue counts
   * in the document. Never throws.
   */
  queueMessage(
    outcome: {
      readonly verdict: 'done' | 'retry';
      readonly deliveryId: string | undefined;
      readonly sent: number;
      readonly refused: number;
      readonly transient: number;
      readonly failureRecords: number;
      readonly reason?: string;
    },
    receiveCount: number,
  ): void {
    this.#metrics.queueMessages({
      received: 1,
      done: outcome.verdict === 'done' ? 1 : 0,
      retried: outcome.verdict === 'retry' ? 1 : 0,
      failureRecords: outcome.failureRecords,
    });
    this.#emit(outcome.verdict === 'retry' ? 'warn' : 'info', 'queue message finished', {
      outcome: outcome.verdict,
      deliveryId: outcome.deliveryId,
      receiveCount,
      sent: outcome.sent,
      refused: outcome.refused,
      transient: outcome.transient,
      failureRecords: outcome.failureRecords,
      reason: outcome.reason,
      durationMs: this.#now() - this.#started,
    });
  }

  /** Writes the invocation's EMF document; later calls do nothing. Never throws. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    try {
      const timestamp = this.#now();
      const document = this.#metrics.toDocument({
        timestamp,
        service: this.#telemetry.service,
        container: this.#telemetry.container,
        properties: {
          timestamp: new Date(timestamp).toISOString(),
          level: this.#telemetry.documentLevel,
          requestId: this.#info.requestId,
          correlationId: this.#info.correlationId,
          source: this.#info.source,
          orderId: this.#orders === 1 ? this.#orderId : undefined,
          orderCount: this.#orders > 1 ? this.#orders : undefined,
          durationMs: timestamp - this.#started,
        },
      });
      this.#telemetry.logger.write(document);
    } catch {
      // Metrics must never turn an answered request into a failed one.
    }
  }

  /** Writes a line; a failure to write never reaches the request being observed. */
  #emit(level: LogLevel, message: string, fields: Readonly<Record<string, unknown>>): void {
    try {
      this.#log[level](message, fields);
    } catch {
      // stdout is gone or a field does not serialise: nothing useful to do about it here.
    }
  }

  #orderSeen(orderId: number): void {
    this.#orders += 1;
    this.#orderId = orderId;
  }

  #takeStats(orderId: number): OrderStats | undefined {
    const stats = this.#stats.get(orderId);
    if (stats) this.#stats.delete(orderId);
    return stats;
  }
}
