import { describe, expect, it } from 'vitest';
import { SINGLE_PAYLOAD, synth } from './support.js';

interface Resource {
  readonly Type: string;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
  readonly Properties?: Record<string, unknown>;
}

const WITH_SCHEDULE = {
  schedules: [{ name: 'nightly', expression: 'rate(1 day)', payload: SINGLE_PAYLOAD }],
};

function resources(settings: Record<string, unknown>): Resource[] {
  return Object.values(synth(settings).template.toJSON().Resources as Record<string, Resource>);
}

describe('what cdk destroy leaves behind', () => {
  it('retains by default exactly what holds data: the secret, the log groups, the state table and the queues', () => {
    const retained = resources(WITH_SCHEDULE).filter((r) => r.DeletionPolicy === 'Retain');

    expect(retained.map((r) => r.Type).sort()).toEqual([
      'AWS::DynamoDB::Table',
      // the function's, the API's access log, the DNS-DCV executions'
      'AWS::Logs::LogGroup',
      'AWS::Logs::LogGroup',
      'AWS::Logs::LogGroup',
      // the bulk queue and its dead-letter queue, the failure queue, the async failure queue, the
      // schedule dead-letter queue
      'AWS::SQS::Queue',
      'AWS::SQS::Queue',
      'AWS::SQS::Queue',
      'AWS::SQS::Queue',
      'AWS::SQS::Queue',
      'AWS::SecretsManager::Secret',
    ]);
  });

  it('retains nothing with removalPolicy=destroy, and leaves the table unprotected', () => {
    const all = resources({ ...WITH_SCHEDULE, removalPolicy: 'destroy' });

    expect(all.filter((r) => r.DeletionPolicy === 'Retain' || r.UpdateReplacePolicy === 'Retain')).toEqual(
      [],
    );
    const table = all.find((r) => r.Type === 'AWS::DynamoDB::Table');
    expect(table?.Properties?.DeletionProtectionEnabled).toBe(false);
  });
});
