/**
 * Where the orders are sent: in this process (`--local`: the real DigiCert with a key or a secret,
 * or the embedded simulator), or to the deployed function (`--function-name`, with the caller's
 * AWS credentials and region). Either way every order's outcome comes back as an `OrderResult`,
 * and every server or client this opened is closed before it returns or throws.
 */
import { startBackend } from '../dev/local-backend.js';
import { awsSetupProblem, describeAwsSetupProblem } from '../functions/aws/setup-errors.js';
import { createResendClient } from '../functions/client/invoke-client.js';
import {
  BatchError,
  ConfigurationError,
  DigiCertRequestError,
  UpstreamError,
} from '../functions/lib/errors.js';
import { createLogger, type Logger, parseLogLevel, redact } from '../functions/observability/logger.js';
import { BATCH_CONCURRENCY, describeFailure, runBatch } from '../functions/resend/batch.js';
import type { BatchResult, OrderResult } from '../functions/resend/batch-result.js';
import { idempotentResend } from '../functions/resend/idempotency.js';
import type { ResendRequest } from '../functions/resend/request-schema.js';
import type { ResendUseCase } from '../functions/resend/use-case.js';
import { type BatchRun, NotAttemptedError } from './batch-run.js';
import { UsageError } from './exit-codes.js';
import type { Io } from './io.js';

export type Target = { readonly kind: 'local' } | { readonly kind: 'function'; readonly name: string };

/** The target the options choose; both at once is a usage error. */
export function targetOf(values: { local?: boolean; 'function-name'?: string }): Target {
  const name = values['function-name'];
  if (values.local && name !== undefined)
    throw new UsageError('choose one target: --local or --function-name');
  if (name !== undefined) {
    if (name.trim() === '') throw new UsageError('--function-name needs a function name or ARN');
    return { kind: 'function', name };
  }
  return { kind: 'local' };
}

export interface SendOptions {
  /** A progress line on standard error. */
  readonly progress: boolean;
  /** The function's log lines and metric documents on standard error (`--verbose`); else nowhere. */
  readonly verbose: boolean;
  /** The run to keep up to date, and its delivery id (`idempotency_key`); without it, no delivery id. */
  readonly run?: BatchRun;
}

/**
 * The in-process function's logger. Standard output is the CLI's result (one JSON document with
 * `--json`), so the function's JSON log lines and EMF documents never go there: to standard error
 * with `--verbose`, else nowhere.
 */
export function functionLogger(io: Io, verbose: boolean): Logger {
  return createLogger({
    level: parseLogLevel(io.env.LOG_LEVEL),
    write: verbose ? (line) => io.stderr(`${line}\n`) : () => {},
  });
}

/** Resends `orders` on `target`; with `progress`, a progress line goes to standard error. */
export async function sendOrders(
  orders: readonly ResendRequest[],
  target: Target,
  io: Io,
  options: SendOptions,
): Promise<BatchResult> {
  const { run } = options;
  if (target.kind === 'function') {
    // The deployed function records every order of the delivery in its state table.
    if (run) run.resumable = true;
    try {
      return await invokeFunction(orders, target.name, io, run);
    } catch (error) {
      throw explainAwsSetup(error);
    }
  }
  // startBackend closes what it started when it throws (a bad variable): nothing is left listening.
  const backend = await startBackend(io.env, { logger: functionLogger(io, options.verbose) });
  try {
    if (backend.description.startsWith('the embedded')) io.stderr(`note: using ${backend.description}\n`);
    const { idempotency } = backend.runtime;
    let resend = backend.runtime.resend;
    if (run && idempotency) {
      resend = idempotentResend(idempotency, run.delivery, resend);
      run.resumable = true;
    }
    const progress = options.progress ? progressLine(orders.length, io) : undefined;
    return await runBatch(orders, run ? tracked(resend, run) : resend, {
      // A local run has no Lambda deadline; this bounds a batch of 500 under DigiCert's limits.
      deadline: Date.now() + 15 * 60_000,
      concurrency: BATCH_CONCURRENCY,
      redact,
      onResult: (result, error) => {
        if (error instanceof NotAttemptedError) return;
        run?.finished(result);
        progress?.(result);
      },
    });
  } catch (error) {
    if (error instanceof BatchError) return error.summary;
    throw error;
  } finally {
    await backend.close();
  }
}

/** `resend` that tells `run` which orders it starts, and starts none once the run is stopping. */
function tracked(resend: ResendUseCase, run: BatchRun): ResendUseCase {
  return (request, options) => {
    if (run.stopping) return Promise.reject(new NotAttemptedError(`order ${request.order_id} not attempted`));
    run.started(request.order_id);
    return resend(request, options);
  };
}

function progressLine(total: number, io: Io): (result: OrderResult) => void {
  let done = 0;
  let failed = 0;
  return (result) => {
    done += 1;
    if (result.status === 'failed') failed += 1;
    const line = `[${done}/${total}] ${done - failed} sent, ${failed} failed`;
    if (io.interactive) io.stderr(`\r${line}${done === total ? '\n' : ''}`);
    else if (done === total || done % Math.max(1, Math.ceil(total / 10)) === 0) io.stderr(`${line}\n`);
  };
}

/** Invokes the deployed function through the invoke client (the caller's AWS credentials and region). */
async function invokeFunction(
  orders: readonly ResendRequest[],
  name: string,
  io: Io,
  run: BatchRun | undefined,
): Promise<BatchResult> {
  const client = createResendClient({ functionName: name });
  const [only] = orders;
  if (orders.length === 1 && only && run === undefined) {
    try {
      const sent = await client.resend(only);
      return { sent: 1, failed: 0, results: [sent] };
    } catch (error) {
      // One order's own failure is a result; anything else is about the invocation itself.
      if (!(error instanceof DigiCertRequestError || error instanceof UpstreamError)) throw error;
      return { sent: 0, failed: 1, results: [describeFailure(only.order_id, error, redact)] };
    }
  }
  io.stderr(`invoking ${name} with ${orders.length} orders...\n`);
  for (const order of orders) run?.started(order.order_id);
  let summary: BatchResult;
  try {
    summary = await client.resendBatch(orders, run ? { idempotencyKey: run.delivery } : {});
  } catch (error) {
    if (!(error instanceof BatchError)) throw error;
    summary = error.summary;
  }
  for (const result of summary.results) run?.finished(result);
  return summary;
}

/** No region, no credentials, no route to Lambda: a configuration error (exit 4) that says the fix. */
export function explainAwsSetup(error: unknown): unknown {
  const problem = awsSetupProblem(error);
  if (!problem) return error;
  return new ConfigurationError(
    'invalid_configuration',
    `cannot invoke the function: ${describeAwsSetupProblem(problem, 'Lambda', 'AWS_ENDPOINT_URL_LAMBDA')}`,
    { cause: error },
  );
}
