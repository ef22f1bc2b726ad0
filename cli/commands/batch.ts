/** `dcv-resend batch`: many orders, from a file or standard input. */
import { writeFileSync } from 'node:fs';
import { ValidationError } from '../../functions/lib/errors.js';
import { parseDirectPayload } from '../../functions/triggers/direct-payload.js';
import { COMMON_OPTIONS, parseOptions, TARGET_HELP } from '../args.js';
import { sendOrders, targetOf } from '../backend.js';
import { BatchRun, describeReport, type RunReport } from '../batch-run.js';
import { batchDeliveryId } from '../delivery-id.js';
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

Running the same file again resumes: the run's delivery id (idempotency_key) is derived from the
file's orders, so orders already sent are not sent again, within IDEMPOTENCY_TTL_SECONDS (a day by
default; to send the same orders again on purpose within it, change the file). This needs the
deployed function (--function-name) or, locally, a state table (STATE_TABLE_NAME); a local run
without one records nothing and sends every order again.
Ctrl-C stops starting orders, waits for those in flight (Ctrl-C again: at once), prints which
orders were sent, refused, failed, in flight and not attempted, and exits 130.

Request:
  --file FILE             the orders (required)
  --report FILE           also write that report (JSON) to FILE, at the end or on Ctrl-C

${TARGET_HELP}

Examples:
  dcv-resend batch --file orders.ndjson
  dcv-resend batch --file orders.json --dry-run --json`;

const OPTIONS = { ...COMMON_OPTIONS, file: { type: 'string' }, report: { type: 'string' } } as const;

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
  const run = new BatchRun(parsed.orders, batchDeliveryId(parsed.orders));
  const stopListening = io.onInterrupt?.(() => {
    if (target.kind === 'local' && !run.stopping) {
      run.stop();
      io.stderr('\ninterrupted: finishing the orders in flight (Ctrl-C again to stop at once)\n');
      return;
    }
    // The deployed function finishes its invocation whatever happens here: its outcomes are unknown.
    run.stop();
    io.exit?.(report(io, values, run.report()));
  });
  let summary: Awaited<ReturnType<typeof sendOrders>>;
  try {
    summary = await sendOrders(parsed.orders, target, io, {
      progress: true,
      verbose: values.verbose === true,
      run,
    });
  } finally {
    stopListening?.();
  }
  if (run.stopping) return report(io, values, run.report());
  if (values.report !== undefined) writeReport(values.report, run.report(), io);
  const lines = summary.results.map(describeResult);
  lines.push(`${summary.sent} sent, ${summary.failed} failed`);
  const code = mostSerious(summary.results.map(exitForResult));
  if (values.json) io.stdout(`${JSON.stringify(summary)}\n`);
  else io.stdout(`${lines.join('\n')}\n`);
  if (summary.failed > 0) {
    io.stderr(
      run.resumable
        ? "note: running the same file again tries only the orders not sent (DigiCert's refusals are recorded and come back as they were)\n"
        : 'note: no state table (STATE_TABLE_NAME): running the same file again sends every order again, the sent ones included; put the failed orders in a new file, or resume with --function-name or a state table\n',
    );
  }
  return code;
}

/** The interrupted run's report: the result on stdout (JSON with --json), and in `--report FILE`. */
function report(io: Io, values: { json?: boolean; report?: string }, runReport: RunReport): ExitCode {
  if (values.report !== undefined) writeReport(values.report, runReport, io);
  if (values.json) io.stdout(`${JSON.stringify(runReport)}\n`);
  else io.stdout(`${describeReport(runReport).join('\n')}\n`);
  return EXIT.interrupted;
}

function writeReport(path: string, runReport: RunReport, io: Io): void {
  try {
    // Synchronous: on a second Ctrl-C the process ends right after.
    writeFileSync(path, `${JSON.stringify(runReport, null, 2)}\n`);
  } catch (error) {
    // The orders were sent either way: their result still goes to stdout.
    io.stderr(
      `dcv-resend: cannot write the report to ${path}: ${error instanceof Error ? error.message : String(error)}\n`,
    );
  }
}
