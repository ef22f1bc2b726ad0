/**
 * EventBridge Scheduler schedules that invoke the function with a fixed direct-invoke payload
 * (docs/contract.md §3), or write it to the bulk queue as one message (`"target": "queue"`,
 * docs/contract.md §8), and the pending-DCV sweep's schedule, which invokes the function with
 * `{"action": "sweep"}` (docs/contract.md §11). Scheduler invokes Lambda asynchronously, so there
 * are two safety nets: Scheduler's retry policy and dead-letter queue catch events it could not
 * hand to Lambda at all; the function's own event-invoke config (retries, failure queue) catches
 * runs that failed.
 */
import { Aws, type CfnElement, Duration, RemovalPolicy, Stack, TimeZone, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke, SqsSendMessage } from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DEPLOYMENT_DEFAULTS, type DirectAction } from '../../functions/app/contract.js';
import type { ScheduleConfig } from '../stack-config.js';
import { DeadLetterQueue } from './dead-letter-queue.js';

export interface ResendSchedulesProps {
  /** The function each schedule invokes. */
  readonly handler: lambda.IFunction;
  /**
   * The bulk queue, for schedules whose `target` is `queue` (their payload becomes one message).
   * @default - none; a schedule that targets the queue is then an error
   */
  readonly ordersQueue?: sqs.IQueue;
  /**
   * The user's schedules, already validated by `resolveStackConfig`.
   * @default - none
   */
  readonly schedules?: readonly ScheduleConfig[];
  /**
   * The pending-DCV sweep's schedule expression (`rate(...)`, `cron(...)` or `at(...)`, evaluated
   * in UTC), already validated.
   * @default - no sweep schedule
   */
  readonly sweepSchedule?: string;
  /**
   * What happens to the dead-letter queue when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** What the sweep schedule sends: a sweep, started as a person would start one by hand. */
export const SWEEP_PAYLOAD = { action: 'sweep' } as const satisfies { readonly action: DirectAction };

/**
 * One `AWS::Scheduler::Schedule` per configured schedule, plus the sweep's, sharing one role and
 * one dead-letter queue.
 */
export class ResendSchedules extends Construct {
  /** Events Scheduler could not deliver after its retry policy. */
  readonly deadLetterQueue: DeadLetterQueue;
  /** The role Scheduler assumes: invoke the function, send to the dead-letter queue. */
  readonly role: iam.Role;
  readonly schedules: readonly scheduler.Schedule[];
  /** The pending-DCV sweep's schedule, when there is one. */
  readonly sweep: scheduler.Schedule | undefined;

  constructor(scope: Construct, id: string, props: ResendSchedulesProps) {
    super(scope, id);
    this.deadLetterQueue = new DeadLetterQueue(this, 'DeadLetterQueue', {
      purpose: 'scheduled events EventBridge Scheduler could not deliver to the function',
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.role = new iam.Role(this, 'InvokeRole', {
      description: 'dcv-resend schedules: invoke the function, record undeliverable events',
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    });
    const fnLogicalId = Stack.of(this).getLogicalId(props.handler.node.defaultChild as CfnElement);
    Validations.of(this.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${fnLogicalId}.Arn>:*]`,
      reason:
        'CDK grants lambda:InvokeFunction on the function ARN and its qualified form (<arn>:*); the stack publishes no versions or aliases, so the wildcard reaches no function but this one.',
    });
    this.schedules = (props.schedules ?? []).map((config) => {
      const targetProps = {
        role: this.role,
        input: scheduler.ScheduleTargetInput.fromObject(config.payload),
        retryAttempts: config.retryAttempts,
        maxEventAge: Duration.seconds(config.maxEventAgeSeconds),
        deadLetterQueue: this.deadLetterQueue.queue,
      };
      return new scheduler.Schedule(this, `Schedule-${config.name}`, {
        description: config.description ?? `dcv-resend schedule "${config.name}"`,
        schedule: scheduler.ScheduleExpression.expression(config.expression, TimeZone.of(config.timeZone)),
        enabled: config.enabled,
        target:
          config.target === 'queue'
            ? new SqsSendMessage(this.requireQueue(props, config.name), targetProps)
            : new LambdaInvoke(props.handler, targetProps),
      });
    });
    // Invoked directly rather than through the queue: the function answers at once and queues the
    // sweep's pages itself (docs/contract.md §11), with Scheduler's and Lambda's safety nets as above.
    this.sweep =
      props.sweepSchedule === undefined
        ? undefined
        : new scheduler.Schedule(this, 'PendingDcvSweep', {
            description:
              'dcv-resend pending-DCV sweep: lists pending orders, reports them and acts per DCV_SWEEP_POLICY (docs/contract.md section 11)',
            schedule: scheduler.ScheduleExpression.expression(
              props.sweepSchedule,
              TimeZone.of(DEPLOYMENT_DEFAULTS.scheduleTimeZone),
            ),
            target: new LambdaInvoke(props.handler, {
              role: this.role,
              input: scheduler.ScheduleTargetInput.fromObject(SWEEP_PAYLOAD),
              retryAttempts: DEPLOYMENT_DEFAULTS.scheduleRetryAttempts,
              maxEventAge: Duration.seconds(DEPLOYMENT_DEFAULTS.scheduleMaxEventAgeSeconds),
              deadLetterQueue: this.deadLetterQueue.queue,
            }),
          });
  }

  private requireQueue(props: ResendSchedulesProps, name: string): sqs.IQueue {
    if (props.ordersQueue === undefined) {
      throw new Error(`Schedule "${name}" targets the queue, but ResendSchedules was given no ordersQueue`);
    }
    return props.ordersQueue;
  }
}
