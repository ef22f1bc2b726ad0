import type { Stack } from 'aws-cdk-lib';
import { Annotations, Match, type Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { SINGLE_PAYLOAD, synth } from './support.js';

interface AlarmProperties {
  readonly MetricName?: string;
  readonly Namespace?: string;
  readonly Metrics?: {
    readonly Expression?: string;
    readonly MetricStat?: { readonly Metric: { readonly MetricName: string } };
  }[];
  readonly AlarmActions?: unknown[];
  readonly OKActions?: unknown[];
  readonly Threshold: number;
}

function alarms(template: Template): AlarmProperties[] {
  return Object.values(template.findResources('AWS::CloudWatch::Alarm')).map(
    (resource) => (resource as { Properties: AlarmProperties }).Properties,
  );
}

/** What each alarm watches: its metric, or the metrics behind its expression. */
function watched(alarm: AlarmProperties): string {
  if (alarm.MetricName) return `${alarm.Namespace}/${alarm.MetricName}`;
  return (alarm.Metrics ?? [])
    .flatMap((m) => (m.MetricStat ? [m.MetricStat.Metric.MetricName] : []))
    .sort()
    .join('+');
}

describe('alarms', () => {
  it('watch function errors, throttles, lost async events, new records in both failure queues, the bulk queue and the dead-letter queues, the API 5xx rate, internal and configuration errors, the oldest pending order, and failed or timed-out DNS-DCV workflows', () => {
    const { template } = synth();

    expect(alarms(template).map(watched).sort()).toEqual([
      '5xx+Count',
      'AWS/Lambda/Errors',
      'AWS/Lambda/Throttles',
      'AWS/SQS/ApproximateAgeOfOldestMessage',
      // The bulk queue's dead-letter queue and the schedules' (the sweep's schedule is deployed by default).
      'AWS/SQS/ApproximateNumberOfMessagesVisible',
      'AWS/SQS/ApproximateNumberOfMessagesVisible',
      'AWS/SQS/NumberOfMessagesSent',
      'AWS/SQS/NumberOfMessagesSent',
      'AWS/States/ExecutionsTimedOut',
      'AsyncEventsDropped+DestinationDeliveryFailures',
      'DcvResend/DnsDcvFailed',
      'DcvResend/OldestPendingHours',
      'DcvResend/OrdersFailed_InternalError',
      [
        'OrdersFailed_ConfigurationError',
        'OrdersFailed_ConfigurationError_invalid_configuration',
        'OrdersFailed_ConfigurationError_secret_unavailable',
        'OrdersFailed_ConfigurationError_upstream_auth_failed',
      ].join('+'),
    ]);
  });

  it("read the function's own metrics under the stack's Service dimension", () => {
    const { template } = synth();

    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'DcvResend',
      MetricName: 'OrdersFailed_InternalError',
      Dimensions: [{ Name: 'Service', Value: 'DcvResend' }],
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ SERVICE_NAME: 'DcvResend' }) },
    });
  });

  it('also watch the schedule dead-letter queue when schedules exist, alarming on a single message', () => {
    const { template } = synth({
      schedules: [{ name: 'daily', expression: 'rate(1 day)', payload: SINGLE_PAYLOAD }],
      sweepSchedule: 'off',
    });

    template.resourcePropertiesCountIs(
      'AWS::CloudWatch::Alarm',
      {
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      },
      2,
    );
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Dimensions: [
        {
          Name: 'QueueName',
          Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^SchedulesDeadLetterQueue'), 'QueueName'] },
        },
      ],
    });
  });

  it.each([
    ['FailureQueue', '^ResendFunctionFailureQueue'],
    ['AsyncFailureQueue', '^ResendFunctionAsyncFailureQueue'],
  ])(
    'alarm on each new record in %s (messages sent in the period), not on records left waiting, so the alarm does not latch',
    (_name, queue) => {
      const { template } = synth();

      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SQS',
        MetricName: 'NumberOfMessagesSent',
        Statistic: 'Sum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
        Dimensions: [
          { Name: 'QueueName', Value: { 'Fn::GetAtt': [Match.stringLikeRegexp(queue), 'QueueName'] } },
        ],
      });
      const waiting = alarms(template).filter(
        (alarm) =>
          alarm.MetricName === 'ApproximateNumberOfMessagesVisible' &&
          JSON.stringify(alarm).match(/ResendFunction(Async)?FailureQueue/),
      );
      expect(waiting).toEqual([]);
    },
  );

  it('send failed asynchronous invocations to their own queue, apart from refused orders (FAILURE_QUEUE_URL)', () => {
    const { template } = synth();

    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      DestinationConfig: {
        OnFailure: {
          Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ResendFunctionAsyncFailureQueue'), 'Arn'] },
        },
      },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          FAILURE_QUEUE_URL: { Ref: Match.stringLikeRegexp('^ResendFunctionFailureQueue') },
        }),
      },
    });
  });

  it('alarm when more than 5% of API requests in 5 minutes end in 5xx', () => {
    const { template } = synth();

    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: 5,
      ComparisonOperator: 'GreaterThanThreshold',
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'IF(requests > 0, 100 * FILL(errors, 0) / requests, 0)' }),
      ]),
    });
  });

  it('all notify one TLS-only SNS topic, on alarm and on recovery', () => {
    const { template } = synth();

    const topic = Object.keys(template.findResources('AWS::SNS::Topic'));
    expect(topic).toHaveLength(1);
    for (const alarm of alarms(template)) {
      expect(alarm.AlarmActions).toEqual([{ Ref: topic[0] }]);
      expect(alarm.OKActions).toEqual([{ Ref: topic[0] }]);
    }
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it("let CloudWatch publish to the topic, for this account's alarms only, beside the TLS-only deny", () => {
    const { template } = synth();

    const topic = Object.keys(template.findResources('AWS::SNS::Topic'))[0];
    const policies = Object.values(template.findResources('AWS::SNS::TopicPolicy')).map(
      (r) => (r as { Properties: { PolicyDocument: { Statement: Record<string, unknown>[] } } }).Properties,
    );
    expect(policies).toHaveLength(1);
    const statements = policies[0]?.PolicyDocument.Statement ?? [];
    const allow = statements.filter((s) => s.Effect === 'Allow');
    expect(allow).toEqual([
      {
        Sid: 'AllowCloudWatchAlarmsToPublish',
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: { Ref: topic },
        Condition: {
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          ArnLike: {
            'aws:SourceArn': {
              'Fn::Join': [
                '',
                [
                  'arn:',
                  { Ref: 'AWS::Partition' },
                  ':cloudwatch:',
                  { Ref: 'AWS::Region' },
                  ':',
                  { Ref: 'AWS::AccountId' },
                  ':alarm:*',
                ],
              ],
            },
          },
        },
      },
    ]);
    expect(statements.filter((s) => s.Effect === 'Deny')).toHaveLength(1);
  });

  it('warn at synth that the alarms reach no one when no alarmEmail is set, and not when one is', () => {
    const warningsOf = (stack: Stack) =>
      Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('alarms .*nobody is subscribed'));

    const without = synth().stack;
    const withEmail = synth({ alarmEmail: 'pki-team@example.com' }).stack;

    expect(warningsOf(without)).toHaveLength(1);
    expect(warningsOf(withEmail)).toHaveLength(0);
  });

  it('e-mail the alarm address only when one is configured', () => {
    const without = synth().template;
    const withEmail = synth({ alarmEmail: 'pki-team@example.com' }).template;

    without.resourceCountIs('AWS::SNS::Subscription', 0);
    withEmail.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'pki-team@example.com',
    });
  });
});

describe('the oldest pending order alarm (docs/contract.md §11)', () => {
  it("fires when a sweep's OldestPendingHours (Maximum, under the stack's Service) passes 120 hours, and stays on for a day, not between sweeps", () => {
    const { template } = synth();

    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'DcvResend',
      MetricName: 'OldestPendingHours',
      Dimensions: [{ Name: 'Service', Value: 'DcvResend' }],
      Statistic: 'Maximum',
      Period: 3600,
      EvaluationPeriods: 24,
      DatapointsToAlarm: 1,
      Threshold: 120,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it('takes its threshold from oldestPendingAlarmHours, and says what to do, pointing at the runbook', () => {
    const { template } = synth({ oldestPendingAlarmHours: '72' });

    const [alarm] = alarms(template).filter(
      (a) => a.MetricName === 'OldestPendingHours',
    ) as (AlarmProperties & {
      AlarmDescription: string;
    })[];
    expect(alarm?.Threshold).toBe(72);
    expect(alarm?.AlarmDescription).toMatch(/over 72 hours/);
    expect(alarm?.AlarmDescription).toMatch(/dcv-resend status --order N/);
    expect(alarm?.AlarmDescription).toMatch(/DNS DCV/);
    expect(alarm?.AlarmDescription).toMatch(/docs\/runbook\.md#orders-pending-for-dcv/);
  });

  it('is there with the sweep schedule off too, since a sweep started by hand reports the same metric', () => {
    const { template } = synth({ sweepSchedule: 'off' });

    template.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { MetricName: 'OldestPendingHours' }, 1);
  });
});
