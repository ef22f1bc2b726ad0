/**
 * `dcv-resend`: resend DCV emails from a terminal or a script. Runs the same validation and use
 * case as the Lambda function, in-process (`--local`), or invokes the deployed function
 * (`--function-name`). Exit codes are stable for scripts; see `EXIT`.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { startBackend } from '../dev/local-backend.js';
import { createResendClient } from '../functions/client/invoke-client.js';
import {
  BatchError,
  ConfigurationError,
  DigiCertRequestError,
  UpstreamError,
  ValidationError,
} from '../functions/shared/domain/errors.js';
import type { ResendRequest } from '../functions/shared/domain/request-schema.js';
import { BATCH_CONCURRENCY } from '../functions/shared/entry.js';
import {
  type BatchResult,
  describeFailure,
  type OrderResult,
  parseDirectPayload,
  runBatch,
} from '../functions/shared/inbound/direct.js';
import { CheckUsageError, checkCommand, describeFindings, dryRunPrecheck } from './check.js';
import { EMAIL_DCV_SUNSET_NOTICE } from './sunset-notice.js';

/** Exit codes scripts can rely on. */
export const EXIT = {
  /** Every order was sent (or, with --dry-run, is valid). */
  ok: 0,
  /** DigiCert refused, or stayed unavailable for, at least one order. */
  failed: 1,
  /** The command line is wrong (unknown option, missing value, unreadable file). */
  usage: 2,
  /** The request was rejected by validation; nothing was sent. */
  invalid: 3,
  /** The key, the secret, or the function cannot be used (configuration). */
  configuration: 4,
} as const;

const VERSION = '0.1.0';

const MAIN_HELP = `dcv-resend ${VERSION}: resend DigiCert domain-control-validation (DCV) emails

Usage:
  dcv-resend resend --order ID [--domain D --email E [--email-domain P]]... [--locale L] [target] [output]
  dcv-resend batch --file FILE [target] [output]
  dcv-resend check --domain D [--email E] [--email-domain P] [--json]
  dcv-resend <command> --help

Commands:
  resend   resend the DCV emails of one order
  batch    resend for many orders from a JSON or NDJSON file
  check    list the addresses that can approve a domain by email, and check one

Run "dcv-resend <command> --help" for its options.

Exit codes: 0 sent (or valid with --dry-run), 1 DigiCert failed for some order,
2 usage error, 3 invalid request (nothing sent), 4 configuration error.`;

const TARGET_HELP = `Target (where the resend runs):
  --local                 in this process, against DigiCert directly (the default). The key comes
                          from DIGICERT_API_KEY, or from the secret named by DIGICERT_API_KEY_SECRET_ID
                          (with your AWS credentials); with neither, an embedded DigiCert simulator
                          is used and a note says so. DIGICERT_BASE_URL selects us (default) or eu.
  --function-name NAME    invoke the deployed function NAME (or its ARN) with your AWS credentials
  --dry-run               validate, and pre-check each DCV address here (DNS from this machine);
                          nothing is sent. Exits 3 for an address that cannot approve its domain
                          only with DCV_PRECHECK=enforce

Output:
  --json                  one JSON document on stdout instead of human-readable lines
  -h, --help              this help`;

const RESEND_HELP = `Usage: dcv-resend resend --order ID [options]

Resend the DCV emails of one certificate order.

Request:
  --order ID              DigiCert order id (required)
  --domain D              domain scope of an approval email; repeat with --email for several
  --email E               the DCV mailbox for the --domain at the same position
  --email-domain P        base domain of that email, when it differs from the domain (give it for
                          every pair, or for none)
  --locale L              language of the emails, e.g. en or pt_BR
  Without --domain/--email, DigiCert's default recipients are used.

${TARGET_HELP}

Examples:
  dcv-resend resend --order 123456 --domain example.com --email admin@example.com
  dcv-resend resend --order 123456 --domain sub.example.com --email admin@example.com --email-domain example.com --json
  dcv-resend resend --order 123456 --function-name dcv-resend-ResendFunction`;

const BATCH_HELP = `Usage: dcv-resend batch --file FILE [options]

Resend for up to 500 orders. FILE holds {"orders": [...]}, a JSON array of orders, or NDJSON
(one order per line); each order is {"order_id": 123, "domain_approval_emails": [...], "locale": "en"}.
Use - to read standard input. A progress line goes to standard error.

Request:
  --file FILE             the orders (required)

${TARGET_HELP}

Examples:
  dcv-resend batch --file orders.ndjson
  dcv-resend batch --file orders.json --dry-run --json`;

/** AWS API errors that mean the target or the credentials are wrong, not that DigiCert failed. */
const AWS_SETUP_ERRORS = new Set([
  'ResourceNotFoundException',
  'AccessDeniedException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'ExpiredTokenException',
  'CredentialsProviderError',
]);

class UsageError extends Error {
  override readonly name = 'UsageError';
}

interface Io {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
  readonly readStdin: () => Promise<string>;
  /** Whether standard error is a terminal (progress rewrites one line) or a log (a line per 10%). */
  readonly interactive: boolean;
}

const defaultIo: Io = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
  interactive: process.stderr.isTTY === true,
};

const commonOptions = {
  local: { type: 'boolean' },
  'function-name': { type: 'string' },
  'dry-run': { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: readonly string[], io: Io = defaultIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    io.stdout(`${MAIN_HELP}\n`);
    return command === undefined ? EXIT.usage : EXIT.ok;
  }
  if (command === '--version' || command === '-v') {
    io.stdout(`${VERSION}\n`);
    return EXIT.ok;
  }
  const json = rest.includes('--json');
  const help = rest.includes('--help') || rest.includes('-h');
  // Once per run, on stderr so that scripts reading stdout never see it.
  if (!json && !help && ['resend', 'batch', 'check'].includes(command))
    io.stderr(`${EMAIL_DCV_SUNSET_NOTICE}\n`);
  try {
    if (command === 'resend') return await resendCommand(rest, io);
    if (command === 'batch') return await batchCommand(rest, io);
    if (command === 'check') {
      return await checkCommand(rest, io).catch((error: unknown) => {
        throw error instanceof CheckUsageError ? new UsageError(error.message) : error;
      });
    }
    throw new UsageError(
      `unknown command "${command}"; use "resend", "batch" or "check" (see dcv-resend --help)`,
    );
  } catch (error) {
    return report(error, io, json);
  }
}

function parse<T extends Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }>>(
  args: readonly string[],
  options: T,
) {
  try {
    return parseArgs({ args: [...args], options, allowPositionals: false, strict: true });
  } catch (error) {
    throw new UsageError(
      error instanceof Error ? error.message.replace(/\. To specify.*$/s, '') : String(error),
    );
  }
}

async function resendCommand(args: readonly string[], io: Io): Promise<number> {
  const { values } = parse(args, {
    ...commonOptions,
    order: { type: 'string' },
    domain: { type: 'string', multiple: true },
    email: { type: 'string', multiple: true },
    'email-domain': { type: 'string', multiple: true },
    locale: { type: 'string' },
  });
  if (values.help) {
    io.stdout(`${RESEND_HELP}\n`);
    return EXIT.ok;
  }
  if (values.order === undefined) throw new UsageError('--order is required (the DigiCert order id)');
  const domains = values.domain ?? [];
  const emails = values.email ?? [];
  const emailDomains = values['email-domain'] ?? [];
  if (domains.length !== emails.length) {
    throw new UsageError(
      `give --domain and --email in pairs (got ${domains.length} --domain, ${emails.length} --email)`,
    );
  }
  if (emailDomains.length > 0 && emailDomains.length !== domains.length) {
    throw new UsageError('give --email-domain once per --domain/--email pair, or not at all');
  }
  const payload: Record<string, unknown> = { order_id: values.order };
  if (domains.length > 0) {
    payload.domain_approval_emails = domains.map((domain, i) => ({
      domain,
      email: emails[i],
      ...(emailDomains[i] === undefined ? {} : { email_domain: emailDomains[i] }),
    }));
  }
  if (values.locale !== undefined) payload.locale = values.locale;
  const target = targetOf(values);
  const parsed = parseDirectPayload(payload);
  if (parsed.kind !== 'single') throw new UsageError('expected one order');
  const request = parsed.request;

  if (values['dry-run']) {
    const findings = await dryRunPrecheck([request], io.env);
    return output(
      io,
      values.json,
      {
        order_id: request.order_id,
        status: 'valid',
        request,
        ...(findings.length > 0 ? { precheck: findings } : {}),
      },
      [`✓ order ${request.order_id}: valid (dry run, nothing sent)`, ...describeFindings(findings)].join(
        '\n',
      ),
      dryRunExit(findings, io.env),
    );
  }
  const results = await run([request], target, io, { progress: false });
  const [result] = results.results;
  if (!result) throw new Error('no result');
  if (result.status === 'sent') {
    return output(io, values.json, result, `✓ order ${result.order_id}: DCV emails resent`, EXIT.ok);
  }
  return output(io, values.json, result, describe(result), exitFor(result));
}

async function batchCommand(args: readonly string[], io: Io): Promise<number> {
  const { values } = parse(args, { ...commonOptions, file: { type: 'string' } });
  if (values.help) {
    io.stdout(`${BATCH_HELP}\n`);
    return EXIT.ok;
  }
  if (values.file === undefined)
    throw new UsageError('--file is required (JSON or NDJSON orders, or - for stdin)');
  const target = targetOf(values);
  const text = await readOrders(values.file, io);
  const parsed = parseDirectPayload({ orders: parseOrdersFile(text, values.file) });
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
  const summary = await run(parsed.orders, target, io, { progress: true });
  const lines = summary.results.map((r) =>
    r.status === 'sent' ? `✓ order ${r.order_id}: DCV emails resent` : describe(r),
  );
  lines.push(`${summary.sent} sent, ${summary.failed} failed`);
  const code = summary.failed === 0 ? EXIT.ok : Math.max(...summary.results.map(exitFor));
  if (values.json) io.stdout(`${JSON.stringify(summary)}\n`);
  else io.stdout(`${lines.join('\n')}\n`);
  return code;
}

/** A dry run fails (3) only where the function would refuse: `DCV_PRECHECK=enforce` and an address that cannot approve. */
function dryRunExit(findings: readonly { verdict: string }[], env: NodeJS.ProcessEnv): number {
  const enforce = env.DCV_PRECHECK?.trim().toLowerCase() === 'enforce';
  return enforce && findings.some((f) => f.verdict === 'not_allowed') ? EXIT.invalid : EXIT.ok;
}

type Target = { kind: 'local' } | { kind: 'function'; name: string };

function targetOf(values: { local?: boolean; 'function-name'?: string }): Target {
  const name = values['function-name'];
  if (values.local && name !== undefined)
    throw new UsageError('choose one target: --local or --function-name');
  if (name !== undefined) {
    if (name.trim() === '') throw new UsageError('--function-name needs a function name or ARN');
    return { kind: 'function', name };
  }
  return { kind: 'local' };
}

async function readOrders(file: string, io: Io): Promise<string> {
  try {
    return file === '-' ? await io.readStdin() : await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** `{"orders": [...]}`, a JSON array, or NDJSON; a JSON error names the line. */
export function parseOrdersFile(text: string, name: string): unknown {
  const trimmed = text.trim();
  if (trimmed === '') throw ValidationError.single('orders', `${name} is empty`);
  try {
    const whole: unknown = JSON.parse(trimmed);
    if (Array.isArray(whole)) return whole;
    if (typeof whole === 'object' && whole !== null && 'orders' in whole)
      return (whole as { orders: unknown }).orders;
    return [whole];
  } catch {
    // Not one JSON document: NDJSON, one order per line.
  }
  const orders: unknown[] = [];
  for (const [index, line] of text.split(/\r?\n/).entries()) {
    if (line.trim() === '') continue;
    try {
      orders.push(JSON.parse(line));
    } catch {
      throw ValidationError.single(
        `${name}:${index + 1}`,
        'is not valid JSON (expected one order per line)',
        'invalid_json',
      );
    }
  }
  return orders;
}

async function run(
  orders: readonly ResendRequest[],
  target: Target,
  io: Io,
  options: { progress: boolean },
): Promise<BatchResult> {
  if (target.kind === 'function') return invokeFunction(orders, target.name, io);
  const backend = await startBackend(io.env);
  if (backend.description.startsWith('the embedded')) io.stderr(`note: using ${backend.description}\n`);
  let done = 0;
  let failed = 0;
  const progress = (result: OrderResult) => {
    done += 1;
    if (result.status === 'failed') failed += 1;
    if (!options.progress) return;
    const line = `[${done}/${orders.length}] ${done - failed} sent, ${failed} failed`;
    if (io.interactive) io.stderr(`\r${line}${done === orders.length ? '\n' : ''}`);
    else if (done === orders.length || done % Math.max(1, Math.ceil(orders.length / 10)) === 0)
      io.stderr(`${line}\n`);
  };
  try {
    return await runBatch(orders, backend.runtime.resend, {
      // A local run has no Lambda deadline; this bounds a batch of 500 under DigiCert's limits.
      deadline: Date.now() + 15 * 60_000,
      concurrency: BATCH_CONCURRENCY,
      onResult: progress,
    });
  } catch (error) {
    if (error instanceof BatchError) return error.summary as BatchResult;
    throw error;
  } finally {
    await backend.close();
  }
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
      if (!isContractError(error)) throw error;
      return { sent: 0, failed: 1, results: [describeFailure(only.order_id, error)] };
    }
  }
  io.stderr(`invoking ${name} with ${orders.length} orders...\n`);
  try {
    return await client.resendBatch(orders);
  } catch (error) {
    if (error instanceof BatchError) return error.summary as BatchResult;
    throw error;
  }
}

/** Failures of one order that the function reported (the others are about the invocation itself). */
function isContractError(error: unknown): boolean {
  return error instanceof DigiCertRequestError || error instanceof UpstreamError;
}

function describe(result: OrderResult): string {
  if (result.status === 'sent') return `✓ order ${result.order_id}: DCV emails resent`;
  return `✗ order ${result.order_id}: ${result.error_type}${result.code ? ` (${result.code})` : ''}: ${result.message}`;
}

function exitFor(result: OrderResult): number {
  if (result.status === 'sent') return EXIT.ok;
  if (result.error_type === 'ValidationError') return EXIT.invalid;
  if (result.error_type === 'ConfigurationError') return EXIT.configuration;
  return EXIT.failed;
}

function output(io: Io, json: boolean | undefined, value: unknown, human: string, code: number): number {
  if (json) io.stdout(`${JSON.stringify(value)}\n`);
  else (code === EXIT.ok ? io.stdout : io.stderr)(`${human}\n`);
  return code;
}

function report(error: unknown, io: Io, json: boolean): number {
  if (error instanceof UsageError) {
    if (json) io.stdout(`${JSON.stringify({ error: { type: 'UsageError', message: error.message } })}\n`);
    io.stderr(`dcv-resend: ${error.message}\n`);
    return EXIT.usage;
  }
  const type = error instanceof Error ? error.name : 'Error';
  const code =
    error instanceof ValidationError
      ? EXIT.invalid
      : error instanceof ConfigurationError || AWS_SETUP_ERRORS.has(type)
        ? EXIT.configuration
        : EXIT.failed;
  const message = error instanceof Error ? error.message : String(error);
  if (json) {
    const issues = error instanceof ValidationError ? { issues: error.issues } : {};
    io.stdout(`${JSON.stringify({ error: { type, message, ...issues } })}\n`);
  } else if (error instanceof ValidationError) {
    io.stderr(
      `dcv-resend: the request is invalid; nothing was sent:\n${error.issues.map((i) => `  ${i.field || '(request)'}: ${i.message}`).join('\n')}\n`,
    );
  } else {
    io.stderr(`dcv-resend: ${type}: ${message}\n`);
  }
  return code;
}
