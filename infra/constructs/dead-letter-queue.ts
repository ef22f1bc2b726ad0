/**
 * An SQS queue that holds what could not be processed: encrypted at rest, TLS-only, kept for the
 * longest time SQS allows, so an operator has two weeks to look and redrive.
 */
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DEPLOYMENT_DEFAULTS } from '../../functions/app/contract.js';

export interface DeadLetterQueueProps {
  /**
   * What ends up in this queue, for the acknowledgement of cdk-nag's SQS3 and the queue's tag.
   */
  readonly purpose: string;
  /**
   * What happens to the queue (and any messages in it) when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * How long a message stays in the queue.
   * @default Duration.days(14), the SQS maximum
   */
  readonly retentionPeriod?: Duration;
}

/** A dead-letter queue with SSE-SQS encryption, an SSL-only policy and 14-day retention. */
export class DeadLetterQueue extends Construct {
  readonly queue: sqs.Queue;

  constructor(scope: Construct, id: string, props: DeadLetterQueueProps) {
    super(scope, id);
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: props.retentionPeriod ?? Duration.days(DEPLOYMENT_DEFAULTS.deadLetterRetentionDays),
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    Validations.of(this.queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: `This queue is itself a dead-letter queue (${props.purpose}); cdk-nag only recognises SQS redrive policies, not Lambda destinations or Scheduler dead-letter configs.`,
    });
  }
}

/**
 * An on-failure destination that grants only `sqs:SendMessage`, the one action Lambda uses to
 * deliver a failed asynchronous invocation record. (`SqsDestination` also grants
 * `GetQueueAttributes` and `GetQueueUrl`, which nothing here calls.)
 */
export class SendOnlyQueueDestination implements lambda.IDestination {
  constructor(private readonly queue: sqs.IQueue) {}

  bind(_scope: Construct, fn: lambda.IFunction): lambda.DestinationConfig {
    fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.queue.queueArn] }),
    );
    return { destination: this.queue.queueArn };
  }
}
