import { Match } from 'aws-cdk-lib/assertions';
import { describe, it } from 'vitest';
import { synth } from './support.js';

const failureQueueArn = {
  'Fn::GetAtt': [Match.stringLikeRegexp('^ResendFunctionAsyncFailureQueue'), 'Arn'],
};

describe('asynchronous invocations (schedules, aws lambda invoke --invocation-type Event)', () => {
  it('are retried twice for up to 6 hours, then recorded in a failure queue of their own', () => {
    const { template } = synth();

    template.resourceCountIs('AWS::Lambda::EventInvokeConfig', 1);
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: Match.stringLikeRegexp('^ResendFunction[0-9A-F]{8}$') },
      Qualifier: '$LATEST',
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 21_600,
      DestinationConfig: { OnFailure: { Destination: failureQueueArn } },
    });
  });

  it('land in a failure queue that is encrypted, TLS-only, kept 14 days and retained on stack deletion', () => {
    const { template } = synth();

    template.hasResource('AWS::SQS::Queue', {
      Properties: { SqsManagedSseEnabled: true, MessageRetentionPeriod: 1_209_600 },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: Match.stringLikeRegexp('^ResendFunctionAsyncFailureQueue') }],
      PolicyDocument: {
        Statement: [
          {
            Action: 'sqs:*',
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            Resource: failureQueueArn,
          },
        ],
      },
    });
  });

  it('can have its queues and log groups deleted with the stack when removalPolicy is destroy', () => {
    const { template } = synth({ removalPolicy: 'destroy' });

    template.hasResource('AWS::SQS::Queue', { DeletionPolicy: 'Delete' });
    template.allResources('AWS::Logs::LogGroup', { DeletionPolicy: 'Delete' });
    template.hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: 'Delete' });
  });
});
