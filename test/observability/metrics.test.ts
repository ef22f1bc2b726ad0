import { describe, expect, it } from 'vitest';
import { METRICS } from '../../functions/app/contract.js';
import {
  ContainerMetrics,
  FAILURE_METRICS,
  failureMetric,
  INTERNAL_FAILURE_METRIC,
  InvocationMetrics,
  MAX_VALUES_PER_METRIC,
  METRIC,
} from '../../functions/observability/metrics.js';
import { emfProblems } from '../support/emf.js';

const TIMESTAMP = Date.UTC(2026, 10, 29, 16, 0, 0);

function documentOf(metrics: InvocationMetrics, container = new ContainerMetrics()) {
  return metrics.toDocument({
    timestamp: TIMESTAMP,
    service: 'dcv-resend-test',
    container,
    properties: { requestId: 'r-1', orderId: 123 },
  });
}

describe('InvocationMetrics.toDocument', () => {
  it('builds a document that satisfies the EMF specification', () => {
    const metrics = new InvocationMetrics();
    metrics.ordersSent += 1;
    metrics.digicertAttempts += 2;
    metrics.digicertRetries += 1;
    metrics.latency(120);
    metrics.latency(80);
    metrics.failure('UpstreamError', 'upstream_timeout');

    const document = documentOf(metrics);

    expect(emfProblems(JSON.parse(JSON.stringify(document)))).toEqual([]);
  });

  it('declares the namespace, the Service dimension only, and every metric with its unit', () => {
    const metrics = new InvocationMetrics();
    metrics.latency(42);

    const document = documentOf(metrics);

    expect(document._aws).toEqual({
      Timestamp: TIMESTAMP,
      CloudWatchMetrics: [
        {
          Namespace: METRICS.namespace,
          Dimensions: [[METRICS.serviceDimension]],
          Metrics: [
            { Name: 'OrdersSent', Unit: 'Count' },
            { Name: 'OrdersFailed', Unit: 'Count' },
            { Name: 'DigiCertAttempts', Unit: 'Count' },
            { Name: 'DigiCertRetries', Unit: 'Count' },
            { Name: 'SecretCacheMisses', Unit: 'Count' },
            { Name: 'ColdStart', Unit: 'Count' },
            { Name: 'DigiCertLatency', Unit: 'Milliseconds' },
          ],
        },
      ],
    });
    expect(document[METRICS.serviceDimension]).toBe('dcv-resend-test');
  });

  it('writes a root value for every exported metric name', () => {
    const metrics = new InvocationMetrics();
    metrics.latency(1);

    const document = documentOf(metrics);

    for (const name of Object.values(METRIC)) expect(typeof document[name]).toBe('number');
  });

  it('keeps request details as properties, never as dimensions', () => {
    const document = documentOf(new InvocationMetrics());

    expect(document).toMatchObject({ requestId: 'r-1', orderId: 123 });
    expect(document._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([[METRICS.serviceDimension]]);
  });

  it('leaves DigiCertLatency out when DigiCert was not called', () => {
    const document = JSON.parse(JSON.stringify(documentOf(new InvocationMetrics())));

    expect(document).not.toHaveProperty('DigiCertLatency');
    expect(emfProblems(document)).toEqual([]);
  });

  it('reports a cold start on the first document of a container only', () => {
    const container = new ContainerMetrics();

    const first = documentOf(new InvocationMetrics(), container);
    const second = documentOf(new InvocationMetrics(), container);

    expect([first.ColdStart, second.ColdStart]).toEqual([1, 0]);
  });

  it('reports each Secrets Manager read in exactly one document', () => {
    const container = new ContainerMetrics();
    container.secretRead();
    container.secretRead();

    const first = documentOf(new InvocationMetrics(), container);
    const second = documentOf(new InvocationMetrics(), container);

    expect([first.SecretCacheMisses, second.SecretCacheMisses]).toEqual([2, 0]);
  });

  it('counts failures in OrdersFailed and in their breakdown metric', () => {
    const metrics = new InvocationMetrics();
    metrics.failure('UpstreamError', 'upstream_timeout');
    metrics.failure('UpstreamError', 'upstream_timeout');
    metrics.failure('ValidationError', 'invalid_input');

    const document = documentOf(metrics);

    expect(document).toMatchObject({
      OrdersFailed: 3,
      OrdersFailed_UpstreamError_upstream_timeout: 2,
      OrdersFailed_ValidationError: 1,
    });
    expect(document._aws.CloudWatchMetrics[0]?.Metrics).toContainEqual({
      Name: 'OrdersFailed_UpstreamError_upstream_timeout',
      Unit: 'Count',
    });
  });

  it('keeps at most 100 latency values however many calls a batch makes', () => {
    const metrics = new InvocationMetrics(() => 0.5);
    for (let i = 0; i < 500; i++) metrics.latency(i);

    const document = documentOf(metrics);

    expect(document.DigiCertLatency).toHaveLength(MAX_VALUES_PER_METRIC);
    expect(emfProblems(JSON.parse(JSON.stringify(document)))).toEqual([]);
  });
});

describe('failureMetric', () => {
  it.each([
    ['ValidationError', 'invalid_input', 'OrdersFailed_ValidationError'],
    ['DigiCertRequestError', 'not_found|order', 'OrdersFailed_DigiCertRequestError'],
    ['UpstreamError', 'request_limit_exceeded', 'OrdersFailed_UpstreamError_request_limit_exceeded'],
    ['ConfigurationError', 'secret_unavailable', 'OrdersFailed_ConfigurationError_secret_unavailable'],
    ['HttpRequestError', 'payload_too_large', 'OrdersFailed_HttpRequestError_payload_too_large'],
    ['UpstreamError', 'something_new', 'OrdersFailed_UpstreamError'],
    ['TypeError', undefined, INTERNAL_FAILURE_METRIC],
    ['constructor', undefined, INTERNAL_FAILURE_METRIC],
  ] as const)('names a %s with code %s %s', (errorType, code, expected) => {
    expect(failureMetric(errorType, code)).toBe(expected);
  });

  it('lists every name it can produce in FAILURE_METRICS', () => {
    const produced = [
      failureMetric('UpstreamError', 'upstream_unavailable'),
      failureMetric('ConfigurationError', 'invalid_configuration'),
      failureMetric('HttpRequestError', 'not_found'),
      failureMetric('Whatever'),
    ];

    expect(FAILURE_METRICS).toEqual(expect.arrayContaining(produced));
  });
});
