import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../functions/app/config.js';
import { DEPLOYMENT_DEFAULTS, DIGICERT_BASE_URLS } from '../../functions/app/contract.js';
import { resolveStackConfig, type StackConfig, type StackConfigInput } from '../../infra/stack-config.js';
import { StackConfigError } from '../../infra/stack-config-error.js';
import { build, KMS_KEY_ARN, SECRET_ARN, SINGLE_PAYLOAD } from './support.js';

/** The settings named by the error `resolveStackConfig` throws for `input`. */
function rejectedSettings(input: StackConfigInput): string[] {
  try {
    resolveStackConfig(input);
  } catch (error) {
    if (error instanceof StackConfigError) return error.issues.map((issue) => issue.setting);
    throw error;
  }
  throw new Error(`accepted ${JSON.stringify(input)}`);
}

const schedule = (overrides: Record<string, unknown>) => [
  { name: 'nightly', expression: 'cron(0 6 * * ? *)', payload: SINGLE_PAYLOAD, ...overrides },
];

describe('deployment settings: defaults', () => {
  it('deploy with no settings at all: a created secret, US DigiCert, IAM auth, no schedules but the sweep every 6 hours', () => {
    const config = resolveStackConfig({});

    expect(config).toEqual({
      stackName: 'DcvResend',
      secretArn: undefined,
      secretKmsKeyArn: undefined,
      digicertBaseUrl: DIGICERT_BASE_URLS.us,
      schedules: [],
      alarmEmail: undefined,
      logRetentionDays: 90,
      logLevel: 'info',
      reservedConcurrency: 80,
      memorySize: 256,
      httpAuth: { type: 'iam' },
      apiRateLimit: 2,
      apiBurstLimit: 10,
      removalPolicy: 'retain',
      sweepSchedule: 'rate(6 hours)',
      oldestPendingAlarmHours: 120,
    });
  });

  it('accept -c strings and cdk.json values alike', () => {
    const fromCli = resolveStackConfig({
      secretArn: SECRET_ARN,
      reservedConcurrency: '2',
      schedules: JSON.stringify(schedule({ timeZone: 'America/New_York', retryAttempts: '0' })),
    });
    const fromJson = resolveStackConfig({
      secretArn: SECRET_ARN,
      reservedConcurrency: 2,
      schedules: schedule({ timeZone: 'America/New_York', retryAttempts: 0 }),
    });

    expect(fromCli).toEqual(fromJson);
    expect(fromCli.schedules[0]).toMatchObject({
      timeZone: 'America/New_York',
      retryAttempts: 0,
      maxEventAgeSeconds: DEPLOYMENT_DEFAULTS.scheduleMaxEventAgeSeconds,
      enabled: true,
    });
  });
});

describe('deployment settings: bad values fail the synth, naming the setting', () => {
  it.each<[string, StackConfigInput, string]>([
    ['a malformed secret ARN', { secretArn: 'digicert-api-key' }, 'secretArn'],
    [
      'a secret ARN without the 6-character suffix',
      { secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:key' },
      'secretArn',
    ],
    [
      'an ARN of another service',
      { secretArn: 'arn:aws:ssm:eu-west-1:123456789012:parameter/key-AbCdEf' },
      'secretArn',
    ],
    [
      'a KMS alias instead of a key',
      { secretKmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:alias/digicert' },
      'secretKmsKeyArn',
    ],
    ['a malformed KMS key ARN', { secretKmsKeyArn: 'my-key' }, 'secretKmsKeyArn'],
    ['an unknown DigiCert region', { digicertRegion: 'mars' }, 'digicertRegion'],
    [
      'a plain-http DigiCert URL',
      { digicertRegion: 'http://www.digicert.com/services/v2' },
      'digicertRegion',
    ],
    ['a loopback DigiCert URL', { digicertRegion: 'http://127.0.0.1:8080' }, 'digicertRegion'],
    [
      "a look-alike of DigiCert's host",
      { digicertRegion: 'https://www.digicert.com.attacker.example/services/v2' },
      'digicertRegion',
    ],
    ['the instance metadata address', { digicertRegion: 'https://169.254.169.254/' }, 'digicertRegion'],
    [
      "another path on DigiCert's host",
      { digicertRegion: 'https://www.digicert.com/services/v3' },
      'digicertRegion',
    ],
    [
      'a DigiCert URL with credentials',
      { digicertRegion: 'https://u:p@www.digicert.com/services/v2' },
      'digicertRegion',
    ],
    ['schedules that are not JSON', { schedules: '[{name:' }, 'schedules'],
    ['schedules that are not a list', { schedules: '{"name":"x"}' }, 'schedules'],
    [
      'an invalid cron expression',
      { schedules: schedule({ expression: 'cron(0 6 * * * *)' }) },
      'schedules[0].expression',
    ],
    [
      'a five-field cron expression',
      { schedules: schedule({ expression: 'cron(0 6 * * ?)' }) },
      'schedules[0].expression',
    ],
    [
      'an out-of-range cron hour',
      { schedules: schedule({ expression: 'cron(0 25 * * ? *)' }) },
      'schedules[0].expression',
    ],
    [
      'a rate with the wrong unit',
      { schedules: schedule({ expression: 'rate(1 days)' }) },
      'schedules[0].expression',
    ],
    [
      'an expression that is neither',
      { schedules: schedule({ expression: 'every day' }) },
      'schedules[0].expression',
    ],
    [
      'an impossible one-time date',
      { schedules: schedule({ expression: 'at(2030-02-30T10:00:00)' }) },
      'schedules[0].expression',
    ],
    ['an unknown time zone', { schedules: schedule({ timeZone: 'Mars/Olympus' }) }, 'schedules[0].timeZone'],
    [
      'a payload the function would reject (bad order id)',
      { schedules: schedule({ payload: { order_id: 'abc' } }) },
      'schedules[0].payload.order_id',
    ],
    [
      'a payload with a misspelt field',
      { schedules: schedule({ payload: { order_id: 1, domain_aproval_emails: [] } }) },
      'schedules[0].payload.domain_aproval_emails',
    ],
    [
      'a payload with a bad e-mail',
      {
        schedules: schedule({
          payload: { order_id: 1, domain_approval_emails: [{ domain: 'example.com', email: 'nope' }] },
        }),
      },
      'schedules[0].payload.domain_approval_emails.0.email',
    ],
    [
      'a payload with a fixed idempotency_key (every run would be one delivery)',
      { schedules: schedule({ payload: { idempotency_key: 'nightly', orders: [{ order_id: 1 }] } }) },
      'schedules[0].payload.idempotency_key',
    ],
    [
      'a batch that is empty',
      { schedules: schedule({ payload: { orders: [] } }) },
      'schedules[0].payload.orders',
    ],
    [
      'a batch with a bad order',
      { schedules: schedule({ payload: { orders: [{ order_id: 1 }, { order_id: -2 }] } }) },
      'schedules[0].payload.orders.1.order_id',
    ],
    ['a payload that is not an object', { schedules: schedule({ payload: [1, 2] }) }, 'schedules[0].payload'],
    ['a missing payload', { schedules: [{ name: 'x', expression: 'rate(1 day)' }] }, 'schedules[0].payload'],
    [
      'a missing schedule name',
      { schedules: [{ expression: 'rate(1 day)', payload: SINGLE_PAYLOAD }] },
      'schedules[0].name',
    ],
    [
      'duplicate schedule names',
      { schedules: [...schedule({}), ...schedule({ name: 'NIGHTLY' })] },
      'schedules[1].name',
    ],
    ['an unknown schedule field', { schedules: schedule({ input: {} }) }, 'schedules[0].input'],
    [
      'too many Scheduler retries',
      { schedules: schedule({ retryAttempts: 200 }) },
      'schedules[0].retryAttempts',
    ],
    [
      'a too-short maximum event age',
      { schedules: schedule({ maxEventAgeSeconds: 10 }) },
      'schedules[0].maxEventAgeSeconds',
    ],
    ['a non-boolean enabled flag', { schedules: schedule({ enabled: 'no' }) }, 'schedules[0].enabled'],
    ['a malformed alarm e-mail', { alarmEmail: 'ops-at-example.com' }, 'alarmEmail'],
    ['a retention CloudWatch does not offer', { logRetentionDays: '45' }, 'logRetentionDays'],
    ['a non-numeric retention', { logRetentionDays: 'forever' }, 'logRetentionDays'],
    [
      'zero reserved concurrency (would disable the function)',
      { reservedConcurrency: '0' },
      'reservedConcurrency',
    ],
    ['too little memory', { memorySize: 64 }, 'memorySize'],
    ['an unknown log level', { logLevel: 'verbose' }, 'logLevel'],
    ['an unknown auth type', { httpAuth: 'none' }, 'httpAuth'],
    ['jwt auth without an issuer', { httpAuth: 'jwt', jwtAudience: 'a' }, 'jwtIssuer'],
    [
      'jwt auth with a plain-http issuer',
      { httpAuth: 'jwt', jwtIssuer: 'http://idp.example.com', jwtAudience: 'a' },
      'jwtIssuer',
    ],
    [
      'jwt auth without an audience',
      { httpAuth: 'jwt', jwtIssuer: 'https://idp.example.com' },
      'jwtAudience',
    ],
    ['JWT settings while auth is iam', { jwtIssuer: 'https://idp.example.com' }, 'httpAuth'],
    ['a zero API rate', { apiRateLimit: 0 }, 'apiRateLimit'],
    ['a fractional API burst', { apiBurstLimit: 2.5 }, 'apiBurstLimit'],
    ['an unknown removal policy', { removalPolicy: 'snapshot' }, 'removalPolicy'],
    ['an invalid stack name', { stackName: '1-stack' }, 'stackName'],
  ])('rejects %s', (_what, input, setting) => {
    expect(rejectedSettings(input)).toEqual([setting]);
  });

  it('reports every bad setting at once, each on its own line', () => {
    const attempt = () =>
      resolveStackConfig({
        secretArn: 'x',
        digicertRegion: 'mars',
        schedules: schedule({ expression: 'hourly' }),
      });

    expect(attempt).toThrow(StackConfigError);
    expect(attempt).toThrow(/- secretArn: .*\n {2}- digicertRegion: .*\n {2}- schedules\[0\]\.expression: /);
  });

  it('rejects an oversized schedule payload', () => {
    const orders = Array.from({ length: 500 }, (_, i) => ({
      order_id: i + 1,
      domain_approval_emails: Array.from({ length: 10 }, (_, j) => ({
        domain: `host-${j}.example-with-a-long-name.com`,
        email: `certificate-administrator-${j}@example-with-a-long-name.com`,
      })),
    }));

    expect(rejectedSettings({ schedules: schedule({ payload: { orders } }) })).toEqual([
      'schedules[0].payload',
    ]);
  });
});

describe("settings that become the function's variables (docs/contract.md §4)", () => {
  it.each<[string, StackConfigInput, Partial<StackConfig>]>([
    ['dcvPrecheck in any letter case', { dcvPrecheck: 'Enforce' }, { dcvPrecheck: 'enforce' }],
    [
      'dnsServers, comma-separated',
      { dnsServers: '10.0.0.2, [::1]:53' },
      { dnsServers: ['10.0.0.2', '[::1]:53'] },
    ],
    [
      'dnsServers as a cdk.json list',
      { dnsServers: ['10.0.0.2', '10.0.0.3:5353'] },
      { dnsServers: ['10.0.0.2', '10.0.0.3:5353'] },
    ],
    ['rateLimitPer5s from -c', { rateLimitPer5s: '45' }, { rateLimitPer5s: 45 }],
    ['rateLimitPer3Min from cdk.json', { rateLimitPer3Min: 450 }, { rateLimitPer3Min: 450 }],
    ['idempotencyTtlSeconds', { idempotencyTtlSeconds: '43200' }, { idempotencyTtlSeconds: 43_200 }],
    ['sweepPolicy in any letter case', { sweepPolicy: 'Resend' }, { sweepPolicy: 'resend' }],
    ['sweepResendAfterHours of 0 from cdk.json', { sweepResendAfterHours: 0 }, { sweepResendAfterHours: 0 }],
    ['sweepCooldownHours from -c', { sweepCooldownHours: '96' }, { sweepCooldownHours: 96 }],
    ['sweepBudgetShare from cdk.json', { sweepBudgetShare: 0.25 }, { sweepBudgetShare: 0.25 }],
    ['sweepBudgetShare from -c', { sweepBudgetShare: '1' }, { sweepBudgetShare: 1 }],
    [
      'dnsDcvHostedZoneIds from -c, with /hostedzone/ prefixes and spaces',
      { dnsDcvHostedZoneIds: ' /hostedzone/Z0123456789ABCDEFGHIJ , Z2BBBBBBBBBBBBB' },
      { dnsDcvHostedZoneIds: ['Z0123456789ABCDEFGHIJ', 'Z2BBBBBBBBBBBBB'] },
    ],
    [
      'dnsDcvHostedZoneIds as a cdk.json list',
      { dnsDcvHostedZoneIds: ['Z0123456789ABCDEFGHIJ', 'Z0123456789ABCDEFGHIJ'] },
      { dnsDcvHostedZoneIds: ['Z0123456789ABCDEFGHIJ'] },
    ],
    ['dnsDcvTxtName in any case', { dnsDcvTxtName: '_DNSAuth' }, { dnsDcvTxtName: '_dnsauth' }],
    [
      'dnsDcvRoleArn with its zones',
      {
        dnsDcvHostedZoneIds: 'Z0123456789ABCDEFGHIJ',
        dnsDcvRoleArn: 'arn:aws:iam::210987654321:role/dns/dcv-resend',
      },
      { dnsDcvRoleArn: 'arn:aws:iam::210987654321:role/dns/dcv-resend' },
    ],
  ])('accepts %s as the function reads it', (_what, input, expected) => {
    expect(resolveStackConfig(input)).toMatchObject(expected);
  });

  it('leaves each unset when not given, so the function keeps its own default', () => {
    const config = resolveStackConfig({ dcvPrecheck: '', dnsServers: null, dnsDcvHostedZoneIds: [] });

    for (const setting of [
      'dcvPrecheck',
      'dnsServers',
      'rateLimitPer5s',
      'rateLimitPer3Min',
      'idempotencyTtlSeconds',
      'sweepPolicy',
      'sweepResendAfterHours',
      'sweepCooldownHours',
      'sweepBudgetShare',
      'dnsDcvHostedZoneIds',
      'dnsDcvTxtName',
      'dnsDcvRoleArn',
    ] as const) {
      expect(config[setting], setting).toBeUndefined();
    }
  });

  it.each<[string, StackConfigInput, string, RegExp]>([
    [
      'an unknown pre-check mode',
      { dcvPrecheck: 'sometimes' },
      'dcvPrecheck',
      /must be one of off, warn, enforce, got "sometimes" \(the function's rule for DCV_PRECHECK\)/,
    ],
    ['a resolver given by name', { dnsServers: 'dns.example.com' }, 'dnsServers', /DNS_SERVERS/],
    ['a resolver port out of range', { dnsServers: '10.0.0.2:70000' }, 'dnsServers', /DNS_SERVERS/],
    [
      'a budget of 0 per 5 s',
      { rateLimitPer5s: '0' },
      'rateLimitPer5s',
      /whole number .*DIGICERT_RATE_LIMIT_PER_5S/,
    ],
    [
      'a fractional budget per 3 min',
      { rateLimitPer3Min: 1.5 },
      'rateLimitPer3Min',
      /DIGICERT_RATE_LIMIT_PER_3MIN/,
    ],
    [
      'a negative idempotency TTL',
      { idempotencyTtlSeconds: -1 },
      'idempotencyTtlSeconds',
      /IDEMPOTENCY_TTL_SECONDS/,
    ],
    [
      'an idempotency TTL over a year',
      { idempotencyTtlSeconds: '31536001' },
      'idempotencyTtlSeconds',
      /IDEMPOTENCY_TTL_SECONDS/,
    ],
    [
      'an unknown sweep policy',
      { sweepPolicy: 'fix-everything' },
      'sweepPolicy',
      /must be one of report, resend, migrate, got "fix-everything" \(the function's rule for DCV_SWEEP_POLICY\)/,
    ],
    [
      'a resend-after of more than 30 days',
      { sweepResendAfterHours: 721 },
      'sweepResendAfterHours',
      /must be a whole number from 0 to 720, got "721" \(the function's rule for DCV_SWEEP_RESEND_AFTER_HOURS\)/,
    ],
    [
      'a cooldown of 0 hours',
      { sweepCooldownHours: '0' },
      'sweepCooldownHours',
      /must be a whole number from 1 to 720, got "0" \(the function's rule for DCV_SWEEP_COOLDOWN_HOURS\)/,
    ],
    [
      'a fractional cooldown',
      { sweepCooldownHours: 1.5 },
      'sweepCooldownHours',
      /whole number .*DCV_SWEEP_COOLDOWN_HOURS/,
    ],
    [
      'a budget share given as a percentage',
      { sweepBudgetShare: '50%' },
      'sweepBudgetShare',
      /must be a decimal number from 0.01 to 1, such as 0.5, got "50%" \(the function's rule for DCV_SWEEP_BUDGET_SHARE\)/,
    ],
    [
      'a budget share above the whole budget',
      { sweepBudgetShare: 2 },
      'sweepBudgetShare',
      /DCV_SWEEP_BUDGET_SHARE/,
    ],
    [
      'a hosted zone given by domain name',
      { dnsDcvHostedZoneIds: 'example.com' },
      'dnsDcvHostedZoneIds',
      /must be comma-separated Route 53 hosted zone ids.*DNS_DCV_HOSTED_ZONE_IDS/,
    ],
    [
      'an unknown TXT location',
      { dnsDcvTxtName: '_acme-challenge' },
      'dnsDcvTxtName',
      /must be one of domain, _dnsauth, got "_acme-challenge" \(the function's rule for DNS_DCV_TXT_NAME\)/,
    ],
    [
      'a role given by name',
      { dnsDcvHostedZoneIds: 'Z0123456789ABCDEFGHIJ', dnsDcvRoleArn: 'dcv-resend-route53' },
      'dnsDcvRoleArn',
      /must be an IAM role ARN.*DNS_DCV_ROLE_ARN/,
    ],
    [
      'a role without zones to use it for',
      { dnsDcvRoleArn: 'arn:aws:iam::210987654321:role/dcv-resend-route53' },
      'dnsDcvRoleArn',
      /dnsDcvHostedZoneIds is empty/,
    ],
  ])(
    'fails the synth on %s, naming the setting and the function rule it broke',
    (_what, input, setting, message) => {
      const attempt = () => build(input);

      expect(rejectedSettings(input)).toEqual([setting]);
      expect(attempt).toThrow(StackConfigError);
      expect(attempt).toThrow(new RegExp(`- ${setting}: .*${message.source}`));
    },
  );

  it('rejects exactly what the function rejects at cold start, with the same rule', () => {
    const value = 'warn-only';
    let functionRule = '';
    try {
      loadConfig({ DIGICERT_API_KEY_SECRET_ID: 'x', DCV_PRECHECK: value });
    } catch (error) {
      functionRule = error instanceof Error ? error.message.replace(/^DCV_PRECHECK /, '') : '';
    }

    expect(functionRule).not.toBe('');
    expect(() => resolveStackConfig({ dcvPrecheck: value })).toThrow(`dcvPrecheck: ${functionRule}`);
  });
});

describe('the pending-DCV sweep settings (docs/contract.md §11)', () => {
  it.each(['off', 'OFF', ' Off '])('turn the sweep schedule off with %j', (value) => {
    expect(resolveStackConfig({ sweepSchedule: value }).sweepSchedule).toBeUndefined();
  });

  it('take the sweep schedule as a rate, cron or at expression', () => {
    for (const expression of ['rate(12 hours)', 'cron(30 5 * * ? *)', 'at(2027-03-15T06:00:00)']) {
      expect(resolveStackConfig({ sweepSchedule: expression }).sweepSchedule).toBe(expression);
    }
  });

  it.each<[string, unknown, RegExp]>([
    [
      'a word',
      'hourly',
      /- sweepSchedule: "hourly" must be "rate\(value unit\)".*, or "off" for no sweep schedule/,
    ],
    ['a five-field cron', 'cron(0 6 * * ?)', /- sweepSchedule: .*must have 6 fields.*or "off"/],
    ['a plural unit for 1', 'rate(1 hours)', /- sweepSchedule: .*"rate\(1 hour\)"/],
    ['a number', 6, /- sweepSchedule: must be a string, got 6/],
  ])('refuse a sweep schedule that is %s, naming the setting and the rule', (_what, value, message) => {
    expect(rejectedSettings({ sweepSchedule: value })).toEqual(['sweepSchedule']);
    expect(() => build({ sweepSchedule: value })).toThrow(message);
  });

  it('take the oldest-pending alarm threshold in whole hours from -c or cdk.json', () => {
    expect(resolveStackConfig({ oldestPendingAlarmHours: '72' }).oldestPendingAlarmHours).toBe(72);
    expect(resolveStackConfig({ oldestPendingAlarmHours: 240 }).oldestPendingAlarmHours).toBe(240);
  });

  it.each([0, 721, '1.5', 'five days'])('refuse an oldest-pending alarm threshold of %j', (value) => {
    expect(rejectedSettings({ oldestPendingAlarmHours: value })).toEqual(['oldestPendingAlarmHours']);
    expect(() => build({ oldestPendingAlarmHours: value })).toThrow(
      /- oldestPendingAlarmHours: must be a whole number from 1 to 720, got /,
    );
  });
});

describe('bad settings stop the app before any resource is defined', () => {
  it('throws from createApp, naming the setting, with no stack built', () => {
    expect(() => build({ digicertRegion: 'atlantis' })).toThrow(
      /digicertRegion: must be "us", "eu" or a URL/,
    );
  });

  it.each([
    ['secretARN', 'secretArn'],
    ['schedule', 'schedules'],
    ['alarmEmial', 'alarmEmail'],
  ])('rejects the misspelt setting %s, suggesting %s', (typo, meant) => {
    expect(() => build({ [typo]: 'x' })).toThrow(
      `${typo}: is not a setting of this app; did you mean "${meant}"?`,
    );
  });

  it('ignores context that is not ours (feature flags, CLI keys)', () => {
    expect(() =>
      build({ '@aws-cdk/core:newStyleStackSynthesis': true, 'cli-telemetry': false }),
    ).not.toThrow();
  });

  it('rejects a secret in another region than the stack deploys to', () => {
    expect(() => build({ secretArn: SECRET_ARN }, { region: 'us-east-1' })).toThrow(
      /secretArn: is in eu-west-1 but the stack deploys to us-east-1/,
    );
    expect(() => build({ secretKmsKeyArn: KMS_KEY_ARN }, { region: 'eu-central-1' })).toThrow(
      /secretKmsKeyArn/,
    );
  });

  it('adds a CloudFormation rule for the secret region when the stack is region-agnostic', () => {
    const { stack } = build({ secretArn: SECRET_ARN });

    const rules = Template.fromStack(stack).toJSON().Rules as Record<string, unknown>;
    expect(rules.SecretArnInStackRegion).toEqual({
      Assertions: [
        {
          Assert: { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'eu-west-1'] },
          AssertDescription: expect.stringContaining('secretArn is in eu-west-1'),
        },
      ],
    });
  });
});
