/** `dcv-resend batch`: many orders, from a file or standard input. */
import { ValidationError } from '../../functions/lib/errors.js';
import { parseDirectPayload } from '../../functions/triggers/direct-payload.js';
import { COMMON_OPTIONS, parseOptions, TARGET_HELP } from '../args.js';
import { sendOrders, targetOf } from '../backend.js';
import { EXIT, type ExitCode, exitForResult, mostSerious, UsageError } from '../exit-codes.js';
import type { Io } from '../io.js';
import { locateIssues, parseOrdersFile, readOrdersText } from '../orders-file.js';
import { describeResult, output } from '../output.js';
import { describeFindings, dryRunExit, dryRunPrecheck } from './check.js';

export const BATCH_HELP = `Usage: dcv-resend batch --file FILE [options]

Resend for up to 500 orders. FILE holds {"orders": [...]}, a JSON array of orders, or NDJSON
(one order per line); each order is {"order_id": 123, "domain_approval_emails": [...], "locale": "en"}.
Use - to read standard input. Errors name the order's place in FILE (file:line, or file:line:column
in a JSON document). A progress line goes to standard error.

Request:
  --file FILE             the orders (required)

${TARGET_HELP}

Examples:
  dcv-resend batch --file orders.ndjson
  dcv-resend batch --file orders.json --dry-run --json`;

const OPTIONS = { ...COMMON_OPTIONS, file: { type: 'string' } } as const;

/** Runs `batch` with its arguments; resolves to the exit code. */
export async function batchCommand(args: readonly string[], io: Io): Promise<ExitCode> {
  const values = parseOptions(args, OPTIONS, { command: 'batch' });
  if (values.help) {
    io.stdout(`${BATCH_HELP}\n`);
    return EXIT.ok;
  }
  if (values.file === undefined)
    throw new UsageError('--file is required (JSON or NDJSON orders, or - for stdin)');
  const target = targetOf(values);
  const name = values.file === '-' ? 'stdin' : values.file;
  const file = parseOrdersFile(await readOrdersText(values.file, io), name);
  let parsed: ReturnType<typeof parseDirectPayload>;
  try {
    parsed = parseDirectPayload({ orders: file.orders });
  } catch (error) {
    throw error instanceof ValidationError ? locateIssues(error, file) : error;
  }
  if (parsed.kind !== 'batch') throw new UsageError('expected a batch');

  if (values['dry-run']) {
    const findings = await dryRunPrecheck(parsed.orders, io.env);
    const summary = {
      valid: parsed.orders.length,
      status: 'valid',
      ...(findings.length > 0 ? { precheck: findings } : {}),
    };
    return output(
      io,
      values.json,
      summary,
      [`✓ ${parsed.orders.length} orders valid (dry run, nothing sent)`, ...describeFindings(findings)].join(
        '\n',
      ),
      dryRunExit(findings, io.env),
    );
  }
  const summary = await sendOrders(parsed.orders, target, io, { progress: true });
  const lines = summary.results.map(describeResult);
  lines.push(`${summary.sent} sent, ${summary.failed} failed`);
  const code = mostSerious(summary.results.map(exitForResult));
  if (values.json) io.stdout(`${JSON.stringify(summary)}\n`);
  else io.stdout(`${lines.join('\n')}\n`);
  return code;
}
