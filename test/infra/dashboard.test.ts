import { describe, expect, it } from 'vitest';
import { FAILURE_METRICS, METRIC } from '../../functions/observability/metrics.js';
import { onlyResource, synth } from './support.js';

interface Widget {
  readonly type: string;
  readonly properties: { readonly title?: string; readonly metrics?: unknown[][]; readonly query?: string };
}

/** The dashboard's widgets, with CloudFormation references in the body replaced by `REF`. */
function widgets(): Widget[] {
  const { template } = synth();
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
    expect(graphed.every((m) => m[2] === 'Service' && m[3] === 'DcvResend')).toBe(true);
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
