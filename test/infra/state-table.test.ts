import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { logicalIdOf, onlyResource, synth } from './support.js';

describe('the state table', () => {
  it('is one on-demand table keyed by id (string) with TTL on expiration and point-in-time recovery', () => {
    const { template } = synth();

    const { properties } = onlyResource(template, 'AWS::DynamoDB::Table');
    expect(properties).toMatchObject({
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  it('is retained and protected from deletion by default', () => {
    const { template } = synth();

    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({ DeletionProtectionEnabled: true }),
    });
  });

  it('is deleted with the stack, without deletion protection, when the stack destroys its data', () => {
    const { template } = synth({ removalPolicy: 'destroy' });

    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Delete',
      Properties: Match.objectLike({ DeletionProtectionEnabled: false }),
    });
  });

  it('is passed to the function as STATE_TABLE_NAME', () => {
    const { template, stack } = synth();

    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ STATE_TABLE_NAME: { Ref: logicalIdOf(stack.stateTable.table) } }),
      },
    });
  });

  it('refuses a second state table for one function', () => {
    const { stack } = synth();

    expect(() => stack.resendFunction.bindStateTable(stack.stateTable.table)).toThrow(/exactly one table/);
  });
});
