/**
 * The dcv-resend stack: the function, its HTTP API, its schedules (the pending-DCV sweep's among
 * them), its failure queues and its alarms, configured by a validated `StackConfig` (see
 * `stack-config.ts` and docs/deploy.md).
 */
import {
  Aws,
  CfnOutput,
  CfnRule,
  Duration,
  Fn,
  RemovalPolicy,
  Stack,
  type StackProps,
  Token,
  Validations,
} from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { DnsDcvWorkflow, dnsDcvStateMachineName } from './constructs/dns-dcv-workflow.js';
import { OrdersQueue } from './constructs/orders-queue.js';
import { ResendAlarms, type WatchedQueue } from './constructs/resend-alarms.js';
import { ResendApi } from './constructs/resend-api.js';
import { ResendDashboard } from './constructs/resend-dashboard.js';
import { ResendFunction } from './constructs/resend-function.js';
import { ResendSchedules } from './constructs/resend-schedules.js';
import { StateTable } from './constructs/state-table.js';
import { arnRegionAndAccount, type StackConfig } from './stack-config.js';
import { StackConfigError } from './stack-config-error.js';

export interface ResendStackProps extends StackProps {
  /** The validated settings; build them with `resolveStackConfig`. */
  readonly config: StackConfig;
}

/**
 * Everything dcv-resend needs in one account and region. Build the props with
 * `resolveStackConfig` (or `createApp`), which validates every setting first.
 */
export class ResendStack extends Stack {
  readonly apiKeySecret: secretsmanager.ISecret;
  readonly resendFunction: ResendFunction;
  /** Idempotency records and the shared rate budget (docs/contract.md §6, §7). */
  readonly stateTable: StateTable;
  readonly api: ResendApi;
  readonly ordersQueue: OrdersQueue;
  readonly schedules: ResendSchedules | undefined;
  readonly alarms: ResendAlarms;
  readonly dashboard: ResendDashboard;
  /** The DNS-DCV workflow (docs/contract.md §12), whose tasks the function runs. */
  readonly dnsDcv: DnsDcvWorkflow;

  constructor(scope: Construct, id: string, props: ResendStackProps) {
    super(scope, id, {
      description: 'dcv-resend: resend DigiCert DCV e-mails without handing out the DigiCert API key',
      ...props,
    });
    const { config } = props;
    const removalPolicy = config.removalPolicy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;

    this.requireSameRegion('secretArn', config.secretArn);
    this.requireSameRegion('secretKmsKeyArn', config.secretKmsKeyArn);
    const encryptionKey = config.secretKmsKeyArn
      ? kms.Key.fromKeyArn(this, 'ApiKeySecretKey', config.secretKmsKeyArn)
      : undefined;
    this.apiKeySecret = config.secretArn
      ? secretsmanager.Secret.fromSecretCompleteArn(this, 'ApiKeySecret', config.secretArn)
      : this.createEmptySecret(encryptionKey, removalPolicy);

    this.resendFunction = new ResendFunction(this, 'ResendFunction', {
      digicertBaseUrl: config.digicertBaseUrl,
      memorySize: config.memorySize,
      reservedConcurrentExecutions: config.reservedConcurrency ?? 'none',
      logLevel: config.logLevel,
      logRetention: config.logRetentionDays,
      serviceName: config.stackName,
      removalPolicy,
      digicertRateLimits: { per5Seconds: config.rateLimitPer5s, per3Minutes: config.rateLimitPer3Min },
      dcvPrecheck: config.dcvPrecheck,
      dnsServers: config.dnsServers,
      sweep: {
        policy: config.sweepPolicy,
        resendAfter:
          config.sweepResendAfterHours === undefined
            ? undefined
            : Duration.hours(config.sweepResendAfterHours),
        cooldown:
          config.sweepCooldownHours === undefined ? undefined : Duration.hours(config.sweepCooldownHours),
        budgetShare: config.sweepBudgetShare,
      },
      idempotencyTtl:
        config.idempotencyTtlSeconds === undefined
          ? undefined
          : Duration.seconds(config.idempotencyTtlSeconds),
    });
    this.resendFunction.bindApiKeySecret(this.apiKeySecret, encryptionKey ? { encryptionKey } : {});
    this.stateTable = new StateTable(this, 'State', { removalPolicy });
    this.resendFunction.bindStateTable(this.stateTable.table);

    this.dnsDcv = new DnsDcvWorkflow(this, 'DnsDcv', {
      handler: this.resendFunction.function,
      stateMachineName: dnsDcvStateMachineName(config.stackName),
      logRetention: config.logRetentionDays,
      removalPolicy,
    });
    this.resendFunction.bindDnsDcv({
      stateMachineArn: this.dnsDcv.stateMachineArn,
      executionsArn: this.dnsDcv.executionsArn,
      ...(config.dnsDcvHostedZoneIds ? { hostedZoneIds: config.dnsDcvHostedZoneIds } : {}),
      ...(config.dnsDcvTxtName ? { txtName: config.dnsDcvTxtName } : {}),
      ...(config.dnsDcvRoleArn ? { roleArn: config.dnsDcvRoleArn } : {}),
    });

    this.api = new ResendApi(this, 'Api', {
      handler: this.resendFunction.function,
      auth: config.httpAuth,
      rateLimit: config.apiRateLimit,
      burstLimit: config.apiBurstLimit,
      logRetention: config.logRetentionDays,
      removalPolicy,
    });

    this.ordersQueue = new OrdersQueue(this, 'OrdersQueue', {
      handler: this.resendFunction.function,
      removalPolicy,
    });
    // The sweep queues its pages and orders here (docs/contract.md §11).
    this.resendFunction.bindOrdersQueue(this.ordersQueue.queue);

    this.schedules =
      config.schedules.length > 0 || config.sweepSchedule !== undefined
        ? new ResendSchedules(this, 'Schedules', {
            handler: this.resendFunction.function,
            ordersQueue: this.ordersQueue.queue,
            schedules: config.schedules,
            sweepSchedule: config.sweepSchedule,
            removalPolicy,
          })
        : undefined;

    const newMessageQueues: WatchedQueue[] = [
      {
        id: 'FailureQueue',
        queue: this.resendFunction.failureQueue.queue,
        description: 'The failure queue (queued orders DigiCert refused or that were invalid)',
      },
      {
        id: 'AsyncFailureQueue',
        queue: this.resendFunction.asyncFailureQueue.queue,
        description:
          'The async failure queue (asynchronous invocations that failed after Lambda retried them)',
      },
    ];
    const deadLetterQueues: WatchedQueue[] = [
      {
        id: 'OrdersDeadLetterQueue',
        queue: this.ordersQueue.deadLetterQueue,
        description: 'The bulk queue dead-letter queue (messages that failed on every receive)',
      },
    ];
    if (this.schedules) {
      deadLetterQueues.push({
        id: 'ScheduleDeadLetterQueue',
        queue: this.schedules.deadLetterQueue.queue,
        description: 'The schedule dead-letter queue',
      });
    }
    this.alarms = new ResendAlarms(this, 'Alarms', {
      function: this.resendFunction.function,
      httpApi: this.api.httpApi,
      deadLetterQueues,
      newMessageQueues,
      ordersQueue: this.ordersQueue.queue,
      serviceName: this.resendFunction.serviceName,
      oldestPendingAlarmHours: config.oldestPendingAlarmHours,
      dnsDcvStateMachine: this.dnsDcv.stateMachine,
      ...(config.alarmEmail ? { email: config.alarmEmail } : {}),
    });
    this.dashboard = new ResendDashboard(this, 'Dashboard', {
      function: this.resendFunction.function,
      logGroup: this.resendFunction.logGroup,
      failureQueue: this.resendFunction.failureQueue.queue,
      asyncFailureQueue: this.resendFunction.asyncFailureQueue.queue,
      ordersQueue: this.ordersQueue.queue,
      ordersDeadLetterQueue: this.ordersQueue.deadLetterQueue,
      serviceName: this.resendFunction.serviceName,
      alarms: this.alarms.alarms,
      oldestPendingAlarmHours: config.oldestPendingAlarmHours,
      dnsDcvStateMachine: this.dnsDcv.stateMachine,
    });

    this.outputs(config);
  }

  /**
   * A secret with no value (CloudFormation creates an empty secret when neither a value nor a
   * generator is given); the operator puts the DigiCert key in with `put-secret-value`. Until then
   * the function answers `secret_unavailable`, rather than calling DigiCert with a made-up key.
   */
  private createEmptySecret(
    encryptionKey: kms.IKey | undefined,
    removalPolicy: RemovalPolicy,
  ): secretsmanager.ISecret {
    const secret = new secretsmanager.Secret(this, 'ApiKeySecret', {
      description:
        'DigiCert CertCentral API key for dcv-resend: the bare key, or JSON {"api_key": "..."}. Set it with aws secretsmanager put-secret-value.',
      ...(encryptionKey ? { encryptionKey } : {}),
      removalPolicy,
    });
    (secret.node.defaultChild as secretsmanager.CfnSecret).addPropertyDeletionOverride(
      'GenerateSecretString',
    );
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'DigiCert documents API calls to create and revoke keys, but an automatic rotation would need a second, more powerful key (user-management rights) stored in AWS to mint the new one: a larger secret than the one it rotates. Rotate by hand: create a key in CertCentral, put-secret-value, revoke the old one (the function picks the new key up within SECRET_CACHE_TTL_SECONDS, and at once on a 401).',
    });
    return secret;
  }

  /**
   * The function's Secrets Manager client calls its own region; a secret (or key) elsewhere would
   * fail at the first request. Checked at synth when the stack's region is known, otherwise by a
   * CloudFormation rule that stops the deployment before any resource is created.
   */
  private requireSameRegion(setting: string, arn: string | undefined): void {
    if (arn === undefined) return;
    const { region } = arnRegionAndAccount(arn);
    if (!Token.isUnresolved(this.region)) {
      if (region !== this.region) {
        throw new StackConfigError([
          {
            setting,
            message: `is in ${region} but the stack deploys to ${this.region}; use a secret in the same region`,
          },
        ]);
      }
      return;
    }
    new CfnRule(this, `${setting.charAt(0).toUpperCase()}${setting.slice(1)}InStackRegion`, {
      assertions: [
        {
          assert: Fn.conditionEquals(Aws.REGION, region),
          assertDescription: `${setting} is in ${region}: deploy this stack to ${region}, or use a secret in the stack's region`,
        },
      ],
    });
  }

  private outputs(config: StackConfig): void {
    new CfnOutput(this, 'ApiUrl', {
      description: 'PUT this URL (SigV4-signed for IAM auth) with the DigiCert resend-emails body',
      value: this.api.routeUrl,
    });
    if (config.httpAuth.type === 'iam') {
      new CfnOutput(this, 'InvokePermissionResource', {
        description: 'Grant resend callers execute-api:Invoke on this ARN (PUT .../resend-emails)',
        value: this.api.invokeArn,
      });
      new CfnOutput(this, 'DcvEmailsInvokePermissionResource', {
        description:
          'Grant execute-api:Invoke on this ARN to read DCV addresses (GET /domain/{domain}/dcv/emails)',
        value: this.api.dcvEmailsInvokeArn,
      });
      new CfnOutput(this, 'DcvStatusInvokePermissionResource', {
        description:
          "Grant execute-api:Invoke on this ARN to read orders' DCV status (GET /order/certificate/{order_id}/dcv)",
        value: this.api.dcvStatusInvokeArn,
      });
      new CfnOutput(this, 'DnsDcvInvokePermissionResource', {
        description:
          'Grant execute-api:Invoke on this ARN to move orders to DNS DCV (POST /order/certificate/{order_id}/dcv/dns)',
        value: this.api.dnsDcvInvokeArn,
      });
    }
    new CfnOutput(this, 'DnsDcvStateMachineArn', {
      description:
        'The DNS-DCV workflow: aws stepfunctions list-executions --state-machine-arn <this> (executions are named dcv-<order_id>-...)',
      value: this.dnsDcv.stateMachine.stateMachineArn,
    });
    new CfnOutput(this, 'DnsDcvLogGroupName', {
      description: 'The DNS-DCV executions log (every state entered and left, with its input and output)',
      value: this.dnsDcv.logGroup.logGroupName,
    });
    new CfnOutput(this, 'FunctionName', {
      description: 'For aws lambda invoke (direct or batch payloads)',
      value: this.resendFunction.function.functionName,
    });
    new CfnOutput(this, 'ApiKeySecretArn', {
      description: 'Put the DigiCert API key here (aws secretsmanager put-secret-value)',
      value: this.apiKeySecret.secretArn,
    });
    new CfnOutput(this, 'OrdersQueueUrl', {
      description: 'The bulk queue: dcv-resend submit --file F --queue-url <this>',
      value: this.ordersQueue.queue.queueUrl,
    });
    new CfnOutput(this, 'OrdersDeadLetterQueueUrl', {
      description: 'Queued messages that failed for a transient reason on every receive',
      value: this.ordersQueue.deadLetterQueue.queueUrl,
    });
    new CfnOutput(this, 'OrdersDeadLetterQueueArn', {
      description: 'Redrive to the bulk queue: aws sqs start-message-move-task --source-arn <this>',
      value: this.ordersQueue.deadLetterQueue.queueArn,
    });
    new CfnOutput(this, 'FailureQueueUrl', {
      description: 'Refused and invalid queued orders, with their reason',
      value: this.resendFunction.failureQueue.queue.queueUrl,
    });
    new CfnOutput(this, 'FailureQueueArn', {
      description:
        'The failure queue (refused and invalid queued orders), for IAM policies and alarms of your own',
      value: this.resendFunction.failureQueue.queue.queueArn,
    });
    new CfnOutput(this, 'AsyncFailureQueueUrl', {
      description: 'Asynchronous invocations that failed after Lambda retried them',
      value: this.resendFunction.asyncFailureQueue.queue.queueUrl,
    });
    if (this.schedules) {
      new CfnOutput(this, 'ScheduleDeadLetterQueueUrl', {
        description: 'Scheduled events that could not be delivered',
        value: this.schedules.deadLetterQueue.queue.queueUrl,
      });
    }
    new CfnOutput(this, 'AlarmTopicArn', {
      description: 'Subscribe here to receive alarms',
      value: this.alarms.topic.topicArn,
    });
    new CfnOutput(this, 'DashboardName', {
      description: 'The CloudWatch dashboard of the service',
      value: this.dashboard.dashboard.dashboardName,
    });
  }
}
