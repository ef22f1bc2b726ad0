/** `dcv-resend resend`: one order, from options. */
import { parseDirectPayload } from '../../functions/triggers/direct-payload.js';
import { COMMON_OPTIONS, parseOptions, TARGET_HELP } from '../args.js';
import { sendOrders, targetOf } from '../backend.js';
import { EXIT, type ExitCode, exitForResult, UsageError } from '../exit-codes.js';
import type { Io } from '../io.js';
import { describeResult, output } from '../output.js';
import { describeFindings, dryRunExit, dryRunPrecheck } from './check.js';

export const RESEND_HELP = `Usage: dcv-resend resend --order ID [options]

Resend the DCV emails of one certificate order (for several, see dcv-resend batch).

Request:
  --order ID              DigiCert order id (required, once)
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
  dcv-resend resend --order 123456 --function-name "$FUNCTION_NAME"`;

const OPTIONS = {
  ...COMMON_OPTIONS,
  order: { type: 'string' },
  domain: { type: 'string', multiple: true },
  email: { type: 'string', multiple: true },
  'email-domain': { type: 'string', multiple: true },
  locale: { type: 'string' },
} as const;

/** Runs `resend` with its arguments; resolves to the exit code. */
export async function resendCommand(args: readonly string[], io: Io): Promise<ExitCode> {
  const values = parseOptions(args, OPTIONS, {
    command: 'resend',
    repeatHints: {
      order:
        'resend takes one order; for several, put them in a file (one per line) and run dcv-resend batch --file FILE',
    },
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
  const { results } = await sendOrders([request], target, io, {
    progress: false,
    verbose: values.verbose === true,
  });
  const [result] = results;
  if (!result) throw new Error('no result');
  return output(io, values.json, result, describeResult(result), exitForResult(result));
}
