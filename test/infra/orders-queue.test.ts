import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { DEPLOYMENT_DEFAULTS } from '../../functions/app/contract.js';
import { resolveStackConfig } from '../../infra/stack-config.js';
import { StackConfigError } from '../../infra/stack-config-error.js';
import { logicalIdOf, SINGLE_PAYLOAD, synth } from './support.js';

const ordersQueueArn = { 'Fn::GetAtt': [Match.stringLikeRegexp('^OrdersQueue[0-9A-F]{8}$'), 'Arn'] };

describe('the bulk queue (docs/contract.md §8)', () => {
  it('is encrypted with SQS-managed keys and keeps messages 14 days', () => {
    const { template, stack } = synth();

    for (const queue of [stack.ordersQueue.queue, stack.ordersQueue.deadLetterQueue]) {
      const resource = template.toJSON().Resources[logicalIdOf(queue)] as {
        Properties: Record<string, unknown>;
      };
      expect(resource.Properties).toMatchObject({
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 1_209_600,
      });
    }
  });

  it('refuses any request made without TLS, on the queue and on its dead-letter queue', () => {
    const { template, stack } = synth();

    for (const queue of [stack.ordersQueue.queue, stack.ordersQueue.deadLetterQueue]) {
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: logicalIdOf(queue) }],
        PolicyDocument: {
          Statement: [
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ],
        },
      });
    }
  });

  it('moves a message to its dead-letter queue after 5 receives', () => {
    const { template, stack } = synth();

    template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [logicalIdOf(stack.ordersQueue.deadLetterQueue), 'Arn'] },
        maxReceiveCount: 5,
      },
    });
  });

  it('keeps a received message invisible for six times the function timeout, as AWS asks of an event source', () => {
    const { template } = synth();

    const timeout = DEPLOYMENT_DEFAULTS.functionTimeoutSeconds;
    template.hasResourceProperties('AWS::Lambda::Function', { Timeout: timeout });
    template.hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 6 * timeout });
  });

  it('is drained by the function with partial batch responses, 5 messages a batch and at most 2 consumers', () => {
    const { template } = synth();

    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: ordersQueueArn,
      FunctionName: { Ref: Match.stringLikeRegexp('^ResendFunction') },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 5,
      MaximumBatchingWindowInSeconds: 5,
      ScalingConfig: { MaximumConcurrency: 2 },
    });
  });

  it('publishes the queue URLs and dead-letter ARNs as stack outputs and gives the function ORDERS_QUEUE_URL and FAILURE_QUEUE_URL', () => {
    const { template } = synth();

    template.hasOutput('OrdersQueueUrl', {
      Value: { Ref: Match.stringLikeRegexp('^OrdersQueue[0-9A-F]{8}$') },
    });
    template.hasOutput('OrdersDeadLetterQueueUrl', {
      Value: { Ref: Match.stringLikeRegexp('^OrdersQueueDeadLetterQueue') },
    });
    template.hasOutput('OrdersDeadLetterQueueArn', {
      Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^OrdersQueueDeadLetterQueue'), 'Arn'] },
    });
    template.hasOutput('FailureQueueUrl', {
      Value: { Ref: Match.stringLikeRegexp('^ResendFunctionFailureQueue') },
    });
    template.hasOutput('FailureQueueArn', {
      Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ResendFunctionFailureQueue'), 'Arn'] },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          ORDERS_QUEUE_URL: { Ref: Match.stringLikeRegexp('^OrdersQueue[0-9A-F]{8}$') },
          FAILURE_QUEUE_URL: { Ref: Match.stringLikeRegexp('^ResendFunctionFailureQueue') },
        }),
      },
    });
  });

  it('lets the function write the failure queue', () => {
    const { template } = synth();

    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'sqs:SendMessage',
            Resource: Match.arrayWith([
              { 'Fn::GetAtt': [Match.stringLikeRegexp('^ResendFunctionFailureQueue'), 'Arn'] },
            ]),
          }),
        ]),
      },
    });
  });

  it('lets the function send to the bulk queue (the sweep queues its pages and orders) with sqs:SendMessage and nothing more', () => {
    const { template, stack } = synth();

    const sends = Object.values(template.findResources('AWS::IAM::Policy'))
      .flatMap(
        (policy) =>
          (
            policy as {
              Properties: { PolicyDocument: { Statement: { Action: unknown; Resource: unknown }[] } };
            }
          ).Properties.PolicyDocument.Statement,
      )
      .filter((statement) =>
        JSON.stringify(statement.Resource).includes(logicalIdOf(stack.ordersQueue.queue)),
      );
    // The event source mapping's consume grant, and the function's send grant on this queue alone.
    expect(sends).toContainEqual({
      Sid: 'SendToOrdersQueue',
      Action: 'sqs:SendMessage',
      Effect: 'Allow',
      Resource: { 'Fn::GetAtt': [logicalIdOf(stack.ordersQueue.queue), 'Arn'] },
    });
    expect(sends.filter((s) => JSON.stringify(s.Action).includes('sqs:SendMessage'))).toHaveLength(1);
  });

  it('alarms when the dead-letter queue holds a message and when the oldest message has waited over 2 hours', () => {
    const { template, stack } = synth();

    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [
        {
          Name: 'QueueName',
          Value: { 'Fn::GetAtt': [logicalIdOf(stack.ordersQueue.deadLetterQueue), 'QueueName'] },
        },
      ],
      Threshold: 1,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [
        { Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalIdOf(stack.ordersQueue.queue), 'QueueName'] } },
      ],
      Threshold: 7200,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it('shows the queue, its age, its dead-letter queue and the queue metrics on the dashboard', () => {
    const { template } = synth();

    const body = JSON.stringify(
      Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0]?.Properties?.DashboardBody,
    );
    for (const expected of [
      'ApproximateAgeOfOldestMessage',
      'ApproximateNumberOfMessagesNotVisible',
      'QueueMessagesReceived',
      'QueueMessagesRetried',
      'FailureRecordsWritten',
      logicalIdOf(synth().stack.ordersQueue.deadLetterQueue),
    ]) {
      expect(body).toContain(expected);
    }
  });
});

describe('schedules that target the queue', () => {
  it('send their payload to the bulk queue as the message body, with the schedule dead-letter queue', () => {
    const { template, stack } = synth({
      schedules: [{ name: 'nightly', expression: 'rate(1 day)', payload: SINGLE_PAYLOAD, target: 'queue' }],
    });

    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Target: Match.objectLike({
        Arn: ordersQueueArn,
        Input: JSON.stringify(SINGLE_PAYLOAD),
        DeadLetterConfig: {
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^SchedulesDeadLetterQueue'), 'Arn'] },
        },
      }),
    });
    const role = logicalIdOf(stack.schedules?.role ?? stack);
    const [policy] = Object.values(
      template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: role }] } }),
    ) as { Properties: { PolicyDocument: { Statement: unknown[] } } }[];
    expect(policy?.Properties.PolicyDocument.Statement).toContainEqual({
      Action: 'sqs:SendMessage',
      Effect: 'Allow',
      Resource: expect.arrayContaining([{ 'Fn::GetAtt': [logicalIdOf(stack.ordersQueue.queue), 'Arn'] }]),
    });
  });

  it('invoke the function unless told otherwise', () => {
    const config = resolveStackConfig({
      schedules: [{ name: 'nightly', expression: 'rate(1 day)', payload: SINGLE_PAYLOAD }],
    });

    expect(config.schedules[0]?.target).toBe('function');
  });

  it('refuse a payload of more than 100 orders, naming the schedule field', () => {
    const orders = Array.from({ length: 101 }, (_, i) => ({ order_id: i + 1 }));

    const attempt = () =>
      resolveStackConfig({
        schedules: [{ name: 'big', expression: 'rate(1 day)', payload: { orders }, target: 'queue' }],
      });

    expect(attempt).toThrow(StackConfigError);
    expect(attempt).toThrow(/schedules\[0\]\.payload\.orders.*101 orders.*at most 100/);
  });

  it('refuse an unknown target', () => {
    const attempt = () =>
      resolveStackConfig({
        schedules: [{ name: 'x', expression: 'rate(1 day)', payload: SINGLE_PAYLOAD, target: 'lambda' }],
      });

    expect(attempt).toThrow(/schedules\[0\]\.target.*"function", "queue"/);
  });
});
