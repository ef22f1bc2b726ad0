/**
 * `dcv-resend status --order N`: an order's DCV status (docs/contract.md §10), read in this process
 * (`--local`: the real DigiCert with a key or a secret, or the embedded simulator) or by invoking
 * the deployed function (`--function-name`, the `dcv-status` action). Nothing is sent.
 */

import { startBackend } from '../../dev/local-backend.js';
import { awsSetupProblem, describeAwsSetupProblem } from '../../functions/aws/setup-errors.js';
import { createResendClient } from '../../functions/client/invoke-client.js';
import type { DcvStatus } from '../../functions/dcv/status.js';
import { ConfigurationError } from '../../functions/lib/errors.js';
import { parseDirectInvocation } from '../../functions/triggers/direct-payload.js';
import { COMMON_OPTIONS, parseOptions } from '../args.js';
import { functionLogger, type Target, targetOf } from '../backend.js';
import { EXIT, type ExitCode, UsageError } from '../exit-codes.js';
import type { Io } from '../io.js';
import { output } from '../output.js';

export const STATUS_HELP = `Usage: dcv-resend status --order ID [--local | --function-name NAME] [--json] [--verbose]

Show what DigiCert knows of an order's domain validation: the order's status and DCV method, how
long it has been pending, each domain's validation, and when a token's random value expires.
Two DigiCert reads (GET), from the key's shared request budget; nothing is sent.

Target:
  --local                 in this process (the default): the real DigiCert with DIGICERT_API_KEY or
                          DIGICERT_API_KEY_SECRET_ID, else the embedded simulator (orders 1001 to
                          1005 are stuck orders there)
  --function-name NAME    invoke the deployed function NAME (the "dcv-status" action)

Output:
  --json                  one JSON document on stdout (the API's answer)
  --verbose               the function's own log lines on stderr (local runs)
  -h, --help              this help

Exit codes: 0 read, 1 DigiCert failed (the order unknown included), 2 usage error,
3 invalid order id, 4 configuration error.

Examples:
  dcv-resend status --order 1001
  dcv-resend status --order 123456 --function-name "$FUNCTION_NAME" --json`;

const { 'dry-run': _dryRun, ...TARGET_OPTIONS } = COMMON_OPTIONS;
const OPTIONS = { ...TARGET_OPTIONS, order: { type: 'string' } } as const;

/** How long a local read may take: two DigiCert reads with their retries. */
const LOCAL_DEADLINE_MS = 60_000;

/** Runs `status` with its arguments; resolves to the exit code. */
export async function statusCommand(args: readonly string[], io: Io): Promise<ExitCode> {
  const values = parseOptions(args, OPTIONS, {
    command: 'status',
    repeatHints: { order: 'status reads one order; run it once per order' },
  });
  if (values.help) {
    io.stdout(`${STATUS_HELP}\n`);
    return EXIT.ok;
  }
  if (values.order === undefined) throw new UsageError('--order is required (the DigiCert order id)');
  // The function's own rules for the order id, with the same messages (ValidationError: exit 3).
  const payload = parseDirectInvocation({ action: 'dcv-status', order_id: values.order.trim() });
  if (payload.kind !== 'action' || payload.action !== 'dcv-status')
    throw new UsageError('expected one order');
  const status = await readStatus(payload.orderId, targetOf(values), io, values.verbose === true);
  return output(io, values.json, status, describeStatus(status), EXIT.ok);
}

async function readStatus(orderId: number, target: Target, io: Io, verbose: boolean): Promise<DcvStatus> {
  if (target.kind === 'function') {
    try {
      return await createResendClient({ functionName: target.name }).dcvStatus(orderId);
    } catch (error) {
      const problem = awsSetupProblem(error);
      if (!problem) throw error;
      throw new ConfigurationError(
        'invalid_configuration',
        `cannot invoke the function: ${describeAwsSetupProblem(problem, 'Lambda', 'AWS_ENDPOINT_URL_LAMBDA')}`,
        { cause: error },
      );
    }
  }
  const backend = await startBackend(io.env, { logger: functionLogger(io, verbose) });
  try {
    if (backend.description.startsWith('the embedded')) io.stderr(`note: using ${backend.description}\n`);
    return await backend.runtime.dcvStatus(orderId, { deadline: Date.now() + LOCAL_DEADLINE_MS });
  } finally {
    await backend.close();
  }
}

/** The human form: the order, then one line per domain. */
export function describeStatus(status: DcvStatus): string {
  const method = status.dcv_method ?? 'unknown';
  const age =
    status.pending_hours === null
      ? `${status.order_status}`
      : `pending for ${status.pending_hours} hours (${(status.pending_hours / 24).toFixed(1)} days)`;
  const width = Math.max(0, ...status.domains.map((d) => d.name.length));
  const lines = [
    `order ${status.order_id}: ${age}, DCV method ${method}, created ${status.created_at}`,
    ...status.domains.map((d) => `  ${d.name.padEnd(width)}  ${d.status}${d.method ? ` (${d.method})` : ''}`),
  ];
  if (status.random_value_expires_at !== null) {
    lines.push(`random value expires ${status.random_value_expires_at}`);
  }
  return lines.join('\n');
}
