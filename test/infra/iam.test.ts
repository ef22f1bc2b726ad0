import { Match, type Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { KMS_KEY_ARN, logicalIdOf, SECRET_ARN, SINGLE_PAYLOAD, synth } from './support.js';

/** The statements of every IAM policy attached to this role. */
function statementsOfRole(template: Template, role: IConstruct): unknown[] {
  const roleId = logicalIdOf(role);
  const policies = Object.values(
    template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } }),
  ) as { Properties: { PolicyDocument: { Statement: unknown[] } } }[];
  return policies.flatMap((p) => p.Properties.PolicyDocument.Statement);
}

function roleProperties(template: Template, role: IConstruct): Record<string, unknown> {
  const resource = template.toJSON().Resources[logicalIdOf(role)] as { Properties: Record<string, unknown> };
  return resource.Properties;
}

const LOGS = {
  Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
  Effect: 'Allow',
  Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ResendFunctionLogGroup'), 'Arn'] },
};
const STATE_TABLE = {
  Sid: 'UseStateTable',
  Action: [
    'dynamodb:BatchGetItem',
    'dynamodb:DeleteItem',
    'dynamodb:GetItem',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
  ],
  Effect: 'Allow',
  Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^StateTable'), 'Arn'] },
};
/** The event source mapping polls the bulk queue with the function's role. */
const CONSUME_ORDERS_QUEUE = {
  Action: [
    'sqs:ChangeMessageVisibility',
    'sqs:DeleteMessage',
    'sqs:GetQueueAttributes',
    'sqs:GetQueueUrl',
    'sqs:ReceiveMessage',
  ],
  Effect: 'Allow',
  Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^OrdersQueue'), 'Arn'] },
};
/** The sweep queues its pages and orders on the bulk queue (docs/contract.md §11): sending, there only. */
const SEND_TO_ORDERS_QUEUE = {
  Sid: 'SendToOrdersQueue',
  Action: 'sqs:SendMessage',
  Effect: 'Allow',
  Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^OrdersQueue[0-9A-F]{8}$'), 'Arn'] },
};
const STATES_ARN = (resource: string) => ({
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      ':states:',
      { Ref: 'AWS::Region' },
      ':',
      { Ref: 'AWS::AccountId' },
      `:${resource}`,
    ],
  ],
});
/** The DNS-DCV workflow (docs/contract.md §12): start it, and describe its own executions. */
const DNS_DCV_WORKFLOW = [
  {
    Sid: 'StartDnsDcvWorkflow',
    Action: 'states:StartExecution',
    Effect: 'Allow',
    Resource: STATES_ARN('stateMachine:DcvResend-dns-dcv'),
  },
  {
    Sid: 'DescribeDnsDcvExecutions',
    Action: 'states:DescribeExecution',
    Effect: 'Allow',
    Resource: STATES_ARN('execution:DcvResend-dns-dcv:*'),
  },
];
/** Lambda's on-failure destination and the failure queue of refused orders: sending only. */
const FAILURE_QUEUES = {
  Action: 'sqs:SendMessage',
  Effect: 'Allow',
  Resource: [
    { 'Fn::GetAtt': [Match.stringLikeRegexp('^ResendFunctionAsyncFailureQueue'), 'Arn'] },
    { 'Fn::GetAtt': [Match.stringLikeRegexp('^ResendFunctionFailureQueue'), 'Arn'] },
  ],
};

describe('least privilege for the function role', () => {
  it('has no managed or inline policies of its own, and trusts only Lambda', () => {
    const { template, stack } = synth();

    const role = roleProperties(template, stack.resendFunction.role);
    expect(role).not.toHaveProperty('ManagedPolicyArns');
    expect(role).not.toHaveProperty('Policies');
    expect(role.AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } },
      ],
    });
  });

  it('may write its logs, record failed events, read exactly the created secret, use items of exactly its state table, start the DNS-DCV workflow, consume the bulk queue and send to it: nothing else', () => {
    const { template, stack } = synth();

    const statements = statementsOfRole(template, stack.resendFunction.role);
    expect(statements).toHaveLength(8);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.exact([
          LOGS,
          FAILURE_QUEUES,
          {
            Sid: 'ReadDigiCertApiKey',
            Action: 'secretsmanager:GetSecretValue',
            Effect: 'Allow',
            Resource: { Ref: Match.stringLikeRegexp('^ApiKeySecret') },
          },
          STATE_TABLE,
          ...DNS_DCV_WORKFLOW,
          CONSUME_ORDERS_QUEUE,
          SEND_TO_ORDERS_QUEUE,
        ]),
      },
    });
  });

  it('reads an existing secret by its exact ARN and decrypts only through Secrets Manager', () => {
    const { template } = synth({ secretArn: SECRET_ARN, secretKmsKeyArn: KMS_KEY_ARN });

    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.exact([
          LOGS,
          FAILURE_QUEUES,
          {
            Sid: 'ReadDigiCertApiKey',
            Action: 'secretsmanager:GetSecretValue',
            Effect: 'Allow',
            Resource: SECRET_ARN,
          },
          {
            Sid: 'DecryptDigiCertApiKey',
            Action: 'kms:Decrypt',
            Effect: 'Allow',
            Resource: KMS_KEY_ARN,
            Condition: {
              StringEquals: {
                'kms:ViaService': {
                  'Fn::Join': ['', ['secretsmanager.', { Ref: 'AWS::Region' }, '.amazonaws.com']],
                },
              },
            },
          },
          STATE_TABLE,
          ...DNS_DCV_WORKFLOW,
          CONSUME_ORDERS_QUEUE,
          SEND_TO_ORDERS_QUEUE,
        ]),
      },
    });
  });

  it('grants no kms permission when the secret uses the AWS-managed key', () => {
    const { template, stack } = synth({ secretArn: SECRET_ARN });

    const actions = statementsOfRole(template, stack.resendFunction.role).map(
      (s) => (s as { Action: unknown }).Action,
    );
    expect(actions).toEqual([
      ['logs:CreateLogStream', 'logs:PutLogEvents'],
      'sqs:SendMessage',
      'secretsmanager:GetSecretValue',
      STATE_TABLE.Action,
      'states:StartExecution',
      'states:DescribeExecution',
      CONSUME_ORDERS_QUEUE.Action,
      SEND_TO_ORDERS_QUEUE.Action,
    ]);
  });
});

describe('least privilege for the schedule role', () => {
  it('lets Scheduler (from this account only) invoke the function and write its dead-letter queue', () => {
    const { template, stack } = synth({
      schedules: [{ name: 'nightly', expression: 'rate(1 day)', payload: SINGLE_PAYLOAD }],
    });
    const scheduleRole = stack.schedules?.role;
    if (!scheduleRole) throw new Error('no schedule role');

    const role = roleProperties(template, scheduleRole);
    expect(role.AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { Service: 'scheduler.amazonaws.com' },
          Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
        },
      ],
    });
    const fnArn = { 'Fn::GetAtt': [Match.stringLikeRegexp('^ResendFunction[0-9A-F]{8}$'), 'Arn'] };
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: logicalIdOf(scheduleRole) }],
      PolicyDocument: {
        Statement: Match.exact([
          {
            Action: 'lambda:InvokeFunction',
            Effect: 'Allow',
            Resource: [fnArn, { 'Fn::Join': ['', [fnArn, ':*']] }],
          },
          {
            Action: 'sqs:SendMessage',
            Effect: 'Allow',
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^SchedulesDeadLetterQueue'), 'Arn'] },
          },
        ]),
      },
    });
  });

  it('lets API Gateway invoke the function only through its four routes', () => {
    const { template } = synth();

    template.resourceCountIs('AWS::Lambda::Permission', 4);
    for (const route of [
      '/order/certificate/\\{order_id\\}/dcv/dns$',
      '/order/certificate/\\{order_id\\}/resend-emails$',
      '/domain/\\{domain\\}/dcv/emails$',
      '/order/certificate/\\{order_id\\}/dcv$',
    ]) {
      template.hasResourceProperties('AWS::Lambda::Permission', {
        Action: 'lambda:InvokeFunction',
        Principal: 'apigateway.amazonaws.com',
        SourceArn: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(route)])] },
      });
    }
  });
});
