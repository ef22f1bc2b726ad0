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
import { redact } from '../functions/observability/logger.js';
import { BATCH_CONCURRENCY, describeFailure, runBatch } from '../functions/resend/batch.js';
import type { BatchResult, OrderResult } from '../functions/resend/batch-result.js';
import type { ResendRequest } from '../functions/resend/request-schema.js';
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

/** Resends `orders` on `target`; with `progress`, a progress line goes to standard error. */
export async function sendOrders(
  orders: readonly ResendRequest[],
  target: Target,
  io: Io,
  options: { progress: boolean },
): Promise<BatchResult> {
  if (target.kind === 'function') {
    try {
      return await invokeFunction(orders, target.name, io);
    } catch (error) {
      throw explainAwsSetup(error);
    }
  }
  // startBackend closes what it started when it throws (a bad variable): nothing is left listening.
  const backend = await startBackend(io.env);
  try {
    if (backend.description.startsWith('the embedded')) io.stderr(`note: using ${backend.description}\n`);
    return await runBatch(orders, backend.runtime.resend, {
      // A local run has no Lambda deadline; this bounds a batch of 500 under DigiCert's limits.
      deadline: Date.now() + 15 * 60_000,
      concurrency: BATCH_CONCURRENCY,
      redact,
      onResult: options.progress ? progressLine(orders.length, io) : undefined,
    });
  } catch (error) {
    if (error instanceof BatchError) return error.summary;
    throw error;
  } finally {
    await backend.close();
  }
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
async function invokeFunction(orders: readonly ResendRequest[], name: string, io: Io): Promise<BatchResult> {
  const client = createResendClient({ functionName: name });
  const [only] = orders;
  if (orders.length === 1 && only) {
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
  try {
    return await client.resendBatch(orders);
  } catch (error) {
    if (error instanceof BatchError) return error.summary;
    throw error;
  }
}

/** No region, no credentials, no route to Lambda: a configuration error (exit 4) that says the fix. */
function explainAwsSetup(error: unknown): unknown {
  const problem = awsSetupProblem(error);
  if (!problem) return error;
  return new ConfigurationError(
    'invalid_configuration',
    `cannot invoke the function: ${describeAwsSetupProblem(problem, 'Lambda', 'AWS_ENDPOINT_URL_LAMBDA')}`,
    { cause: error },
  );
}
