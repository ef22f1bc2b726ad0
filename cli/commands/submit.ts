/** `dcv-resend submit`: any number of orders, written to the bulk queue and drained at the key's pace. */
import { SQSClient } from '@aws-sdk/client-sqs';
import { ENV, REQUEST_LIMITS } from '../../functions/app/contract.js';
import { awsSetupProblem, describeAwsSetupProblem } from '../../functions/aws/setup-errors.js';
import { ConfigurationError, ValidationError } from '../../functions/lib/errors.js';
import { parseOptions } from '../args.js';
import { ordersDigest } from '../delivery-id.js';
import { EXIT, type ExitCode, UsageError } from '../exit-codes.js';
import type { Io } from '../io.js';
import { locateIssues, parseOrdersFile, readOrdersText } from '../orders-file.js';
import { output } from '../output.js';
import { drainSeconds, SubmitError, submitOrders, validateOrders } from '../queue-submit.js';

const STACK_OUTPUT = `"$(aws cloudformation describe-stacks --stack-name DcvResend --query "Stacks[0].Outputs[?OutputKey=='OrdersQueueUrl'].OutputValue" --output text)"`;

export const SUBMIT_HELP = `Usage: dcv-resend submit --file FILE [--queue-url URL] [options]

Queue any number of orders for the deployed function, which drains them at the pace the DigiCert
key allows. FILE is in the formats "batch" reads ({"orders": [...]}, a JSON array, or NDJSON; - for
standard input). Every order is checked before anything is sent; errors name file:line. Orders go
out in messages of up to ${REQUEST_LIMITS.maxQueueMessageOrders}. The answer is not printed here: sent orders are in the
function's logs and metrics, refused and invalid ones in the failure queue (FailureQueueUrl).
Each message carries an idempotency_key derived from the file's orders: submitting the same file
again (or an SDK retry of a message SQS had stored) sends no order twice, within
IDEMPOTENCY_TTL_SECONDS (a day by default) and with the stack's state table.

Queue:
  --queue-url URL         the bulk queue; else ORDERS_QUEUE_URL; else take it from the stack:
                          --queue-url ${STACK_OUTPUT}
                          A http://127.0.0.1 URL (from "npm run start:queue") is used without AWS
                          credentials.
  --file FILE             the orders (required)
  --dry-run               validate only; nothing is queued

Output:
  --json                  one JSON document on stdout instead of human-readable lines
  -h, --help              this help

Examples:
  dcv-resend submit --file docs/examples/orders.ndjson --queue-url ${STACK_OUTPUT}
  ORDERS_QUEUE_URL=https://sqs.eu-west-1.amazonaws.com/123456789012/DcvResend-OrdersQueue dcv-resend submit --file orders.json`;

const OPTIONS = {
  file: { type: 'string' },
  'queue-url': { type: 'string' },
  'dry-run': { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Runs `submit` with its arguments; resolves to the exit code. */
export async function submitCommand(args: readonly string[], io: Io): Promise<ExitCode> {
  const values = parseOptions(args, OPTIONS, { command: 'submit' });
  if (values.help) {
    io.stdout(`${SUBMIT_HELP}\n`);
    return EXIT.ok;
  }
  if (values.file === undefined) {
    throw new UsageError('--file is required (JSON or NDJSON orders, or - for stdin)');
  }
  const name = values.file === '-' ? 'stdin' : values.file;
  const file = parseOrdersFile(await readOrdersText(values.file, io), name);
  let orders: ReturnType<typeof validateOrders>;
  try {
    if (!Array.isArray(file.orders)) {
      throw ValidationError.single(
        'orders',
        'must be a list of orders: {"orders": [...]}, a JSON array, or NDJSON',
      );
    }
    orders = validateOrders(file.orders);
  } catch (error) {
    throw error instanceof ValidationError ? locateIssues(error, file) : error;
  }
  const messages = Math.ceil(orders.length / REQUEST_LIMITS.maxQueueMessageOrders);
  const drain = formatDuration(drainSeconds(orders.length));
  if (values['dry-run']) {
    return output(
      io,
      values.json,
      { valid: orders.length, messages, status: 'valid' },
      `✓ ${plural(orders.length, 'order')} valid, ${plural(messages, 'message')} (dry run, nothing queued)`,
      EXIT.ok,
    );
  }
  const queueUrl = queueUrlOf(values['queue-url'], io);
  const client = sqsClientFor(queueUrl);
  try {
    const result = await submitOrders(client, queueUrl, orders, {
      fileDigest: ordersDigest(orders),
      onProgress: (queued, total) => {
        if (io.interactive)
          io.stderr(`\r[${queued}/${total}] messages queued${queued === total ? '\n' : ''}`);
      },
    });
    const summary = { ...result, queueUrl, drainSeconds: Math.ceil(drainSeconds(orders.length)) };
    return output(
      io,
      values.json,
      summary,
      `✓ ${plural(result.orders, 'order')} queued in ${plural(result.messages, 'message')}; the key's budget needs about ${drain} to drain them.\n  Sent orders: the function's logs and metrics. Refused or invalid: the failure queue.`,
      EXIT.ok,
    );
  } catch (error) {
    if (error instanceof SubmitError) throw error;
    throw explainAwsSetup(error);
  } finally {
    client.destroy();
  }
}

/** The flag, else `ORDERS_QUEUE_URL`; checked to be a URL. */
function queueUrlOf(flag: string | undefined, io: Io): string {
  const raw = flag ?? io.env[ENV.ORDERS_QUEUE_URL];
  if (raw === undefined || raw.trim() === '') {
    throw new UsageError(
      `the queue is unknown: pass --queue-url URL or set ORDERS_QUEUE_URL (the stack's OrdersQueueUrl output: --queue-url ${STACK_OUTPUT})`,
    );
  }
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new UsageError(
      `--queue-url must be an SQS queue URL (https://sqs.<region>.amazonaws.com/<account>/<name>), got "${raw}"`,
    );
  }
  if (url.protocol !== 'https:' && !isLoopbackHttp(url)) {
    throw new UsageError(
      '--queue-url must be an https:// SQS queue URL (or http:// on 127.0.0.1 for the local queue)',
    );
  }
  return url.href;
}

function isLoopbackHttp(url: URL): boolean {
  return url.protocol === 'http:' && (url.hostname === '127.0.0.1' || url.hostname === 'localhost');
}

/**
 * The client: the caller's credentials and region; for the local queue (`npm run start:queue`), its
 * own address and dummy credentials, so no AWS account is involved. The region of a real queue is
 * in its URL (sqs.<region>.amazonaws.com).
 */
function sqsClientFor(queueUrl: string): SQSClient {
  const url = new URL(queueUrl);
  if (isLoopbackHttp(url)) {
    return new SQSClient({
      endpoint: url.origin,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 3,
    });
  }
  const region = /^sqs\.([a-z0-9-]+)\.amazonaws\.com/.exec(url.hostname)?.[1];
  return new SQSClient({ maxAttempts: 5, ...(region ? { region } : {}) });
}

function explainAwsSetup(error: unknown): unknown {
  const problem = awsSetupProblem(error);
  if (!problem) return error;
  return new ConfigurationError(
    'invalid_configuration',
    `cannot write the queue: ${describeAwsSetupProblem(problem, 'SQS', 'AWS_ENDPOINT_URL_SQS')}`,
    { cause: error },
  );
}

/** "about 33 min", "about 20 s", "about 2 h 5 min". */
export function formatDuration(seconds: number): string {
  const s = Math.ceil(seconds);
  if (s < 60) return `${s} s`;
  const minutes = Math.ceil(s / 60);
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
