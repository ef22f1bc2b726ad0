/**
 * The alarms an operator needs, all to one SNS topic (with an e-mail subscription when an address
 * is configured): the function failing or being throttled, anything waiting in a dead-letter
 * queue, new records in the failure queues, asynchronous events Lambda could not record, the
 * API's 5xx rate, an order left pending for DCV too long (docs/contract.md §11), and DNS-DCV
 * workflows that failed or timed out (§12). Without an
 * address, the synth warns that the alarms reach no one.
 */
import { Annotations, Aws, Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import {
  DEPLOYMENT_DEFAULTS,
  DNS_DCV_METRICS,
  METRICS,
  SWEEP_METRICS,
} from '../../functions/app/contract.js';
import { FAILURE_METRICS, INTERNAL_FAILURE_METRIC, METRIC } from '../../functions/observability/metrics.js';

/** The id of the synth warning that alarms reach no one (acknowledge it with `Annotations.acknowledgeWarning`). */
export const ALARMS_REACH_NO_ONE = 'dcv-resend:alarmsReachNoOne';

/** A queue to watch, with a name for its alarm. */
export interface WatchedQueue {
  readonly id: string;
  readonly queue: sqs.IQueue;
  readonly description: string;
}

export interface ResendAlarmsProps {
  readonly function: lambda.IFunction;
  readonly httpApi: apigw.IHttpApi;
  /**
   * Dead-letter queues in which any message means something was not processed and must be
   * redriven: an alarm while one is visible.
   */
  readonly deadLetterQueues: readonly WatchedQueue[];
  /**
   * Queues whose records are news when they arrive but are not drained (the failure queues,
   * kept 14 days for reading): an alarm when a message was sent to one in the period
   * (`NumberOfMessagesSent`), so that each new failure notifies, rather than one alarm that stays
   * on while old records wait. (SQS does not count messages moved by a redrive policy as sent:
   * only queues written with `SendMessage` belong here.)
   * @default - none
   */
  readonly newMessageQueues?: readonly WatchedQueue[];
  /**
   * The bulk queue: an alarm when its oldest message has waited longer than `oldestMessageAge`
   * (draining stopped or fell far behind).
   * @default - no alarm on a bulk queue
   */
  readonly ordersQueue?: sqs.IQueue;
  /**
   * Age of the bulk queue's oldest message that raises the alarm.
   * @default Duration.hours(2) (about 36,000 orders at the key's 5 per second)
   */
  readonly oldestMessageAge?: Duration;
  /**
   * Where to e-mail alarm notifications; the recipient must confirm the subscription.
   * @default - no subscription; subscribe to the topic yourself
   */
  readonly email?: string;
  /**
   * API 5xx responses, as a percentage of requests in 5 minutes, that raise the alarm.
   * @default 5
   */
  readonly api5xxPercent?: number;
  /**
   * The `Service` dimension of the function's EMF metrics; with it, alarms on internal errors and
   * on configuration errors (secret unreadable, key rejected), which HTTP callers see as 5xx
   * answers rather than as failed invocations.
   * @default - no alarms on the function's own metrics
   */
  readonly serviceName?: string;
  /**
   * Hours the oldest pending order (the sweep's `OldestPendingHours`, docs/contract.md §11) may
   * wait before an alarm fires. Needs `serviceName`.
   * @default - no alarm on pending orders
   */
  readonly oldestPendingAlarmHours?: number;
  /**
   * The DNS-DCV workflow (docs/contract.md §12): an alarm on its executions that timed out (they
   * ran no cleanup), and, with `serviceName`, on the workflows that ended without validation
   * (`DnsDcvFailed`).
   * @default - no DNS-DCV alarms
   */
  readonly dnsDcvStateMachine?: sfn.IStateMachine;
  /**
   * Alarm evaluation period.
   * @default Duration.minutes(5)
   */
  readonly period?: Duration;
}

/** CloudWatch alarms for the resend service and the SNS topic they notify. */
export class ResendAlarms extends Construct {
  readonly topic: sns.Topic;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: ResendAlarmsProps) {
    super(scope, id);
    const period = props.period ?? Duration.minutes(5);

    this.topic = new sns.Topic(this, 'Topic', { displayName: 'dcv-resend alarms', enforceSSL: true });
    Validations.of(this.topic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason:
        'Alarm notifications carry alarm names and states only, never request data or the API key; CloudWatch cannot publish to a topic encrypted with the AWS-managed SNS key, and a customer-managed key for this would add cost and a key policy without protecting anything sensitive.',
    });
    // enforceSSL makes a topic policy whose only statement is a Deny, replacing SNS's default
    // policy: without this grant CloudWatch is "not authorized to perform SNS:Publish" and no alarm
    // ever notifies. Scoped to this account's alarms (confused-deputy protection).
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
          ArnLike: {
            'aws:SourceArn': `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:*`,
          },
        },
      }),
    );
    if (props.email) this.topic.addSubscription(new EmailSubscription(props.email));
    else {
      Annotations.of(Stack.of(this)).addWarningV2(
        ALARMS_REACH_NO_ONE,
        `No alarmEmail is set: the alarms notify the SNS topic ${this.node.path}/Topic, which nobody is subscribed to. Set -c alarmEmail=<address> or subscribe to the topic yourself.`,
      );
    }

    const fn = props.function;
    this.add(
      'FunctionErrors',
      'The function failed (a direct, scheduled or asynchronous invocation threw).',
      {
        metric: fn.metricErrors({ period, statistic: cloudwatch.Stats.SUM }),
        threshold: 1,
      },
    );
    this.add('FunctionThrottles', 'Invocations were throttled by the reserved concurrency.', {
      metric: fn.metricThrottles({ period, statistic: cloudwatch.Stats.SUM }),
      threshold: 1,
    });
    const asyncMetric = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/Lambda',
        metricName,
        dimensionsMap: { FunctionName: fn.functionName },
        period,
        statistic: cloudwatch.Stats.SUM,
      });
    this.add(
      'AsyncEventsLost',
      'Asynchronous events were dropped or could not be written to the failure queue.',
      {
        metric: new cloudwatch.MathExpression({
          expression: 'FILL(dropped, 0) + FILL(undelivered, 0)',
          usingMetrics: {
            dropped: asyncMetric('AsyncEventsDropped'),
            undelivered: asyncMetric('DestinationDeliveryFailures'),
          },
          label: 'Asynchronous events lost',
          period,
        }),
        threshold: 1,
      },
    );
    for (const watched of props.deadLetterQueues) {
      this.add(`${watched.id}NotEmpty`, `${watched.description} holds messages: inspect and redrive them.`, {
        metric: watched.queue.metricApproximateNumberOfMessagesVisible({
          period,
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
        threshold: 1,
      });
    }
    for (const watched of props.newMessageQueues ?? []) {
      this.add(`${watched.id}NewMessages`, `${watched.description} received new records: read them.`, {
        metric: watched.queue.metricNumberOfMessagesSent({ period, statistic: cloudwatch.Stats.SUM }),
        threshold: 1,
      });
    }
    if (props.ordersQueue) {
      const age =
        props.oldestMessageAge ?? Duration.seconds(DEPLOYMENT_DEFAULTS.queueOldestMessageAlarmSeconds);
      this.add(
        'OrdersQueueOldestMessage',
        `The bulk queue's oldest message has waited over ${age.toHumanString()}: draining stopped or fell behind.`,
        {
          metric: props.ordersQueue.metricApproximateAgeOfOldestMessage({
            period,
            statistic: cloudwatch.Stats.MAXIMUM,
          }),
          threshold: age.toSeconds(),
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        },
      );
    }
    if (props.serviceName !== undefined) {
      const emf = (metricName: string) =>
        new cloudwatch.Metric({
          namespace: METRICS.namespace,
          metricName,
          dimensionsMap: { [METRICS.serviceDimension]: props.serviceName ?? '' },
          period,
          statistic: cloudwatch.Stats.SUM,
        });
      this.add('InternalErrors', 'A request failed with an unexpected error (a bug): see the logs.', {
        metric: emf(INTERNAL_FAILURE_METRIC),
        threshold: 1,
      });
      const configuration = FAILURE_METRICS.filter((name) =>
        name.startsWith(`${METRIC.ordersFailed}_ConfigurationError`),
      );
      if (props.oldestPendingAlarmHours !== undefined) {
        this.addOldestPending(props.serviceName, props.oldestPendingAlarmHours);
      }
      if (props.dnsDcvStateMachine) this.addDnsDcvFailed(props.serviceName);
      this.add(
        'ConfigurationErrors',
        'The API key secret could not be read, DigiCert rejected the key, or a variable is invalid.',
        {
          metric: new cloudwatch.MathExpression({
            expression: configuration.map((_, i) => `FILL(m${i}, 0)`).join(' + '),
            usingMetrics: Object.fromEntries(configuration.map((name, i) => [`m${i}`, emf(name)])),
            label: 'Configuration errors',
            period,
          }),
          threshold: 1,
        },
      );
    }
    if (props.dnsDcvStateMachine) {
      this.add(
        'DnsDcvExecutionsTimedOut',
        'A DNS-DCV workflow reached its 25-hour limit and ran no cleanup: its records may still be in Route 53 (docs/runbook.md#dns-dcv-failed).',
        {
          metric: props.dnsDcvStateMachine.metricTimedOut({
            period: Duration.hours(1),
            statistic: cloudwatch.Stats.SUM,
          }),
          threshold: 1,
        },
      );
    }
    this.add(
      'Api5xxRate',
      'The API answered 5xx (DigiCert or the secret unavailable, or a fault) too often.',
      {
        metric: new cloudwatch.MathExpression({
          expression: 'IF(requests > 0, 100 * FILL(errors, 0) / requests, 0)',
          usingMetrics: {
            errors: props.httpApi.metricServerError({ period, statistic: cloudwatch.Stats.SUM }),
            requests: props.httpApi.metricCount({ period, statistic: cloudwatch.Stats.SUM }),
          },
          label: 'API 5xx rate (%)',
          period,
        }),
        threshold: props.api5xxPercent ?? 5,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      },
    );
  }

  /**
   * The oldest pending order has waited longer than `hours`. A sweep reports `OldestPendingHours`
   * once per run (every 6 hours by default), so a 5-minute alarm would go to ALARM at a sweep and
   * back to OK five minutes later, twice a notification per sweep. Hourly periods, alarming when
   * any of the last 24 breached, keep it on from the first sweep that sees the order until a day
   * passes without one: one notification when it starts, one when it is over.
   */
  private addOldestPending(serviceName: string, hours: number): void {
    const period = Duration.hours(1);
    this.add(
      'OldestPendingDcv',
      `An order has waited for DCV over ${hours} hours (DigiCert stops re-checking at 10 days). Find them with "dcv-resend sweep --dry-run", read one with "dcv-resend status --order N", then move it to DNS DCV or check its approver mailbox (docs/runbook.md#orders-pending-for-dcv).`,
      {
        metric: new cloudwatch.Metric({
          namespace: METRICS.namespace,
          metricName: SWEEP_METRICS.oldestPendingHours,
          dimensionsMap: { [METRICS.serviceDimension]: serviceName },
          period,
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
        threshold: hours,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: Duration.days(1).toHours() / period.toHours(),
        datapointsToAlarm: 1,
      },
    );
  }

  /**
   * A DNS-DCV workflow ended without validation (`DnsDcvFailed`, written once per workflow by its
   * cleanup). Hourly: a workflow lasts up to a day, so a failure is news for an hour, not five
   * minutes; any failure notifies.
   */
  private addDnsDcvFailed(serviceName: string): void {
    this.add(
      'DnsDcvFailed',
      'A DNS-DCV workflow ended without validation (why: the Reason dimension of DnsDcvFailed, on the dashboard); the records it added were removed. See docs/runbook.md#dns-dcv-failed.',
      {
        metric: new cloudwatch.Metric({
          namespace: METRICS.namespace,
          metricName: DNS_DCV_METRICS.failed,
          dimensionsMap: { [METRICS.serviceDimension]: serviceName },
          period: Duration.hours(1),
          statistic: cloudwatch.Stats.SUM,
        }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      },
    );
  }

  private add(
    id: string,
    description: string,
    options: {
      metric: cloudwatch.IMetric;
      threshold: number;
      comparisonOperator?: cloudwatch.ComparisonOperator;
      /** @default 1 */
      evaluationPeriods?: number;
      /** @default - all of `evaluationPeriods` */
      datapointsToAlarm?: number;
    },
  ): void {
    const alarm = new cloudwatch.Alarm(this, id, {
      alarmDescription: `dcv-resend: ${description}`,
      metric: options.metric,
      threshold: options.threshold,
      evaluationPeriods: options.evaluationPeriods ?? 1,
      ...(options.datapointsToAlarm === undefined ? {} : { datapointsToAlarm: options.datapointsToAlarm }),
      comparisonOperator:
        options.comparisonOperator ?? cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(new SnsAction(this.topic));
    alarm.addOkAction(new SnsAction(this.topic));
    this.alarms.push(alarm);
  }
}
