/**
 * Metrics as CloudWatch embedded metric format (EMF): one JSON document per invocation, written to
 * stdout with the logs, from which CloudWatch Logs extracts the metrics. No network call, no SDK.
 *
 * The names below and the namespace and dimension in `contract.ts` are the contract with dashboards
 * and alarms (the CDK stack imports them): rename one and every graph of it goes blank. Only one
 * dimension, `Service`, so that every metric is one
 * time series; what varies per request (order id, request ids) travels as properties of the
 * document, searchable with Logs Insights but never a dimension.
 *
 * EMF specification: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */
import { ERROR_CODES, ERROR_TYPES, METRICS } from '../app/contract.js';

export type MetricUnit = 'Count' | 'Milliseconds' | 'Seconds';

/** The metrics every invocation reports (counts are reported even when zero, so graphs have no gaps). */
export const METRIC = {
  /** Orders DigiCert accepted (204). */
  ordersSent: 'OrdersSent',
  /** Requests that failed, whatever the reason; broken down by `failureMetric()`. */
  ordersFailed: 'OrdersFailed',
  /** Calls to DigiCert, retries included. */
  digicertAttempts: 'DigiCertAttempts',
  /** Calls to DigiCert beyond the first for an order (retries and the one call after a key refresh). */
  digicertRetries: 'DigiCertRetries',
  /** Time of one DigiCert call, per call (only in documents of invocations that called DigiCert). */
  digicertLatency: 'DigiCertLatency',
  /** Reads of the API key from Secrets Manager (cache misses: cold start, TTL expiry, refresh after a 401). */
  secretCacheMisses: 'SecretCacheMisses',
  /** 1 on the first invocation of a container, else 0: Sum counts cold starts, Average is their rate. */
  coldStart: 'ColdStart',
} as const;

export type MetricName = (typeof METRIC)[keyof typeof METRIC];

export const METRIC_UNITS: Readonly<Record<MetricName, MetricUnit>> = {
  OrdersSent: 'Count',
  OrdersFailed: 'Count',
  DigiCertAttempts: 'Count',
  DigiCertRetries: 'Count',
  DigiCertLatency: 'Milliseconds',
  SecretCacheMisses: 'Count',
  ColdStart: 'Count',
};

/**
 * Error codes that name a failure metric of their own: closed sets defined by the contract. Other
 * codes (DigiCert's own, validation details) vary too much to be metric names; they are in the logs.
 */
const FAILURE_CODES: Readonly<Record<string, readonly string[]>> = {
  [ERROR_TYPES.ValidationError]: [],
  HttpRequestError: ERROR_CODES.HttpRequestError,
  [ERROR_TYPES.DigiCertRequestError]: [],
  [ERROR_TYPES.UpstreamError]: ERROR_CODES.UpstreamError,
  [ERROR_TYPES.ConfigurationError]: ERROR_CODES.ConfigurationError,
};

/** The failure metric for anything that is not one of the typed errors (a bug: alarm on it). */
export const INTERNAL_FAILURE_METRIC = 'OrdersFailed_InternalError';

/**
 * The breakdown metric of a failed request: `OrdersFailed_<errorType>`, with `_<code>` appended when
 * the code is one of the contract's closed set for that type, e.g.
 * `OrdersFailed_UpstreamError_upstream_timeout`. Unknown error types count as `OrdersFailed_InternalError`.
 */
export function failureMetric(errorType: string, code?: string): string {
  const codes = Object.hasOwn(FAILURE_CODES, errorType) ? FAILURE_CODES[errorType] : undefined;
  if (codes === undefined) return INTERNAL_FAILURE_METRIC;
  return code !== undefined && codes.includes(code)
    ? `${METRIC.ordersFailed}_${errorType}_${code}`
    : `${METRIC.ordersFailed}_${errorType}`;
}

/** Every failure breakdown metric that `failureMetric` can produce (for dashboards and alarms). */
export const FAILURE_METRICS: readonly string[] = [
  ...Object.entries(FAILURE_CODES).flatMap(([type, codes]) => [
    `${METRIC.ordersFailed}_${type}`,
    ...codes.map((code) => `${METRIC.ordersFailed}_${type}_${code}`),
  ]),
  INTERNAL_FAILURE_METRIC,
];

/**
 * The bulk queue's metrics (docs/contract.md §8), in the documents of SQS invocations only:
 * messages received, done with (deleted by Lambda), reported back for another receive, and
 * failure records written (one per refused or invalid order, or per unreadable message).
 */
export const QUEUE_METRIC = {
  received: 'QueueMessagesReceived',
  done: 'QueueMessagesDone',
  retried: 'QueueMessagesRetried',
  failureRecords: 'FailureRecordsWritten',
} as const;

export interface QueueCounts {
  readonly received: number;
  readonly done: number;
  readonly retried: number;
  readonly failureRecords: number;
}

const QUEUE_DEFINITIONS = Object.values(QUEUE_METRIC).map((Name) => ({ Name, Unit: 'Count' as const }));

/** EMF allows at most 100 values per metric in one document. */
export const MAX_VALUES_PER_METRIC = 100;

/**
 * What lives as long as the container: whether the next invocation is its first, and the Secrets
 * Manager reads not yet reported. The key provider is shared by every invocation, so its reads are
 * counted here and reported by the next document written (each read is reported exactly once).
 */
export class ContainerMetrics {
  #cold = true;
  #secretReads = 0;

  /** Called by the key provider for every actual Secrets Manager read. */
  secretRead(): void {
    this.#secretReads += 1;
  }

  /** `true` exactly once: for the first invocation that asks. */
  takeColdStart(): boolean {
    const cold = this.#cold;
    this.#cold = false;
    return cold;
  }

  /** Secrets Manager reads since the last call. */
  takeSecretReads(): number {
    const reads = this.#secretReads;
    this.#secretReads = 0;
    return reads;
  }
}

const definition = (name: MetricName) => ({ Name: name, Unit: METRIC_UNITS[name] }) as const;

/** The metrics every document carries, in document order (shared: documents only read it). */
const ALWAYS: readonly { readonly Name: string; readonly Unit: MetricUnit }[] = [
  definition(METRIC.ordersSent),
  definition(METRIC.ordersFailed),
  definition(METRIC.digicertAttempts),
  definition(METRIC.digicertRetries),
  definition(METRIC.secretCacheMisses),
  definition(METRIC.coldStart),
];
const WITH_LATENCY = [...ALWAYS, definition(METRIC.digicertLatency)];
/**
 * The document spells the dimension as a literal key (`Service:`); this annotation fails to compile
 * if the contract's dimension ever differs from that key.
 */
const SERVICE_DIMENSION: 'Service' = METRICS.serviceDimension;
const DIMENSIONS: readonly (readonly string[])[] = [[SERVICE_DIMENSION]];

/** One invocation's metrics, written as one EMF document (`JSON.stringify(toDocument())`) when the invocation ends. */
export class InvocationMetrics {
  ordersSent = 0;
  ordersFailed = 0;
  digicertAttempts = 0;
  digicertRetries = 0;
  /** Failure breakdown counts by metric name (see `failureMetric`), when there were failures. */
  #failures: Map<string, number> | undefined;
  readonly #latencies: number[] = [];
  #latencySamples = 0;
  #queue: QueueCounts | undefined;
  readonly #random: () => number;

  constructor(random: () => number = Math.random) {
    this.#random = random;
  }

  /** Counts one failed request under `OrdersFailed` and its breakdown metric. */
  failure(errorType: string, code?: string): void {
    this.ordersFailed += 1;
    const name = failureMetric(errorType, code);
    this.#failures ??= new Map();
    this.#failures.set(name, (this.#failures.get(name) ?? 0) + 1);
  }

  /** The bulk queue's counts of an SQS invocation (written with its document). */
  queueMessages(counts: QueueCounts): void {
    this.#queue = counts;
  }

  /**
   * One DigiCert call's duration. Beyond `MAX_VALUES_PER_METRIC` calls (a large batch), a uniform
   * random sample of that size is kept (reservoir sampling): percentiles stay representative, and
   * `DigiCertAttempts` still counts every call.
   */
  latency(ms: number): void {
    this.#latencySamples += 1;
    if (this.#latencies.length < MAX_VALUES_PER_METRIC) {
      this.#latencies.push(ms);
      return;
    }
    const slot = Math.floor(this.#random() * this.#latencySamples);
    if (slot < MAX_VALUES_PER_METRIC) this.#latencies[slot] = ms;
  }

  /**
   * The EMF document: the metrics, then `properties` (the `timestamp`/`level` Lambda's JSON log
   * filter reads, request ids, order id). Property names are lower camelCase and metric names
   * PascalCase, so neither overwrites the other.
   */
  toDocument(options: {
    readonly timestamp: number;
    readonly service: string;
    readonly container: ContainerMetrics;
    readonly properties?: Readonly<Record<string, unknown>>;
  }): EmfDocument {
    const latencies = this.#latencies;
    let definitions = latencies.length > 0 ? WITH_LATENCY : ALWAYS;
    if (this.#queue) definitions = [...definitions, ...QUEUE_DEFINITIONS];
    if (this.#failures) {
      definitions = [
        ...definitions,
        ...[...this.#failures.keys()].map((Name) => ({ Name, Unit: 'Count' as const })),
      ];
    }
    const document: Record<string, unknown> & EmfDocument = {
      _aws: {
        Timestamp: options.timestamp,
        CloudWatchMetrics: [{ Namespace: METRICS.namespace, Dimensions: DIMENSIONS, Metrics: definitions }],
      },
      Service: options.service,
      OrdersSent: this.ordersSent,
      OrdersFailed: this.ordersFailed,
      DigiCertAttempts: this.digicertAttempts,
      DigiCertRetries: this.digicertRetries,
      SecretCacheMisses: options.container.takeSecretReads(),
      ColdStart: options.container.takeColdStart() ? 1 : 0,
      DigiCertLatency:
        latencies.length === 0 ? undefined : latencies.length === 1 ? latencies[0] : [...latencies],
    };
    if (this.#queue) {
      document[QUEUE_METRIC.received] = this.#queue.received;
      document[QUEUE_METRIC.done] = this.#queue.done;
      document[QUEUE_METRIC.retried] = this.#queue.retried;
      document[QUEUE_METRIC.failureRecords] = this.#queue.failureRecords;
    }
    if (this.#failures) {
      for (const [name, count] of this.#failures) document[name] = count;
    }
    return options.properties ? Object.assign(document, options.properties) : document;
  }
}

/** An embedded metric format document: the `_aws` metadata plus root members for dimensions, values and properties. */
export interface EmfDocument {
  readonly _aws: {
    readonly Timestamp: number;
    readonly CloudWatchMetrics: readonly {
      readonly Namespace: string;
      readonly Dimensions: readonly (readonly string[])[];
      readonly Metrics: readonly { readonly Name: string; readonly Unit: MetricUnit }[];
    }[];
  };
  readonly [member: string]: unknown;
}

/** One value of a document written by {@link metricDocumentWriter}. */
export interface MetricValue {
  readonly name: string;
  readonly unit: MetricUnit;
  readonly value: number;
}

/**
 * Writes EMF documents of their own, beside the invocation's (the pre-check's, the sweep's, DNS
 * DCV's): in the function's namespace, with the `Service` dimension by default, other dimension sets
 * and their values when given, and properties (searchable, never dimensions).
 */
export function metricDocumentWriter(options: {
  readonly logger: { write(record: Record<string, unknown>): void };
  readonly service: string;
  /** The `level` the document carries (`Telemetry.documentLevel`). */
  readonly documentLevel: string;
  readonly now?: () => number;
}): (
  metrics: readonly MetricValue[],
  extra?: {
    readonly dimensions?: readonly (readonly string[])[];
    /** The values of the dimensions other than `Service`. */
    readonly dimensionValues?: Readonly<Record<string, string>>;
    readonly properties?: Readonly<Record<string, unknown>>;
  },
) => void {
  const now = options.now ?? Date.now;
  return (metrics, extra = {}) => {
    const timestamp = now();
    options.logger.write({
      _aws: {
        Timestamp: timestamp,
        CloudWatchMetrics: [
          {
            Namespace: METRICS.namespace,
            Dimensions: (extra.dimensions ?? [[METRICS.serviceDimension]]).map((set) => [...set]),
            Metrics: metrics.map(({ name, unit }) => ({ Name: name, Unit: unit })),
          },
        ],
      },
      [METRICS.serviceDimension]: options.service,
      ...extra.dimensionValues,
      ...Object.fromEntries(metrics.map(({ name, value }) => [name, value])),
      timestamp: new Date(timestamp).toISOString(),
      level: options.documentLevel,
      ...extra.properties,
    });
  };
}
