import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { BATCH_PAYLOAD, SINGLE_PAYLOAD, synth } from './support.js';

const queueArn = { 'Fn::GetAtt': [Match.stringLikeRegexp('^SchedulesDeadLetterQueue'), 'Arn'] };

describe('EventBridge Scheduler schedules', () => {
  it('creates no schedule, schedule role or schedule dead-letter queue when none is configured', () => {
    const { template, stack } = synth();

    template.resourceCountIs('AWS::Scheduler::Schedule', 0);
    expect(stack.schedules).toBeUndefined();
    // The failure queue, the async failure queue, the bulk queue and its dead-letter queue.
    template.resourceCountIs('AWS::SQS::Queue', 4);
  });

  it('invokes the function with the configured payload, time zone, retry policy and dead-letter queue', () => {
    const { template } = synth({
      schedules: JSON.stringify([
        {
          name: 'weekday-mornings',
          expression: 'cron(0 7 ? * MON-FRI *)',
          timeZone: 'Europe/Berlin',
          payload: SINGLE_PAYLOAD,
          retryAttempts: 5,
          maxEventAgeSeconds: 7200,
        },
      ]),
    });

    template.resourceCountIs('AWS::Scheduler::Schedule', 1);
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 7 ? * MON-FRI *)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
      State: 'ENABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: {
        Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ResendFunction[0-9A-F]{8}$'), 'Arn'] },
        Input: JSON.stringify(SINGLE_PAYLOAD),
        RetryPolicy: { MaximumRetryAttempts: 5, MaximumEventAgeInSeconds: 7200 },
        DeadLetterConfig: { Arn: queueArn },
      },
    });
  });

  it('defaults to 3 retries within 1 hour, UTC, and passes a batch payload through unchanged', () => {
    const { template } = synth({
      schedules: [
        { name: 'daily', expression: 'rate(1 day)', payload: BATCH_PAYLOAD },
        { name: 'paused', expression: 'rate(7 days)', payload: { order_id: 9 }, enabled: false },
      ],
    });

    template.resourceCountIs('AWS::Scheduler::Schedule', 2);
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(1 day)',
      ScheduleExpressionTimezone: 'UTC',
      Target: Match.objectLike({
        Input: JSON.stringify(BATCH_PAYLOAD),
        RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
        DeadLetterConfig: { Arn: queueArn },
      }),
    });
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(7 days)',
      State: 'DISABLED',
    });
  });

  it('sends undeliverable events to an encrypted, TLS-only queue kept for 14 days', () => {
    const { template } = synth({
      schedules: [{ name: 'daily', expression: 'rate(1 day)', payload: SINGLE_PAYLOAD }],
    });

    template.resourceCountIs('AWS::SQS::Queue', 5);
    template.hasOutput('ScheduleDeadLetterQueueUrl', {});
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: Match.stringLikeRegexp('^SchedulesDeadLetterQueue') }],
      PolicyDocument: {
        Statement: [
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ],
      },
    });
  });
});
