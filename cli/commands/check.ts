/**
 * `dcv-resend check --domain D [--email E] [--email-domain P]`: the addresses that may approve a
 * domain by email (constructed, DNS TXT contacts, CAA contactemail) and whether E is one of them,
 * worked out in this process with the same rules and DNS code as the function's pre-check
 * (docs/contract.md §9). DigiCert is not called.
 */
import { parseArgs } from 'node:util';
import { parseDnsServers } from '../../functions/app/config.js';
import { dcvEmailView, judgeApprovalEmail } from '../../functions/dcv/precheck/check.js';
import { checkEmailDomain, normaliseDomain, normaliseEmail } from '../../functions/dcv/rules.js';
import { NodeDnsLookup } from '../../functions/dns/lookup.js';
import { ValidationError } from '../../functions/lib/errors.js';
import { EXIT, type ExitCode, UsageError } from '../exit-codes.js';
import type { Io } from '../io.js';

export const CHECK_HELP = `Usage: dcv-resend check --domain D [--email E] [--email-domain P] [--json]

List the addresses that can approve domain D by email, and say whether E is one of them:
constructed addresses (admin, administrator, webmaster, hostmaster, postmaster at D and each parent
down to its base domain, or from P down when --email-domain is given), addresses published in DNS
TXT at _validation-contactemail.<name>, and CAA contactemail. Runs here: DNS is asked from this
machine (DNS_SERVERS to choose resolvers); DigiCert is not called.

Exit codes: 0 E can approve D (or no --email given), 3 E cannot approve D, 2 usage error.

Examples:
  dcv-resend check --domain sub.example.com
  dcv-resend check --domain sub.example.com --email admin@example.com --json`;

export interface CheckIo {
  readonly stdout: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** Exit codes the command uses (the CLI's own `EXIT` values). */
const OK = 0;
const NOT_ALLOWED = 3;

/** Thrown for a wrong command line; the CLI reports it as its own usage error. */
export class CheckUsageError extends Error {
  override readonly name = 'CheckUsageError';
}

/** Runs `check` with its arguments (after the command name); resolves to the exit code. */
export async function checkCommand(args: readonly string[], io: CheckIo): Promise<number> {
  let values: { domain?: string; email?: string; 'email-domain'?: string; json?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: {
        domain: { type: 'string' },
        email: { type: 'string' },
        'email-domain': { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new CheckUsageError(
      error instanceof Error ? error.message.replace(/\. To specify.*$/s, '') : String(error),
    );
  }
  if (values.help) {
    io.stdout(`${CHECK_HELP}\n`);
    return OK;
  }
  if (values.domain === undefined) throw new CheckUsageError('--domain is required (the domain to validate)');
  const domain = normaliseDomain(values.domain);
  if (!domain.ok) throw ValidationError.single('domain', domain.rule);
  let emailDomain: string | undefined;
  if (values['email-domain'] !== undefined) {
    const checked = checkEmailDomain(values['email-domain'], domain.value);
    if (!checked.ok) throw ValidationError.single('email_domain', checked.rule);
    emailDomain = checked.value;
  }
  let email: string | undefined;
  if (values.email !== undefined) {
    const checked = normaliseEmail(values.email);
    if (!checked.ok) throw ValidationError.single('email', checked.rule);
    email = checked.value;
  }

  const dns = new NodeDnsLookup({ servers: parseDnsServers(io.env.DNS_SERVERS) });
  const [view, verdict] = await Promise.all([
    dcvEmailView(dns, domain.value, emailDomain),
    email === undefined
      ? undefined
      : judgeApprovalEmail(dns, { domain: domain.value, email, email_domain: emailDomain }),
  ]);
  const matches =
    verdict === undefined
      ? undefined
      : verdict.kind === 'allowed'
        ? true
        : verdict.kind === 'not_allowed'
          ? false
          : null;
  const code = matches === false ? NOT_ALLOWED : OK;

  if (values.json) {
    io.stdout(`${JSON.stringify({ ...view, ...(email === undefined ? {} : { email, matches }) })}\n`);
    return code;
  }
  const list = (values: readonly string[]) => (values.length === 0 ? '(none)' : values.join(', '));
  const lines = [
    view.base_domain === null
      ? `${domain.value} is a public suffix: no address can approve it`
      : `Addresses that can approve ${domain.value} by email (base domain ${view.base_domain}):`,
    `  constructed:        ${list(view.constructed_emails)}`,
    `  DNS TXT contacts:   ${list(view.dns_txt_emails)}`,
    `  CAA contactemail:   ${list(view.caa_emails)}`,
    `  MX at ${view.email_domain}: ${view.has_mx === null ? 'unknown (DNS did not answer)' : view.has_mx ? 'yes' : 'none: constructed addresses there cannot receive mail'}`,
  ];
  if (view.dns_errors) lines.push(`  DNS lookups failed: ${view.dns_errors.join('; ')}`);
  if (email !== undefined && verdict !== undefined) {
    if (verdict.kind === 'allowed')
      lines.push(`✓ ${email} can approve ${domain.value} (${verdict.via.replace('_', ' ')})`);
    else if (verdict.kind === 'not_allowed') lines.push(`✗ ${email} cannot approve ${domain.value}`);
    else lines.push(`? ${email} is not a constructed address, and DNS could not say whether it is a contact`);
  }
  io.stdout(`${lines.join('\n')}\n`);
  return code;
}

/** One approval email of a dry run that the pre-check would not pass, or could not judge. */
export interface DryRunFinding {
  readonly order_id: number;
  readonly field: string;
  readonly email: string;
  readonly verdict: 'not_allowed' | 'unknown' | 'no_mx';
  readonly detail: string;
}

/**
 * The pre-check of `--dry-run`: every approval email of `orders` judged here, as the function
 * would (`DCV_PRECHECK` decides only what the CLI does with the findings). Emails that pass are
 * not listed.
 */
export async function dryRunPrecheck(
  orders: readonly {
    order_id: number;
    domain_approval_emails?: readonly { domain: string; email: string; email_domain?: string }[] | undefined;
  }[],
  env: Readonly<Record<string, string | undefined>>,
): Promise<DryRunFinding[]> {
  const dns = new NodeDnsLookup({ servers: parseDnsServers(env.DNS_SERVERS) });
  const jobs = orders.flatMap((order) =>
    (order.domain_approval_emails ?? []).map(async (item, index): Promise<DryRunFinding | undefined> => {
      const verdict = await judgeApprovalEmail(dns, item);
      const base = {
        order_id: order.order_id,
        field: `domain_approval_emails.${index}.email`,
        email: item.email,
      };
      if (verdict.kind === 'not_allowed') {
        return {
          ...base,
          verdict: 'not_allowed',
          detail: `cannot approve ${item.domain}; allowed: ${verdict.allowed.slice(0, 10).join(', ')}${verdict.allowed.length > 10 ? ', ...' : ''}`,
        };
      }
      if (verdict.kind === 'unknown') {
        return { ...base, verdict: 'unknown', detail: `DNS could not say (${verdict.dnsErrors.join('; ')})` };
      }
      return verdict.noMx === undefined ? undefined : { ...base, verdict: 'no_mx', detail: verdict.noMx };
    }),
  );
  return (await Promise.all(jobs)).filter((f): f is DryRunFinding => f !== undefined);
}

/** Human lines for the findings of a dry run. */
export function describeFindings(findings: readonly DryRunFinding[]): string[] {
  return findings.map((f) => `! order ${f.order_id} ${f.field} ${f.email}: ${f.detail}`);
}

/** A dry run fails (3) only where the function would refuse: `DCV_PRECHECK=enforce` and an address that cannot approve. */
export function dryRunExit(findings: readonly { verdict: string }[], env: NodeJS.ProcessEnv): ExitCode {
  const enforce = env.DCV_PRECHECK?.trim().toLowerCase() === 'enforce';
  return enforce && findings.some((f) => f.verdict === 'not_allowed') ? EXIT.invalid : EXIT.ok;
}

/** `dcv-resend check` as the CLI dispatches it: its usage errors are the CLI's. */
export async function checkCliCommand(args: readonly string[], io: Io): Promise<ExitCode> {
  try {
    return (await checkCommand(args, io)) as ExitCode;
  } catch (error) {
    throw error instanceof CheckUsageError ? new UsageError(error.message) : error;
  }
}
