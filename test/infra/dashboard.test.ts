import { describe, expect, it } from 'vitest';
import { FAILURE_METRICS, METRIC } from '../../functions/observability/metrics.js';
import type { StackConfigInput } from '../../infra/stack-config.js';
import { onlyResource, synth } from './support.js';

interface Widget {
  readonly type: string;
  readonly properties: {
    readonly title?: string;
    readonly metrics?: unknown[][];
    readonly query?: string;
    readonly annotations?: unknown;
  };
}

/** A graphed metric's dimensions (`[namespace, name, dim1, value1, ..., options?]`), by name. */
function dimensions(metric: unknown[]): Record<string, unknown> {
  const pairs = metric.slice(2).filter((part) => typeof part !== 'object');
  return Object.fromEntries(
    Array.from({ length: pairs.length / 2 }, (_, i) => [String(pairs[2 * i]), pairs[2 * i + 1]]),
  );
}

/** The dashboard's widgets, with CloudFormation references in the body replaced by `REF`. */
function widgets(settings: StackConfigInput = {}): Widget[] {
  const { template } = synth(settings);
  const joined = onlyResource(template, 'AWS::CloudWatch::Dashboard').properties.DashboardBody as {
    'Fn::Join': [string, unknown[]];
  };
  const text = joined['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : 'REF')).join('');
  return (JSON.parse(text) as { widgets: Widget[] }).widgets;
}

describe('the dashboard', () => {
  it("graphs every metric the function writes, under its namespace and the stack's Service dimension", () => {
    const graphed = widgets()
      .flatMap((w) => w.properties.metrics ?? [])
      .filter((m) => m[0] === 'DcvResend');
    const names = new Set(graphed.map((m) => m[1]));
    for (const name of [...Object.values(METRIC), ...FAILURE_METRICS]) expect(names, name).toContain(name);
    expect(graphed.every((m) => dimensions(m).Service === 'DcvResend')).toBe(true);
  });

  it("graphs the sweep's metrics: pending orders by DCV method, the oldest with the alarm line, expiring values, past the re-check window, and what it did", () => {
    const all = widgets();
    const graphs = (metricName: string) =>
      all.filter((w) => w.properties.metrics?.some((m) => m[0] === 'DcvResend' && m[1] === metricName));
    const options = (metricName: string) =>
      all
        .flatMap((w) => w.properties.metrics ?? [])
        .filter((m) => m[0] === 'DcvResend' && m[1] === metricName)
        .map((m) => m.at(-1) as { stat?: string; period?: number });

    const byMethod = (all.flatMap((w) => w.properties.metrics ?? []) as unknown[][])
      .filter((m) => m[1] === 'PendingOrders')
      .map((m) => dimensions(m).DcvMethod);
    expect(byMethod).toEqual(['email', 'dns-txt-token', 'dns-cname-token', 'http-token', 'unknown']);
    // Reported once per sweep: the largest value of each hour, not a sum of repeats.
    for (const gauge of [
      'PendingOrders',
      'OldestPendingHours',
      'RandomValuesExpiringSoon',
      'PendingPastRecheckWindow',
    ]) {
      expect(options(gauge).length, gauge).toBeGreaterThan(0);
      for (const o of options(gauge)) expect(o, gauge).toMatchObject({ stat: 'Maximum', period: 3600 });
    }
    for (const counter of ['SweepResends', 'SweepMigrations', 'SweepErrors']) {
      expect(options(counter), counter).toEqual([expect.objectContaining({ stat: 'Sum' })]);
    }
    expect(graphs('OldestPendingHours')[0]?.properties.annotations).toEqual({
      horizontal: [expect.objectContaining({ value: 120 })],
    });
  });

  it('draws the alarm line at the oldestPendingAlarmHours setting', () => {
    const annotations = widgets({ oldestPendingAlarmHours: 200 })
      .filter((w) => w.properties.metrics?.some((m) => m[1] === 'OldestPendingHours'))
      .map((w) => w.properties.annotations);

    expect(annotations).toEqual([{ horizontal: [expect.objectContaining({ value: 200 })] }]);
  });

  it('shows Lambda health, the failure queue, the alarms and recent failures from the logs', () => {
    const all = widgets();
    const lambdaMetrics = all.flatMap((w) => w.properties.metrics ?? []).filter((m) => m[0] === 'AWS/Lambda');
    expect(new Set(lambdaMetrics.map((m) => m[1]))).toEqual(
      new Set(['Invocations', 'Errors', 'Throttles', 'Duration', 'ConcurrentExecutions']),
    );
    expect(
      all.some((w) => w.properties.metrics?.some((m) => m[1] === 'ApproximateNumberOfMessagesVisible')),
    ).toBe(true);
    expect(all.some((w) => w.type === 'alarm')).toBe(true);
    expect(all.filter((w) => w.type === 'log').map((w) => w.properties.query)).toEqual([
      expect.stringContaining('filter outcome = "failed"'),
      expect.stringContaining('stats count(*) as failures by errorType, errorCode'),
    ]);
  });
});
