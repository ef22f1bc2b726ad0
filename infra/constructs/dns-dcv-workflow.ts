/**
 * The DNS-DCV workflow (docs/contract.md §12): a Step Functions Standard state machine whose tasks
 * are the resend function itself (`{"dns_dcv_task": ..., "state": {...}}`, the function answering
 * with the new state). Publish the records, wait until Route 53 has them (`INSYNC`), ask DigiCert to
 * check, back off and check again, and always clean up: after validation, and on the way to the
 * failure after an expiry, 24 hours, or any error.
 *
 * The state names are the workflow contract's (tests shorten the Wait states by name); the function
 * decides every outcome, the state machine only routes on the state's flags. The execution timeout
 * (25 h) is a backstop above the function's own 24-hour limit: an execution that reaches it has
 * run no cleanup, so it has an alarm of its own (`ResendAlarms`).
 */
import { createHash } from 'node:crypto';
import { ArnFormat, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { DEPLOYMENT_DEFAULTS, type DnsDcvTask } from '../../functions/app/contract.js';

/**
 * The contract's state names (docs/contract.md §12; tests override the Wait states by name), its
 * two Choice states, and `GiveUp`, which gives the cleanup an empty `error` when nothing failed.
 */
export const DNS_DCV_STATES = {
  publish: 'Publish',
  waitForSync: 'WaitForSync',
  changeStatus: 'ChangeStatus',
  inSync: 'InSync',
  check: 'Check',
  checkOutcome: 'CheckOutcome',
  giveUp: 'GiveUp',
  waitBeforeCheck: 'WaitBeforeCheck',
  cleanup: 'Cleanup',
  cleanupAfterFailure: 'CleanupAfterFailure',
  validated: 'Validated',
  notValidated: 'NotValidated',
} as const;

/** The `Error` of the `NotValidated` Fail state. */
export const DNS_DCV_NOT_VALIDATED = 'DnsDcvNotValidated';

/** The function's transient failure (`UpstreamError`) and Lambda's own service errors: retried. */
export const DNS_DCV_RETRIED_ERRORS = [
  'UpstreamError',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
] as const;

/** 5 s, 10 s, 20 s, 40 s, 80 s: about 2.5 minutes of DigiCert or Route 53 being unavailable. */
export const DNS_DCV_RETRY = { intervalSeconds: 5, backoffRate: 2, maxAttempts: 5 } as const;

/** Route 53's propagation is usually under a minute; the function gives up after 30 polls. */
export const DNS_DCV_SYNC_WAIT_SECONDS = 5;

/** The whole execution's limit: the function gives up at 24 h; one more hour for the cleanup. */
export const DNS_DCV_EXECUTION_TIMEOUT = Duration.hours(25);

/** Step Functions' limit on a state machine name. */
const MAX_STATE_MACHINE_NAME = 80;

/**
 * The state machine's name, fixed so that the function's variable and grants can be written as
 * ARNs before the state machine exists (the state machine invokes the function, so a reference
 * from the function to the state machine would be a dependency cycle). Unique per stack, since a
 * stack name is unique in its account and region; a name too long keeps a hash of the whole.
 */
export function dnsDcvStateMachineName(stackName: string): string {
  const suffix = '-dns-dcv';
  const name = `${stackName}${suffix}`;
  if (name.length <= MAX_STATE_MACHINE_NAME) return name;
  const hash = createHash('sha256').update(stackName).digest('hex').slice(0, 8);
  return `${stackName.slice(0, MAX_STATE_MACHINE_NAME - suffix.length - hash.length - 1)}-${hash}${suffix}`;
}

/** The ARNs of the state machine named `name` in `scope`'s stack, and of its executions. */
export function dnsDcvArns(
  scope: Construct,
  name: string,
): { readonly stateMachineArn: string; readonly executionsArn: string } {
  const stack = Stack.of(scope);
  const arn = (resource: string, resourceName: string) =>
    stack.formatArn({ service: 'states', resource, resourceName, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
  return { stateMachineArn: arn('stateMachine', name), executionsArn: arn('execution', `${name}:*`) };
}

export interface DnsDcvWorkflowProps {
  /** The function whose tasks the workflow runs (the resend function: same key, budget and logs). */
  readonly handler: lambda.IFunction;
  /** The state machine's name; {@link dnsDcvStateMachineName} of the stack's. */
  readonly stateMachineName: string;
  /**
   * Retention of the execution log group.
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to the execution log group when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** The DNS-DCV state machine, its execution log group and its role (which invokes only `handler`). */
export class DnsDcvWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly logGroup: logs.LogGroup;
  /** The ARN the function is given (`DNS_DCV_STATE_MACHINE_ARN`), written without a reference. */
  readonly stateMachineArn: string;
  /** `arn:...:execution:<name>:*`: the executions the function may describe. */
  readonly executionsArn: string;

  constructor(scope: Construct, id: string, props: DnsDcvWorkflowProps) {
    super(scope, id);
    const arns = dnsDcvArns(this, props.stateMachineName);
    this.stateMachineArn = arns.stateMachineArn;
    this.executionsArn = arns.executionsArn;

    const task = (
      stateName: string,
      dnsDcvTask: DnsDcvTask,
      options: { readonly withError?: boolean } = {},
    ) => {
      const invoke = new tasks.LambdaInvoke(this, stateName, {
        stateName,
        lambdaFunction: props.handler,
        payloadResponseOnly: true,
        // Our own Retry below: the contract's errors and backoff, not CDK's default.
        retryOnServiceExceptions: false,
        payload: sfn.TaskInput.fromObject({
          dns_dcv_task: dnsDcvTask,
          state: sfn.JsonPath.entirePayload,
          ...(options.withError ? { error: sfn.JsonPath.objectAt('$.error') } : {}),
        }),
      });
      invoke.addRetry({
        errors: [...DNS_DCV_RETRIED_ERRORS],
        interval: Duration.seconds(DNS_DCV_RETRY.intervalSeconds),
        backoffRate: DNS_DCV_RETRY.backoffRate,
        maxAttempts: DNS_DCV_RETRY.maxAttempts,
      });
      return invoke;
    };

    const notValidated = new sfn.Fail(this, DNS_DCV_STATES.notValidated, {
      stateName: DNS_DCV_STATES.notValidated,
      error: DNS_DCV_NOT_VALIDATED,
      cause: 'The order was not validated; the records the workflow added were removed.',
    });
    const cleanupAfterFailure = task(DNS_DCV_STATES.cleanupAfterFailure, 'cleanup', { withError: true });
    cleanupAfterFailure.next(notValidated);
    const caught = (invoke: tasks.LambdaInvoke) => {
      invoke.addCatch(cleanupAfterFailure, { errors: [sfn.Errors.ALL], resultPath: '$.error' });
      return invoke;
    };

    const publish = caught(task(DNS_DCV_STATES.publish, 'publish'));
    const waitForSync = new sfn.Wait(this, DNS_DCV_STATES.waitForSync, {
      stateName: DNS_DCV_STATES.waitForSync,
      time: sfn.WaitTime.duration(Duration.seconds(DNS_DCV_SYNC_WAIT_SECONDS)),
    });
    const changeStatus = caught(task(DNS_DCV_STATES.changeStatus, 'change-status'));
    const check = caught(task(DNS_DCV_STATES.check, 'check'));
    const waitBeforeCheck = new sfn.Wait(this, DNS_DCV_STATES.waitBeforeCheck, {
      stateName: DNS_DCV_STATES.waitBeforeCheck,
      time: sfn.WaitTime.secondsPath('$.next_check_seconds'),
    });
    const cleanup = task(DNS_DCV_STATES.cleanup, 'cleanup');
    // CleanupAfterFailure passes `$.error` beside the state: a Catch sets it (`{"Error", "Cause"}`),
    // and on the way from a check that gave up (expired, 24 h) this sets it to `{}`: nothing failed.
    // Without it the path would be missing, a States.Runtime failure that no Catch catches: no
    // cleanup would run. (`{}` rather than null: aws-local-stepfunctions ignores a falsy Result.)
    const giveUp = new sfn.Pass(this, DNS_DCV_STATES.giveUp, {
      stateName: DNS_DCV_STATES.giveUp,
      result: sfn.Result.fromObject({}),
      resultPath: '$.error',
    });
    const validated = new sfn.Succeed(this, DNS_DCV_STATES.validated, {
      stateName: DNS_DCV_STATES.validated,
    });

    const isTrue = (path: string) => sfn.Condition.booleanEquals(path, true);
    const definition = publish
      .next(waitForSync)
      .next(changeStatus)
      .next(
        new sfn.Choice(this, DNS_DCV_STATES.inSync, { stateName: DNS_DCV_STATES.inSync })
          .when(isTrue('$.in_sync'), check)
          .otherwise(waitForSync),
      );
    check.next(
      new sfn.Choice(this, DNS_DCV_STATES.checkOutcome, { stateName: DNS_DCV_STATES.checkOutcome })
        .when(isTrue('$.validated'), cleanup.next(validated))
        .when(sfn.Condition.or(isTrue('$.expired'), isTrue('$.gave_up')), giveUp.next(cleanupAfterFailure))
        .otherwise(waitBeforeCheck.next(check)),
    );

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? DEPLOYMENT_DEFAULTS.logRetentionDays,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: props.stateMachineName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      comment: 'dcv-resend: publish DigiCert DNS DCV records in Route 53, check until validated, clean up',
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      timeout: DNS_DCV_EXECUTION_TIMEOUT,
      tracingEnabled: true,
      // The state holds the order, its random value and its records; never the API key (the
      // function reads the key itself), so execution data may be logged.
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
    });
    this.acknowledgeWildcards(props.handler);
  }

  private acknowledgeWildcards(handler: lambda.IFunction): void {
    const role = this.stateMachine.role;
    const fnArn = Stack.of(this).resolve(handler.functionArn) as { 'Fn::GetAtt'?: [string, string] };
    const fnLogicalId = fnArn['Fn::GetAtt']?.[0];
    if (fnLogicalId) {
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${fnLogicalId}.Arn>:*]`,
        reason:
          "CDK's LambdaInvoke grants lambda:InvokeFunction on the function ARN and its qualified form (<arn>:*); the stack publishes no versions or aliases, so the wildcard reaches no function but the resend function.",
      });
    }
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Step Functions needs the CloudWatch Logs delivery actions (logs:CreateLogDelivery, ...) and X-Ray (xray:PutTraceSegments, ...) on "*": neither service supports resource-level permissions for these actions.',
    });
  }
}
