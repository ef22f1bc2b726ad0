/**
 * One container of the multi-container run (test/support/multi-container.ts): a separate process
 * with its own runtime, built from the environment exactly as in Lambda and pointed at the shared
 * dynalite table, the simulator and the Secrets Manager stand-in. The only thing injected is the
 * limiter, built as the runtime builds it but with the scaled-down windows of `BUDGET_WORKER_WINDOWS`.
 *
 * Protocol: writes `ready` on stdout once warm (key read, table connection open), waits for `go` on
 * stdin, sends its batch (`BUDGET_WORKER_ORDERS`, a JSON array of order ids) through the handler,
 * and writes one JSON line with the outcome.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { lambdaContext } from '../../dev/lambda-events.js';
import { loadConfig } from '../../functions/app/config.js';
import { createRuntime } from '../../functions/app/runtime.js';
import { createStateTableClient } from '../../functions/aws/state-table.js';
import { createLogger } from '../../functions/observability/logger.js';
import { createRateLimiter } from '../../functions/rate-limit/container-limiter.js';
import { createHandler } from '../../functions/resend-dcv-emails/handler.js';

export interface WorkerOutcome {
  readonly sent: number;
  readonly failed: number;
  readonly errors: readonly string[];
  /** Why the limiter could not use the table, each time it could not. */
  readonly tableFailures: readonly string[];
  /** Epoch ms when this worker received `go`, and when its batch was answered. */
  readonly startedAt: number;
  readonly doneAt: number;
}

function readJson<T>(name: string): T {
  const raw = process.env[name];
  if (raw === undefined) throw new Error(`${name} is required`);
  return JSON.parse(raw) as T;
}

async function main(): Promise<void> {
  const windows = readJson<{ limit: number; windowMs: number }[]>('BUDGET_WORKER_WINDOWS');
  const orders = readJson<number[]>('BUDGET_WORKER_ORDERS');
  const skewMarginMs = Number(process.env.BUDGET_WORKER_SKEW_MARGIN_MS ?? '50');
  // The runtime gets no STATE_TABLE_NAME, so that this run measures the budget alone (no delivery
  // records); the limiter gets the table as the runtime would give it.
  const tableName = process.env.BUDGET_WORKER_TABLE ?? '';
  const config = { ...loadConfig(process.env), stateTableName: tableName };
  const stateTable = createStateTableClient({ requestTimeoutMs: 15_000 });
  const tableFailures: string[] = [];
  const logger = createLogger({ level: 'warn', write: (line) => process.stderr.write(`${line}\n`) });
  const trace = process.env.BUDGET_WORKER_TRACE === '1';
  const traced: typeof stateTable = trace
    ? (Object.assign(Object.create(stateTable), {
        send: async (command: { constructor: { name: string } }, options: unknown) => {
          const started = Date.now();
          try {
            return await (stateTable.send as (c: unknown, o: unknown) => Promise<unknown>)(command, options);
          } finally {
            const took = Date.now() - started;
            if (took > 1_000)
              process.stderr.write(`slow ${command.constructor.name} ${took} ms at ${started}\n`);
          }
        },
      }) as typeof stateTable)
    : stateTable;
  const limiter = createRateLimiter({
    config: { ...config, rateLimits: windows },
    stateTable: traced,
    logger,
    shared: {
      clockSkewMarginMs: skewMarginMs,
      // dynalite on a shared test machine answers in tens of milliseconds, DynamoDB in a few.
      callTimeoutMs: 15_000,
      onTableUnavailable: (error) =>
        tableFailures.push(error instanceof Error ? `${error.name}: ${error.message}` : String(error)),
    },
  });
  const runtime = createRuntime(process.env, { limiter, logger });
  const handler = createHandler(() => runtime);

  await runtime.apiKeys.getApiKey();
  await stateTable.send(new GetItemCommand({ TableName: tableName, Key: { id: { S: 'warm-up' } } }));
  process.stdout.write('ready\n');
  await new Promise<void>((resolve) => {
    process.stdin.on('data', (chunk: Buffer) => {
      if (chunk.toString('utf8').includes('go')) resolve();
    });
  });

  const startedAt = Date.now();
  let outcome: WorkerOutcome;
  try {
    const result = (await handler(
      { orders: orders.map((order_id) => ({ order_id })) },
      lambdaContext(`budget-worker-${process.pid}`, () => 120_000),
    )) as { sent?: number; failed?: number };
    outcome = {
      sent: result.sent ?? 0,
      failed: result.failed ?? 0,
      errors: [],
      tableFailures,
      startedAt,
      doneAt: Date.now(),
    };
  } catch (error) {
    const detail = error instanceof Error ? `${error.name}: ${error.message.slice(0, 600)}` : String(error);
    outcome = {
      sent: 0,
      failed: orders.length,
      errors: [detail],
      tableFailures,
      startedAt,
      doneAt: Date.now(),
    };
  }
  if ('flush' in limiter && typeof limiter.flush === 'function') await limiter.flush();
  process.stdout.write(`${JSON.stringify(outcome)}\n`);
  stateTable.destroy();
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stderr.write(`budget worker failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
