import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { DIRECT_ACTIONS } from '../../functions/app/contract.js';
import { BATCH_PAYLOAD, logicalIdOf, SINGLE_PAYLOAD, synth } from './support.js';

const queueArn = { 'Fn::GetAtt': [Match.stringLikeRegexp('^SchedulesDeadLetterQueue'), 'Arn'] };

describe('EventBridge Scheduler schedules', () => {
  it('creates no schedule, schedule role or schedule dead-letter queue when none is configured and the sweep is off', () => {
    const { template, stack } = synth({ sweepSchedule: 'off' });

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
      sweepSchedule: 'off',
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

    // Beside the pending-DCV sweep's.
    template.resourceCountIs('AWS::Scheduler::Schedule', 3);
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

describe('the pending-DCV sweep schedule (docs/contract.md §11)', () => {
  const functionArn = { 'Fn::GetAtt': [Match.stringLikeRegexp('^ResendFunction[0-9A-F]{8}$'), 'Arn'] };

  it('invokes the function every 6 hours (UTC) with exactly {"action":"sweep"}, with the schedule retry policy and dead-letter queue', () => {
    const { template, stack } = synth();

    template.resourceCountIs('AWS::Scheduler::Schedule', 1);
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Description: Match.stringLikeRegexp('pending-DCV sweep'),
      ScheduleExpression: 'rate(6 hours)',
      ScheduleExpressionTimezone: 'UTC',
      State: 'ENABLED',
      Target: {
        Arn: functionArn,
        RoleArn: { 'Fn::GetAtt': [logicalIdOf(stack.schedules?.role ?? stack), 'Arn'] },
        Input: '{"action":"sweep"}',
        RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
        DeadLetterConfig: { Arn: queueArn },
      },
    });
    expect(DIRECT_ACTIONS).toContain('sweep');
  });

  it('runs at the sweepSchedule expression given', () => {
    const { template } = synth({ sweepSchedule: 'cron(15 */4 * * ? *)' });

    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(15 */4 * * ? *)',
      Target: Match.objectLike({ Input: '{"action":"sweep"}' }),
    });
  });

  it('is not deployed with sweepSchedule off, and the schedules of yours stay as they are', () => {
    const { template, stack } = synth({
      sweepSchedule: 'off',
      schedules: [{ name: 'daily', expression: 'rate(1 day)', payload: SINGLE_PAYLOAD }],
    });

    expect(stack.schedules?.sweep).toBeUndefined();
    template.resourceCountIs('AWS::Scheduler::Schedule', 1);
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(1 day)',
      Target: Match.objectLike({ Input: JSON.stringify(SINGLE_PAYLOAD) }),
    });
  });

  it('sits beside the schedules of yours, sharing their role and dead-letter queue', () => {
    const { template } = synth({
      schedules: [{ name: 'daily', expression: 'rate(1 day)', payload: SINGLE_PAYLOAD }],
    });

    template.resourceCountIs('AWS::Scheduler::Schedule', 2);
    template.resourceCountIs('AWS::SQS::Queue', 5);
    const roles = Object.values(template.findResources('AWS::Scheduler::Schedule')).map((schedule) =>
      JSON.stringify(
        (schedule as { Properties: { Target: { RoleArn: unknown } } }).Properties.Target.RoleArn,
      ),
    );
    expect(new Set(roles).size).toBe(1);
  });
});
