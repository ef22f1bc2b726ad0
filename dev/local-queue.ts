/**
 * The bulk queue on this machine (`npm run start:queue`, docs/contract.md §8): an SQS-compatible
 * server from npm (`local-aws-sqs`) on 127.0.0.1 with the orders queue, its dead-letter queue
 * (SQS's own redrive policy, which local-aws-sqs applies when a message's visibility times out
 * after its last receive) and the failure queue; the DigiCert simulator and Secrets Manager
 * stand-in; and pollers that feed the real handler SQS events the way Lambda's event source
 * mapping does: batches of received messages, a visibility timeout, partial batch responses (only
 * the messages not listed are deleted), redelivery after the timeout.
 *
 * Tests, the bench and `submit --local` use the same pieces.
 */
import type { AddressInfo } from 'node:net';
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type ReceiveMessageCommandOutput,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { createSqsServer } from 'local-aws-sqs';
import { DEPLOYMENT_DEFAULTS } from '../functions/app/contract.js';
import { isRecord } from '../functions/lib/is-record.js';
import type { Handler } from '../functions/resend-dcv-emails/handler.js';
import { fakeContext } from './lambda-events.js';
import { quietSdkNodeWarning } from './sdk-endpoint.js';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';

export interface LocalQueues {
  /** The SQS endpoint (`AWS_ENDPOINT_URL_SQS`). */
  readonly endpoint: string;
  readonly ordersQueueUrl: string;
  readonly deadLetterQueueUrl: string;
  readonly failureQueueUrl: string;
  /** A client for the local server (dummy credentials). */
  readonly client: SQSClient;
  close(): Promise<void>;
}

export interface LocalQueueOptions {
  /** Receives before a message moves to the dead-letter queue. @default 5, as deployed */
  readonly maxReceiveCount?: number;
  /** The orders queue's visibility timeout, seconds. @default 30 (the stack's is 6x the function timeout) */
  readonly visibilityTimeoutSeconds?: number;
  /** @default 0 (any free port) */
  readonly port?: number;
}

/** Dummy credentials and a region for the SDK against the local server. */
export function localSqsClient(endpoint: string): SQSClient {
  return new SQSClient({
    endpoint,
    region: REGION,
    credentials: { accessKeyId: 'AKIDLOCALSTANDIN', secretAccessKey: 'local-stand-in-secret' },
    maxAttempts: 3,
  });
}

/** Starts local-aws-sqs on 127.0.0.1 with the orders queue, its dead-letter queue and the failure queue. */
export async function startLocalQueues(options: LocalQueueOptions = {}): Promise<LocalQueues> {
  const server = await createSqsServer({
    port: options.port ?? 0,
    hostname: '127.0.0.1',
    region: REGION,
    accountId: ACCOUNT,
    emulateQueueCreationLifecycle: false,
    queues: [
      { QueueName: 'dcv-resend-orders-dlq' },
      { QueueName: 'dcv-resend-failures' },
      {
        QueueName: 'dcv-resend-orders',
        Attributes: {
          VisibilityTimeout: options.visibilityTimeoutSeconds ?? 30,
          RedrivePolicy: JSON.stringify({
            deadLetterTargetArn: `arn:aws:sqs:${REGION}:${ACCOUNT}:dcv-resend-orders-dlq`,
            maxReceiveCount: options.maxReceiveCount ?? DEPLOYMENT_DEFAULTS.queueMaxReceiveCount,
          }),
        },
      },
    ],
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const url = (name: string) => `${endpoint}/${ACCOUNT}/${name}`;
  const client = localSqsClient(endpoint);
  return {
    endpoint,
    ordersQueueUrl: url('dcv-resend-orders'),
    deadLetterQueueUrl: url('dcv-resend-orders-dlq'),
    failureQueueUrl: url('dcv-resend-failures'),
    client,
    close: async () => {
      client.destroy();
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** How many messages a queue holds, visible and in flight (SQS's approximate counts). */
export async function queueDepth(
  client: SQSClient,
  queueUrl: string,
): Promise<{ visible: number; inFlight: number }> {
  const { Attributes = {} } = await client.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    visible: Number(Attributes.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
  };
}

export interface PollerOptions {
  readonly client: SQSClient;
  readonly queueUrl: string;
  /** The function: the real handler, or one around a test's runtime. */
  readonly handler: Handler;
  /** Messages per event. @default 5, as deployed */
  readonly batchSize?: number;
  /** Time each invocation gets (its context's remaining time), ms. @default 60 s */
  readonly functionTimeoutMs?: number;
  /** Long-poll wait of one receive, seconds. @default 1 */
  readonly waitSeconds?: number;
  /** Called with each invocation's answer (tests count them). */
  readonly onInvocation?: (event: SQSEvent, answer: unknown) => void;
}

/**
 * One consumer as Lambda's event source mapping runs it: receive a batch, invoke the function with
 * an SQS event, delete the messages its answer does not list (all of them kept when it throws).
 * Kept messages come back after the queue's visibility timeout, and move to the dead-letter queue
 * after their last receive (the queue's redrive policy).
 */
export class EventSourcePoller {
  readonly #options: PollerOptions;
  #stopped = false;
  #loop: Promise<void> | undefined;
  /** Invocations made. */
  invocations = 0;

  constructor(options: PollerOptions) {
    this.#options = options;
  }

  start(): this {
    this.#loop ??= this.#run();
    return this;
  }

  /** Stops after the current invocation. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#loop;
  }

  async #run(): Promise<void> {
    const { client, queueUrl } = this.#options;
    while (!this.#stopped) {
      let received: ReceiveMessageCommandOutput;
      try {
        received = await client.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: this.#options.batchSize ?? DEPLOYMENT_DEFAULTS.queueBatchSize,
            WaitTimeSeconds: this.#options.waitSeconds ?? 1,
            MessageSystemAttributeNames: ['All'],
          }),
        );
      } catch (error) {
        if (this.#stopped) return;
        throw error;
      }
      const records = (received.Messages ?? []).flatMap((message) => toRecord(message, queueUrl));
      if (records.length === 0) continue;
      await this.#invoke(records);
    }
  }

  async #invoke(records: SQSRecord[]): Promise<void> {
    const event: SQSEvent = { Records: records };
    this.invocations += 1;
    let answer: unknown;
    let failed: Set<string>;
    try {
      answer = await this.#options.handler(event, this.#context());
      failed = new Set(itemFailures(answer));
    } catch (error) {
      // A thrown error returns the whole batch, as on Lambda.
      answer = error;
      failed = new Set(records.map((record) => record.messageId));
    }
    this.#options.onInvocation?.(event, answer);
    const done = records.filter((record) => !failed.has(record.messageId));
    for (let start = 0; start < done.length; start += 10) {
      await this.#options.client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.#options.queueUrl,
          Entries: done.slice(start, start + 10).map((record, index) => ({
            Id: String(index),
            ReceiptHandle: record.receiptHandle,
          })),
        }),
      );
    }
  }

  #context(): Context {
    return fakeContext(this.#options.functionTimeoutMs ?? 60_000);
  }
}

/** The message ids of a partial batch response; anything else lists none. */
function itemFailures(answer: unknown): string[] {
  if (!isRecord(answer) || !Array.isArray(answer.batchItemFailures)) return [];
  return answer.batchItemFailures.flatMap((item) =>
    isRecord(item) && typeof item.itemIdentifier === 'string' ? [item.itemIdentifier] : [],
  );
}

/** An SQS record as Lambda builds it from a received message. */
function toRecord(message: unknown, queueUrl: string): SQSRecord[] {
  if (
    !isRecord(message) ||
    typeof message.MessageId !== 'string' ||
    typeof message.ReceiptHandle !== 'string'
  ) {
    return [];
  }
  const attributes = isRecord(message.Attributes) ? message.Attributes : {};
  const text = (name: string) => (typeof attributes[name] === 'string' ? (attributes[name] as string) : '');
  const name = queueUrl.split('/').pop() ?? '';
  return [
    {
      messageId: message.MessageId,
      receiptHandle: message.ReceiptHandle,
      body: typeof message.Body === 'string' ? message.Body : '',
      attributes: {
        ApproximateReceiveCount: text('ApproximateReceiveCount') || '1',
        SentTimestamp: text('SentTimestamp'),
        SenderId: text('SenderId'),
        ApproximateFirstReceiveTimestamp: text('ApproximateFirstReceiveTimestamp'),
      },
      messageAttributes: {},
      md5OfBody: typeof message.MD5OfBody === 'string' ? message.MD5OfBody : '',
      eventSource: 'aws:sqs',
      eventSourceARN: `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`,
      awsRegion: REGION,
    },
  ];
}

/** Consumers the deployed event source mapping runs at most (its maximum concurrency). */
const LOCAL_CONSUMERS = DEPLOYMENT_DEFAULTS.queueMaxConcurrency;
/** Local invocations get 10 s; the queue keeps received messages invisible six times as long, as deployed. */
const LOCAL_FUNCTION_TIMEOUT_S = 10;

/**
 * `npm run start:queue`: the local queues, the simulator (or the real DigiCert, as `npm start`
 * decides from the environment), the state table (as `npm start`'s) and two consumers. With
 * `--consume`, only consumers of the queue at `ORDERS_QUEUE_URL` (on the server at
 * `AWS_ENDPOINT_URL_SQS`): a test's child process.
 */
async function runMain(): Promise<void> {
  quietSdkNodeWarning();
  const consumeOnly = process.argv.includes('--consume');
  const { startLocalFunction } = await import('./local-function.js');
  const { pointSqsAt } = await import('./sdk-endpoint.js');
  const { startOrExit } = await import('./start-failure.js');
  let queues: LocalQueues | undefined;
  let endpoint = process.env.AWS_ENDPOINT_URL_SQS ?? '';
  let ordersQueueUrl = process.env.ORDERS_QUEUE_URL ?? '';
  let failureQueueUrl = process.env.FAILURE_QUEUE_URL ?? '';
  if (!consumeOnly) {
    queues = await startLocalQueues({
      port: Number(process.env.QUEUE_PORT ?? 0),
      visibilityTimeoutSeconds: LOCAL_FUNCTION_TIMEOUT_S * DEPLOYMENT_DEFAULTS.queueVisibilityTimeoutFactor,
    });
    ({ endpoint, ordersQueueUrl, failureQueueUrl } = queues);
  }
  pointSqsAt(endpoint);
  const backend = await startOrExit('npm run start:queue', () =>
    startLocalFunction({ ...process.env, FAILURE_QUEUE_URL: failureQueueUrl }),
  );
  const client = queues?.client ?? localSqsClient(endpoint);
  const handler = backend.handler;
  backend.warm();
  const consumers = Array.from({ length: LOCAL_CONSUMERS }, () =>
    new EventSourcePoller({
      client,
      queueUrl: ordersQueueUrl,
      handler,
      functionTimeoutMs: LOCAL_FUNCTION_TIMEOUT_S * 1000,
    }).start(),
  );
  if (queues) {
    console.log(`dcv-resend bulk queue on ${queues.endpoint} (local-aws-sqs), drained by ${LOCAL_CONSUMERS} consumers
Talking to ${backend.description}.
State table: ${backend.stateDescription}.
  orders queue:   ${queues.ordersQueueUrl}
  dead-letter:    ${queues.deadLetterQueueUrl} (after ${DEPLOYMENT_DEFAULTS.queueMaxReceiveCount} receives)
  failure queue:  ${queues.failureQueueUrl}
Try:
  npx dcv-resend submit --file docs/examples/orders.ndjson --queue-url ${queues.ordersQueueUrl}
Press Ctrl+C to stop.`);
  }
  const stop = () => {
    void Promise.all(consumers.map((consumer) => consumer.stop()))
      .then(() => Promise.all([backend.close(), queues?.close()]))
      .then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

const isMain = import.meta.url === `file://${process.argv[1]}`;
if (isMain) await runMain();
