/**
 * `dcv-resend`: resend DCV emails from a terminal or a script. Runs the same validation and use
 * case as the Lambda function, in-process (`--local`), or invokes the deployed function
 * (`--function-name`). This file dispatches to one file per command in `commands/`; exit codes
 * are stable for scripts (`exit-codes.ts`). `bin/dcv-resend.mjs` is the executable.
 */
import { VERSION } from '../functions/app/contract.js';
import { batchCommand } from './commands/batch.js';
import { checkCliCommand } from './commands/check.js';
import { dnsDcvCommand } from './commands/dns-dcv.js';
import { resendCommand } from './commands/resend.js';
import { statusCommand } from './commands/status.js';
import { submitCommand } from './commands/submit.js';
import { sweepCommand } from './commands/sweep.js';
import { EXIT, type ExitCode, UsageError } from './exit-codes.js';
import { type Io, processIo } from './io.js';
import { reportError } from './output.js';
import { nearest } from './suggest.js';
import { EMAIL_DCV_SUNSET_NOTICE } from './sunset-notice.js';

const COMMANDS: Readonly<Record<string, (args: readonly string[], io: Io) => Promise<ExitCode>>> = {
  resend: resendCommand,
  batch: batchCommand,
  check: checkCliCommand,
  status: statusCommand,
  'dns-dcv': dnsDcvCommand,
  submit: submitCommand,
  sweep: sweepCommand,
};

const MAIN_HELP = `dcv-resend ${VERSION}: resend DigiCert domain-control-validation (DCV) emails

Usage:
  dcv-resend resend --order ID [--domain D --email E [--email-domain P]]... [--locale L] [target] [output]
  dcv-resend batch --file FILE [target] [output]
  dcv-resend check --domain D [--email E] [--email-domain P] [--json]
  dcv-resend status --order ID [target] [--json]
  dcv-resend dns-dcv --order ID [--method M] [--follow] [target] [--json]
  dcv-resend submit --file FILE [--queue-url URL] [output]
  dcv-resend sweep [--dry-run [--policy P]] [target] [--json]
  dcv-resend <command> --help

Commands:
  resend   resend the DCV emails of one order
  batch    resend for up to 500 orders from a JSON or NDJSON file; the answer comes back here
  check    list the addresses that can approve a domain by email, and check one
  status   show an order's DCV status: its method, how long it is pending, each domain
  dns-dcv  move an order to DNS DCV: publish its records in Route 53, follow DigiCert's check
  submit   queue any number of orders for the deployed function, drained at the key's pace;
           the answer is in the function's logs, metrics and failure queue
  sweep    find every order pending DCV, report it, and resend by policy (--dry-run: the plan)

Run "dcv-resend <command> --help" for its options.

Exit codes: 0 sent (or valid with --dry-run), 1 DigiCert failed for some order,
2 usage error, 3 invalid request (nothing sent), 4 configuration error, 130 stopped by Ctrl-C.
Standard output holds only the result (one JSON document with --json); --verbose shows the
function's own log lines on standard error.`;

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: readonly string[], io: Io = processIo): Promise<ExitCode> {
  const [command, ...rest] = argv;
  if (command === undefined) {
    // No command is a mistake in a script: the help goes where errors go, and the exit code says so.
    io.stderr(`${MAIN_HELP}\n`);
    return EXIT.usage;
  }
  if (command === '--help' || command === '-h' || command === 'help') {
    io.stdout(`${MAIN_HELP}\n`);
    return EXIT.ok;
  }
  if (command === '--version' || command === '-v') {
    io.stdout(`${VERSION}\n`);
    return EXIT.ok;
  }
  const json = rest.includes('--json');
  const help = rest.includes('--help') || rest.includes('-h');
  let code: ExitCode;
  try {
    const run = COMMANDS[command];
    if (!run) {
      const guess = nearest(command.replace(/^-+/, ''), Object.keys(COMMANDS));
      throw new UsageError(
        `unknown command "${command}"; ${guess ? `did you mean "${guess}"? ` : ''}use ${Object.keys(COMMANDS)
          .map((c) => `"${c}"`)
          .join(', ')} (see dcv-resend --help)`,
      );
    }
    code = await run(rest, io);
  } catch (error) {
    code = reportError(error, io, json);
  }
  // Once per run that did something, after its output, on stderr so that scripts reading stdout
  // never see it (docs/contract.md §9); not after a usage error, whose message should stand alone.
  if (!json && !help && code !== EXIT.usage) io.stderr(`${EMAIL_DCV_SUNSET_NOTICE}\n`);
  return code;
}
