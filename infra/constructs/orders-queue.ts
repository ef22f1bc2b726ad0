/**
 * The bulk queue (docs/contract.md §8): any number of orders, in messages of at most 100, drained
 * by the function through an event source mapping at the pace the DigiCert key allows. Encrypted at
 * rest, TLS-only, with a dead-letter queue for messages that kept failing for a transient reason.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DEPLOYMENT_DEFAULTS } from '../../functions/app/contract.js';

export interface OrdersQueueProps {
  /**
   * The function that drains the queue. Its timeout sets the queue's visibility timeout (AWS asks
   * for at least six times the function timeout, so that a throttled batch can be retried).
   */
  readonly handler: lambda.Function;
  /**
   * Consumers at most (the event source mapping's maximum concurrency; Lambda's minimum is 2).
   * @default 2
   */
  readonly maxConcurrency?: number;
  /**
   * Messages per invocation.
   * @default 5 (500 orders, the batch size the function timeout is sized for)
   */
  readonly batchSize?: number;
  /**
   * Receives of a message before it moves to the dead-letter queue.
   * @default 5
   */
  readonly maxReceiveCount?: number;
  /**
   * What happens to both queues (and their messages) when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** The orders queue, its dead-letter queue and the event source mapping that drains it. */
export class OrdersQueue extends Construct {
  /** Where `submit` and queue-targeted schedules write orders. */
  readonly queue: sqs.Queue;
  /** Messages that failed for a transient reason on every receive. */
  readonly deadLetterQueue: sqs.Queue;
  readonly eventSource: SqsEventSource;

  constructor(scope: Construct, id: string, props: OrdersQueueProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const retentionPeriod = Duration.days(DEPLOYMENT_DEFAULTS.queueRetentionDays);
    const functionTimeout = props.handler.timeout ?? Duration.seconds(3);
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod,
      removalPolicy,
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod,
      visibilityTimeout: Duration.seconds(
        functionTimeout.toSeconds() * DEPLOYMENT_DEFAULTS.queueVisibilityTimeoutFactor,
      ),
      deadLetterQueue: {
        queue: this.deadLetterQueue,
        maxReceiveCount: props.maxReceiveCount ?? DEPLOYMENT_DEFAULTS.queueMaxReceiveCount,
      },
      removalPolicy,
    });
    this.eventSource = new SqsEventSource(this.queue, {
      batchSize: props.batchSize ?? DEPLOYMENT_DEFAULTS.queueBatchSize,
      maxBatchingWindow: Duration.seconds(DEPLOYMENT_DEFAULTS.queueMaxBatchingWindowSeconds),
      maxConcurrency: props.maxConcurrency ?? DEPLOYMENT_DEFAULTS.queueMaxConcurrency,
      // Only the messages the function lists come back; the rest are deleted (docs/contract.md §8).
      reportBatchItemFailures: true,
    });
    props.handler.addEventSource(this.eventSource);
  }
}
