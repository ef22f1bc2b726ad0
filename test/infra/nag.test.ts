import { Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { build, KMS_KEY_ARN, SECRET_ARN, SINGLE_PAYLOAD } from './support.js';

const EVERYTHING = {
  secretArn: SECRET_ARN,
  secretKmsKeyArn: KMS_KEY_ARN,
  alarmEmail: 'pki-team@example.com',
  httpAuth: 'jwt',
  jwtIssuer: 'https://auth.example.com/',
  jwtAudience: 'dcv-resend',
  schedules: [
    { name: 'nightly', expression: 'cron(0 2 * * ? *)', payload: SINGLE_PAYLOAD },
    { name: 'batch', expression: 'rate(12 hours)', payload: { orders: [{ order_id: 1 }, { order_id: 2 }] } },
  ],
  sweepSchedule: 'cron(0 */4 * * ? *)',
  sweepPolicy: 'migrate',
  sweepResendAfterHours: 12,
  sweepCooldownHours: 48,
  sweepBudgetShare: 0.3,
  oldestPendingAlarmHours: 96,
};

/** Every acknowledgement recorded in the tree: rule id and reason. */
function acknowledgements(root: IConstruct): { id: string; reason: string; path: string }[] {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          // aws-cdk-lib records cdk-nag's unprefixed ids under its annotation namespace.
          id: id.replace(/^annotation::/i, ''),
          reason,
          path: construct.node.path,
        })),
      ),
  );
}

describe('cdk-nag (AWS Solutions) on every synth', () => {
  it('finds nothing unacknowledged with the sweep schedule off (no schedule at all)', () => {
    const { app } = build({ sweepSchedule: 'off' });

    expect(() => app.synth()).not.toThrow();
  });

  it('finds nothing unacknowledged in the default stack', () => {
    const { app } = build();

    expect(() => app.synth()).not.toThrow();
  });

  it('finds nothing unacknowledged with every option turned on', () => {
    const { app } = build(EVERYTHING);

    expect(() => app.synth()).not.toThrow();
  });

  it('fails the synth on a finding nobody acknowledged', () => {
    const { app, stack } = build();
    new sqs.Queue(stack, 'CarelessQueue', { encryption: sqs.QueueEncryption.UNENCRYPTED });

    expect(() => app.synth()).toThrow(/CarelessQueue[\s\S]*AwsSolutions-SQS2/);
  });

  it('acknowledges only a known, short list of rules, each with a real reason', () => {
    const { app } = build(EVERYTHING);

    const acks = acknowledgements(app);
    expect([...new Set(acks.map((a) => a.id.replace(/\[.*\]$/, '')))].sort()).toEqual([
      'AwsSolutions-IAM5',
      'AwsSolutions-SNS2',
      'AwsSolutions-SQS3',
    ]);
    for (const ack of acks) expect(ack.reason.length, `${ack.id} at ${ack.path}`).toBeGreaterThan(80);
  });

  it('acknowledges the missing rotation of a secret it creates', () => {
    const { app } = build();

    const rotation = acknowledgements(app).find((a) => a.id === 'AwsSolutions-SMG4');
    expect(rotation).toBeDefined();
    // DigiCert does document key creation and revocation: the reason is the key a rotation would need.
    expect(rotation?.reason).not.toMatch(/no API/i);
    expect(rotation?.reason).toMatch(/second, more powerful key/);
  });
});
