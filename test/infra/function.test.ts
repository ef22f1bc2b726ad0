import { Match, Template } from 'aws-cdk-lib/assertions';
import { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import {
  DEPLOYED_RUNTIME_ENV,
  DEPLOYMENT_DEFAULTS,
  DIGICERT_BASE_URLS,
} from '../../functions/app/contract.js';
import { isRecord } from '../../functions/lib/is-record.js';
import { build, onlyResource, SECRET_ARN, synth } from './support.js';

describe('the resend function', () => {
  it('runs on nodejs24.x, arm64, with 256 MB, a 5-minute timeout and 80 reserved executions', () => {
    const { template } = synth();

    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 256,
      Timeout: 300,
      ReservedConcurrentExecutions: 80,
    });
  });

  it('takes memory and reserved concurrency from context, and can leave concurrency unreserved', () => {
    const { template } = synth({ memorySize: '512', reservedConcurrency: 'none' });

    const fn = onlyResource(template, 'AWS::Lambda::Function');
    expect(fn.properties.MemorySize).toBe(512);
    expect(fn.properties).not.toHaveProperty('ReservedConcurrentExecutions');
  });

  it('writes to its own log group with the configured retention', () => {
    const { template } = synth({ logRetentionDays: '30' });

    const logGroup = onlyResource(template, 'AWS::Lambda::Function').properties.LoggingConfig;
    expect(logGroup).toEqual({ LogGroup: { Ref: expect.stringMatching(/^ResendFunctionLogGroup/) } });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    template.hasResource('AWS::Logs::LogGroup', { DeletionPolicy: 'Retain' });
  });
});

describe('the shared rate budget (docs/contract.md §7)', () => {
  it.each([
    ['the default 80 copies', {}, '80'],
    ['5 copies', { reservedConcurrency: '5' }, '5'],
    ['1 copy', { reservedConcurrency: '1' }, '1'],
  ])(
    'gives all of %s the whole budget, and the most copies as the divisor of the fallback share',
    (_name, context, divisor) => {
      const { template } = synth(context);

      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({
            DIGICERT_RATE_LIMIT_PER_5S: '90',
            DIGICERT_RATE_LIMIT_PER_3MIN: '900',
            DIGICERT_RATE_LIMIT_SHARE_DIVISOR: divisor,
          }),
        },
      });
    },
  );

  it('sets no fallback share on unreserved concurrency, where the most copies is unknown', () => {
    const { template } = synth({ reservedConcurrency: 'none' });

    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          DIGICERT_RATE_LIMIT_PER_5S: '90',
          DIGICERT_RATE_LIMIT_PER_3MIN: '900',
          DIGICERT_RATE_LIMIT_SHARE_DIVISOR: Match.absent(),
        }),
      },
    });
  });

  it('reserves room for every HTTP invocation the API admits (burst + rate x 28 s) plus batches', () => {
    const { config } = synth();
    const { template } = synth();

    const reserved = onlyResource(template, 'AWS::Lambda::Function').properties.ReservedConcurrentExecutions;
    expect(reserved).toBeGreaterThanOrEqual(config.apiBurstLimit + Math.ceil(config.apiRateLimit * 28) + 8);
  });
});

describe('the function environment (docs/contract.md §4)', () => {
  it('sets exactly the contract variables and the log level, pointing at the created secret', () => {
    const { template } = synth();

    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectEquals({
          DIGICERT_API_KEY_SECRET_ID: { Ref: Match.stringLikeRegexp('^ApiKeySecret') },
          STATE_TABLE_NAME: { Ref: Match.stringLikeRegexp('^StateTable') },
          DIGICERT_BASE_URL: DIGICERT_BASE_URLS.us,
          DIGICERT_TIMEOUT_MS: '10000',
          SECRET_CACHE_TTL_SECONDS: '300',
          LOG_LEVEL: 'info',
          SERVICE_NAME: 'DcvResend',
          DIGICERT_RATE_LIMIT_PER_5S: '90',
          DIGICERT_RATE_LIMIT_PER_3MIN: '900',
          DIGICERT_RATE_LIMIT_SHARE_DIVISOR: '80',
          ORDERS_QUEUE_URL: { Ref: Match.stringLikeRegexp('^OrdersQueue') },
          FAILURE_QUEUE_URL: { Ref: Match.stringLikeRegexp('^ResendFunctionFailureQueue') },
          DNS_DCV_STATE_MACHINE_ARN: Match.anyValue(),
          MALLOC_ARENA_MAX: '2',
        }),
      },
    });
  });

  it('points DIGICERT_API_KEY_SECRET_ID at an existing secret given by ARN', () => {
    const { template } = synth({ secretArn: SECRET_ARN });

    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ DIGICERT_API_KEY_SECRET_ID: SECRET_ARN }) },
    });
  });

  it.each([
    ['eu', DIGICERT_BASE_URLS.eu],
    ['EU', DIGICERT_BASE_URLS.eu],
    ['us', DIGICERT_BASE_URLS.us],
    ['https://certcentral.digicert.eu/services/v2/', DIGICERT_BASE_URLS.eu],
  ])('maps digicertRegion %s to DIGICERT_BASE_URL %s', (region, url) => {
    const { template } = synth({ digicertRegion: region });

    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ DIGICERT_BASE_URL: url }) },
    });
  });

  it('sets MALLOC_ARENA_MAX=2 for glibc, the value the memory benchmark measured', () => {
    const { template } = synth();

    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ MALLOC_ARENA_MAX: '2' }) },
    });
    expect(DEPLOYED_RUNTIME_ENV).toEqual({ MALLOC_ARENA_MAX: String(DEPLOYMENT_DEFAULTS.mallocArenaMax) });
  });

  it('drops MALLOC_ARENA_MAX and nothing else with the deletion override docs/deploy.md gives', () => {
    const { stack } = build();
    const fn = stack.resendFunction.function.node.defaultChild;
    if (!(fn instanceof CfnFunction)) throw new Error('the resend function has no CfnFunction');

    fn.addPropertyDeletionOverride('Environment.Variables.MALLOC_ARENA_MAX');

    const variables = (template: Template): string[] => {
      const environment = onlyResource(template, 'AWS::Lambda::Function').properties.Environment;
      return isRecord(environment) && isRecord(environment.Variables)
        ? Object.keys(environment.Variables)
        : [];
    };
    const before = variables(synth().template);
    expect(before).toContain('MALLOC_ARENA_MAX');
    expect(variables(Template.fromStack(stack))).toEqual(
      before.filter((name) => name !== 'MALLOC_ARENA_MAX'),
    );
  });

  it('passes the function settings through as its variables, each as the function reads it', () => {
    const { template } = synth({
      dcvPrecheck: 'ENFORCE',
      dnsServers: '10.0.0.2, 10.0.0.3:5353',
      rateLimitPer5s: '45',
      rateLimitPer3Min: 450,
      idempotencyTtlSeconds: '43200',
    });

    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          DCV_PRECHECK: 'enforce',
          DNS_SERVERS: '10.0.0.2,10.0.0.3:5353',
          DIGICERT_RATE_LIMIT_PER_5S: '45',
          DIGICERT_RATE_LIMIT_PER_3MIN: '450',
          IDEMPOTENCY_TTL_SECONDS: '43200',
        }),
      },
    });
  });

  it('passes the sweep settings through as DCV_SWEEP_* variables, each as the function reads it', () => {
    const { template } = synth({
      sweepPolicy: 'MIGRATE',
      sweepResendAfterHours: '48',
      sweepCooldownHours: 96,
      sweepBudgetShare: '0.25',
    });

    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          DCV_SWEEP_POLICY: 'migrate',
          DCV_SWEEP_RESEND_AFTER_HOURS: '48',
          DCV_SWEEP_COOLDOWN_HOURS: '96',
          DCV_SWEEP_BUDGET_SHARE: '0.25',
        }),
      },
    });
  });

  it('sets only the sweep variables chosen, and a resend-after of 0 hours as 0', () => {
    const { template } = synth({ sweepResendAfterHours: 0 });

    const environment = onlyResource(template, 'AWS::Lambda::Function').properties.Environment;
    const variables = isRecord(environment) && isRecord(environment.Variables) ? environment.Variables : {};
    expect(Object.keys(variables).filter((name) => name.startsWith('DCV_SWEEP_'))).toEqual([
      'DCV_SWEEP_RESEND_AFTER_HOURS',
    ]);
    expect(variables.DCV_SWEEP_RESEND_AFTER_HOURS).toBe('0');
  });

  it('keeps the default for the budget window that is not set', () => {
    const { template } = synth({ rateLimitPer3Min: '600' });

    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          DIGICERT_RATE_LIMIT_PER_5S: '90',
          DIGICERT_RATE_LIMIT_PER_3MIN: '600',
        }),
      },
    });
  });

  it.each([
    ['dcvPrecheck', 'always'],
    ['dnsServers', 'resolver.internal'],
    ['rateLimitPer5s', 'ninety'],
    ['rateLimitPer3Min', '0'],
    ['idempotencyTtlSeconds', '1d'],
    ['sweepPolicy', 'always'],
    ['sweepResendAfterHours', '1 day'],
    ['sweepCooldownHours', '-72'],
    ['sweepBudgetShare', '0'],
  ])('fails the synth on an invalid %s, naming it', (setting, value) => {
    expect(() => build({ [setting]: value })).toThrow(new RegExp(`- ${setting}: `));
  });

  it('passes logLevel through as LOG_LEVEL', () => {
    const { template } = synth({ logLevel: 'DEBUG' });

    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ LOG_LEVEL: 'debug' }) },
    });
  });
});

describe('the created API key secret', () => {
  it('is created empty (no generated value) and retained, for the operator to fill in', () => {
    const { template } = synth();

    const secret = onlyResource(template, 'AWS::SecretsManager::Secret');
    expect(secret.properties).not.toHaveProperty('GenerateSecretString');
    expect(secret.properties).not.toHaveProperty('SecretString');
    template.hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: 'Retain' });
  });

  it('is encrypted with the customer-managed key when secretKmsKeyArn is given', () => {
    const { template } = synth({
      secretKmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    });

    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      KmsKeyId: 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    });
  });
});
