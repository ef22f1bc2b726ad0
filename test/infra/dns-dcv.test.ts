import { Match, type Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { dnsDcvStateMachineName } from '../../infra/constructs/dns-dcv-workflow.js';
import { build, logicalIdOf, onlyResource, synth } from './support.js';

const ZONES = 'Z0123456789ABCDEFGHIJ, /hostedzone/Z2BBBBBBBBBBBBB';
const ROLE_ARN = 'arn:aws:iam::210987654321:role/dcv-resend-route53';

interface State {
  readonly Type: string;
  readonly Next?: string;
  readonly End?: boolean;
  readonly Default?: string;
  readonly Choices?: { readonly Next: string; readonly [rule: string]: unknown }[];
  readonly Retry?: {
    ErrorEquals: string[];
    IntervalSeconds: number;
    BackoffRate: number;
    MaxAttempts: number;
  }[];
  readonly Catch?: { ErrorEquals: string[]; ResultPath: string; Next: string }[];
  readonly Parameters?: Record<string, unknown>;
  readonly Resource?: string;
  readonly Seconds?: number;
  readonly SecondsPath?: string;
  readonly Error?: string;
}

interface Definition {
  readonly StartAt: string;
  readonly States: Record<string, State>;
  readonly TimeoutSeconds: number;
}

/** The state machine's definition, the function's ARN written as `FUNCTION`. */
function definition(template: Template): Definition {
  const { properties } = onlyResource(template, 'AWS::StepFunctions::StateMachine');
  const join = (properties.DefinitionString as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
  return JSON.parse(
    join[1].map((part) => (typeof part === 'string' ? part : 'FUNCTION')).join(''),
  ) as Definition;
}

function state(def: Definition, name: string): State {
  const found = def.States[name];
  if (!found) throw new Error(`no state ${name}`);
  return found;
}

/** Every statement of the function role's policies. */
function functionStatements(settings: Record<string, unknown> = {}): { Sid?: string; Action: unknown }[] {
  const { template, stack } = synth(settings);
  const roleId = logicalIdOf(stack.resendFunction.role);
  return Object.values(
    template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } }),
  ).flatMap(
    (p) =>
      (p as { Properties: { PolicyDocument: { Statement: { Sid?: string; Action: unknown }[] } } }).Properties
        .PolicyDocument.Statement,
  );
}

const actions = (statements: { Action: unknown }[]) => statements.flatMap((s) => [s.Action].flat());

const zoneArn = (id: string) => ({
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:route53:::hostedzone/${id}`]],
});

describe('the DNS-DCV state machine (docs/contract.md §12)', () => {
  const def = definition(synth().template);

  it('is a Standard state machine with a fixed name, a 25-hour limit, full logging and X-Ray', () => {
    const { template } = synth();

    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineName: 'DcvResend-dns-dcv',
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: {
        Level: 'ALL',
        Destinations: [
          {
            CloudWatchLogsLogGroup: {
              LogGroupArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DnsDcvLogs'), 'Arn'] },
            },
          },
        ],
      },
    });
    expect(def.TimeoutSeconds).toBe(25 * 3600);
  });

  it("has exactly the contract's states and transitions", () => {
    expect(def.StartAt).toBe('Publish');
    const edges = Object.entries(def.States).flatMap(([name, s]) => [
      ...(s.Next ? [`${name} -> ${s.Next}`] : []),
      ...(s.Choices ?? []).map((c) => `${name} -> ${c.Next}`),
      ...(s.Default ? [`${name} -> ${s.Default} (default)`] : []),
      ...(s.Catch ?? []).map((c) => `${name} -> ${c.Next} (catch)`),
    ]);
    expect(edges.sort()).toEqual(
      [
        'Publish -> WaitForSync',
        'Publish -> CleanupAfterFailure (catch)',
        'WaitForSync -> ChangeStatus',
        'ChangeStatus -> InSync',
        'ChangeStatus -> CleanupAfterFailure (catch)',
        'InSync -> Check',
        'InSync -> WaitForSync (default)',
        'Check -> CheckOutcome',
        'Check -> CleanupAfterFailure (catch)',
        'CheckOutcome -> Cleanup',
        'CheckOutcome -> GiveUp',
        'GiveUp -> CleanupAfterFailure',
        'CheckOutcome -> WaitBeforeCheck (default)',
        'WaitBeforeCheck -> Check',
        'Cleanup -> Validated',
        'CleanupAfterFailure -> NotValidated',
      ].sort(),
    );
    expect(state(def, 'Validated').Type).toBe('Succeed');
    expect(state(def, 'NotValidated')).toMatchObject({ Type: 'Fail', Error: 'DnsDcvNotValidated' });
  });

  it('routes on the flags the function sets: in_sync, then validated, else expired or gave_up', () => {
    expect(state(def, 'InSync').Choices).toEqual([
      { Variable: '$.in_sync', BooleanEquals: true, Next: 'Check' },
    ]);
    expect(state(def, 'CheckOutcome').Choices).toEqual([
      { Variable: '$.validated', BooleanEquals: true, Next: 'Cleanup' },
      {
        Or: [
          { Variable: '$.expired', BooleanEquals: true },
          { Variable: '$.gave_up', BooleanEquals: true },
        ],
        Next: 'GiveUp',
      },
    ]);
  });

  it('sets $.error to {} (nothing failed) on the way from a check that gave up, so the cleanup always reads it', () => {
    expect(state(def, 'GiveUp')).toEqual({
      Type: 'Pass',
      Result: {},
      ResultPath: '$.error',
      Next: 'CleanupAfterFailure',
    });
  });

  it('waits 5 s for Route 53, then as long as the function says before each check', () => {
    expect(state(def, 'WaitForSync')).toMatchObject({ Type: 'Wait', Seconds: 5 });
    expect(state(def, 'WaitBeforeCheck')).toMatchObject({
      Type: 'Wait',
      SecondsPath: '$.next_check_seconds',
    });
  });

  it.each([
    ['Publish', 'publish'],
    ['ChangeStatus', 'change-status'],
    ['Check', 'check'],
    ['Cleanup', 'cleanup'],
  ])('invokes the function itself from %s with {"dns_dcv_task": "%s", "state": $}', (name, task) => {
    const s = state(def, name);

    expect(s.Type).toBe('Task');
    // payloadResponseOnly: the function's answer is the new state, with no Lambda envelope.
    expect(s.Resource).toBe('FUNCTION');
    expect(s.Parameters).toEqual({ dns_dcv_task: task, 'state.$': '$' });
  });

  it('invokes the function from CleanupAfterFailure with the state and, beside it, the error', () => {
    const s = state(def, 'CleanupAfterFailure');

    expect(s.Resource).toBe('FUNCTION');
    expect(s.Parameters).toEqual({ dns_dcv_task: 'cleanup', 'state.$': '$', 'error.$': '$.error' });
  });

  it.each(['Publish', 'ChangeStatus', 'Check', 'Cleanup', 'CleanupAfterFailure'])(
    'retries UpstreamError and Lambda service errors in %s: 5 s, backoff 2, 5 times',
    (name) => {
      expect(state(def, name).Retry).toEqual([
        {
          ErrorEquals: [
            'UpstreamError',
            'Lambda.ServiceException',
            'Lambda.AWSLambdaException',
            'Lambda.SdkClientException',
            'Lambda.TooManyRequestsException',
          ],
          IntervalSeconds: 5,
          BackoffRate: 2,
          MaxAttempts: 5,
        },
      ]);
    },
  );

  it.each(['Publish', 'ChangeStatus', 'Check'])(
    'catches every other failure of %s into the cleanup, keeping the error in $.error',
    (name) => {
      expect(state(def, name).Catch).toEqual([
        { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'CleanupAfterFailure' },
      ]);
    },
  );

  it('catches nothing in the cleanups: a cleanup that keeps failing fails the execution', () => {
    expect(state(def, 'Cleanup').Catch).toBeUndefined();
    expect(state(def, 'CleanupAfterFailure').Catch).toBeUndefined();
  });

  it('lets its role invoke the resend function and nothing else but logs and X-Ray', () => {
    const { template, stack } = synth();

    const fnArn = { 'Fn::GetAtt': [logicalIdOf(stack.resendFunction.function), 'Arn'] };
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: logicalIdOf(stack.dnsDcv.stateMachine.role) }],
      PolicyDocument: {
        Statement: Match.exact([
          {
            Action: 'lambda:InvokeFunction',
            Effect: 'Allow',
            Resource: [fnArn, { 'Fn::Join': ['', [fnArn, ':*']] }],
          },
          {
            Action: Match.arrayWith(['logs:CreateLogDelivery', 'xray:PutTraceSegments']),
            Effect: 'Allow',
            Resource: '*',
          },
        ]),
      },
    });
  });

  it('keeps a long stack name within the 80 characters of a state machine name, apart from its neighbours', () => {
    const long = `A${'b'.repeat(100)}`;

    expect(dnsDcvStateMachineName('DcvResend')).toBe('DcvResend-dns-dcv');
    expect(dnsDcvStateMachineName(long)).toHaveLength(80);
    expect(dnsDcvStateMachineName(long)).not.toBe(dnsDcvStateMachineName(`${long}c`));
  });
});

describe("the function's side of the workflow", () => {
  it('gets DNS_DCV_STATE_MACHINE_ARN as an ARN written out, not a reference (no dependency cycle)', () => {
    const { template } = synth();

    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          DNS_DCV_STATE_MACHINE_ARN: {
            'Fn::Join': [
              '',
              [
                'arn:',
                { Ref: 'AWS::Partition' },
                ':states:',
                { Ref: 'AWS::Region' },
                ':',
                { Ref: 'AWS::AccountId' },
                ':stateMachine:DcvResend-dns-dcv',
              ],
            ],
          },
        }),
      },
    });
  });

  it('may start only that state machine and describe only its executions', () => {
    const statements = functionStatements();

    const states = statements.filter((s) => actions([s]).some((a) => String(a).startsWith('states:')));
    expect(states).toEqual([
      expect.objectContaining({ Sid: 'StartDnsDcvWorkflow', Action: 'states:StartExecution' }),
      expect.objectContaining({ Sid: 'DescribeDnsDcvExecutions', Action: 'states:DescribeExecution' }),
    ]);
    expect(JSON.stringify(states[1])).toContain(':execution:DcvResend-dns-dcv:*');
  });

  it('sets no zone, TXT-name or role variable, and has no Route 53 or STS right at all, without zones', () => {
    const { template } = synth();
    const statements = functionStatements();

    expect(actions(statements).filter((a) => /^(route53|sts):/.test(String(a)))).toEqual([]);
    const fn = onlyResource(template, 'AWS::Lambda::Function').properties as {
      Environment: { Variables: Record<string, unknown> };
    };
    expect(Object.keys(fn.Environment.Variables).filter((v) => v.startsWith('DNS_DCV_'))).toEqual([
      'DNS_DCV_STATE_MACHINE_ARN',
    ]);
  });

  it('with zones, may change only TXT and CNAME sets (CREATE, DELETE) in exactly those zones', () => {
    const { template } = synth({ dnsDcvHostedZoneIds: ZONES, dnsDcvTxtName: '_DNSAUTH' });

    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          DNS_DCV_HOSTED_ZONE_IDS: 'Z0123456789ABCDEFGHIJ,Z2BBBBBBBBBBBBB',
          DNS_DCV_TXT_NAME: '_dnsauth',
        }),
      },
    });
    const route53 = functionStatements({ dnsDcvHostedZoneIds: ZONES, dnsDcvTxtName: '_DNSAUTH' }).filter(
      (s) => String(s.Action).startsWith('route53:'),
    );
    const zones = [zoneArn('Z0123456789ABCDEFGHIJ'), zoneArn('Z2BBBBBBBBBBBBB')];
    expect(route53).toEqual([
      {
        Sid: 'ChangeDnsDcvRecords',
        Action: 'route53:ChangeResourceRecordSets',
        Effect: 'Allow',
        Resource: zones,
        Condition: {
          'ForAllValues:StringEquals': {
            'route53:ChangeResourceRecordSetsRecordTypes': ['TXT', 'CNAME'],
            'route53:ChangeResourceRecordSetsActions': ['CREATE', 'DELETE'],
          },
        },
      },
      { Sid: 'ReadDnsDcvZones', Action: 'route53:ListResourceRecordSets', Effect: 'Allow', Resource: zones },
      {
        Sid: 'WaitForDnsDcvChanges',
        Action: 'route53:GetChange',
        Effect: 'Allow',
        Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':route53:::change/*']] },
      },
      { Sid: 'FindDnsDcvZones', Action: 'route53:ListHostedZonesByName', Effect: 'Allow', Resource: '*' },
    ]);
  });

  it('with a role, may assume exactly that role and has no Route 53 right in this account', () => {
    const { template } = synth({ dnsDcvHostedZoneIds: ZONES, dnsDcvRoleArn: ROLE_ARN });
    const statements = functionStatements({ dnsDcvHostedZoneIds: ZONES, dnsDcvRoleArn: ROLE_ARN });

    expect(actions(statements).filter((a) => String(a).startsWith('route53:'))).toEqual([]);
    expect(statements.filter((s) => actions([s]).includes('sts:AssumeRole'))).toEqual([
      { Sid: 'AssumeDnsDcvRole', Action: 'sts:AssumeRole', Effect: 'Allow', Resource: ROLE_ARN },
    ]);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          DNS_DCV_ROLE_ARN: ROLE_ARN,
          DNS_DCV_HOSTED_ZONE_IDS: Match.anyValue(),
        }),
      },
    });
  });

  it.each([
    ['no zones', {}],
    ['zones', { dnsDcvHostedZoneIds: ZONES }],
    ['zones in another account', { dnsDcvHostedZoneIds: ZONES, dnsDcvRoleArn: ROLE_ARN }],
  ])('passes cdk-nag with %s', (_, settings) => {
    const { app } = build(settings);

    expect(() => app.synth()).not.toThrow();
  });
});

describe('the DNS-DCV route', () => {
  it('is POST /order/certificate/{order_id}/dcv/dns, signed with SigV4 like the others', () => {
    const { template } = synth();

    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: 'POST /order/certificate/{order_id}/dcv/dns',
      AuthorizationType: 'AWS_IAM',
    });
    expect(Object.keys(template.findOutputs('DnsDcvInvokePermissionResource'))).toHaveLength(1);
    expect(Object.keys(template.findOutputs('DnsDcvStateMachineArn'))).toHaveLength(1);
  });
});

describe('DNS-DCV alarms and dashboard', () => {
  it('alarms on any DnsDcvFailed in an hour, for this Service, to the alarm topic, pointing at the runbook', () => {
    const { template } = synth();

    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'DcvResend',
      MetricName: 'DnsDcvFailed',
      Dimensions: [{ Name: 'Service', Value: 'DcvResend' }],
      Statistic: 'Sum',
      Period: 3600,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmDescription: Match.stringLikeRegexp('docs/runbook\\.md#dns-dcv-failed'),
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^AlarmsTopic') }],
      OKActions: [{ Ref: Match.stringLikeRegexp('^AlarmsTopic') }],
    });
  });

  it('alarms when an execution times out (it ran no cleanup)', () => {
    const { template } = synth();

    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/States',
      MetricName: 'ExecutionsTimedOut',
      Dimensions: [
        { Name: 'StateMachineArn', Value: { Ref: Match.stringLikeRegexp('^DnsDcvStateMachine') } },
      ],
      Threshold: 1,
    });
  });

  it('graphs started, validated, failed by reason, time to validation, and failed or timed-out executions', () => {
    const { template } = synth();
    const joined = onlyResource(template, 'AWS::CloudWatch::Dashboard').properties.DashboardBody as {
      'Fn::Join': [string, unknown[]];
    };
    const text = joined['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : 'REF')).join('');
    const widgets = (
      JSON.parse(text) as { widgets: { properties: { title?: string; metrics?: unknown[][] } }[] }
    ).widgets;
    const graphed = (title: string) =>
      JSON.stringify(widgets.find((w) => w.properties.title === title)?.properties.metrics ?? null);

    expect(graphed('DNS DCV: workflows started, validated, failed')).toMatch(
      /DnsDcvStarted.*DnsDcvValidated.*DnsDcvFailed/,
    );
    expect(graphed('DNS DCV: time to validation (s)')).toMatch(
      /DnsDcvTimeToValidationSeconds.*"stat":"p50".*DnsDcvTimeToValidationSeconds.*"stat":"p90"/,
    );
    expect(graphed('DNS DCV state machine: executions failed, timed out')).toMatch(
      /AWS\/States.*ExecutionsFailed.*AWS\/States.*ExecutionsTimedOut/,
    );
    // Every reason the function writes, found by a search rather than a list that could fall behind.
    const byReason = widgets.find((w) => w.properties.title === 'DNS DCV: failures by reason');
    expect(byReason?.properties.metrics).toEqual([
      [
        {
          expression: `SEARCH('{DcvResend,Reason,Service} MetricName="DnsDcvFailed" Service="DcvResend"', 'Sum', 3600)`,
          period: 3600,
        },
      ],
    ]);
  });
});
