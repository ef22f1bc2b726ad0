/**
 * The resend use case with the DCV address pre-check in front (docs/contract.md §9): `enforce`
 * refuses an address that can never approve before DigiCert is called; `warn` runs the check
 * alongside the DigiCert call and only reports; `off` is the bare use case. A DNS failure never
 * blocks a resend.
 */
import {
  type ApprovalEmailInput,
  type DcvDnsLookup,
  type DcvPrecheckMode,
  type EmailVerdict,
  isConstructedEmail,
  judgeApprovalEmail,
} from './dcv-precheck.js';
import { DcvEmailNotAllowedError } from './errors.js';
import type { ResendUseCase } from './resend.js';

/** One judged approval email, for logs and metrics. */
export interface PrecheckEvent {
  readonly orderId: number;
  readonly mode: DcvPrecheckMode;
  /** Dotted path of the email, e.g. `domain_approval_emails.0.email`. */
  readonly field: string;
  readonly domain: string;
  readonly email: string;
  readonly verdict: EmailVerdict;
  /** The verdict came after the resend had finished (warn mode never waits for it). */
  readonly late: boolean;
  /** `enforce` refused the request because of this email. */
  readonly refused: boolean;
}

export interface PrecheckDependencies {
  readonly mode: DcvPrecheckMode;
  readonly dns: DcvDnsLookup;
  /** Observes every judged email; must not throw. */
  readonly report: (event: PrecheckEvent) => void;
  readonly now?: () => number;
}

/** Time kept back from the deadline for DigiCert when enforce waits for DNS. */
const RESERVED_FOR_DIGICERT_MS = 1_000;
/** How many allowed addresses a refusal lists before "and N more". */
const LISTED_ADDRESSES = 20;

/** Wraps `resend` with the pre-check that `deps.mode` selects. */
export function withDcvPrecheck(resend: ResendUseCase, deps: PrecheckDependencies): ResendUseCase {
  if (deps.mode === 'off') return resend;
  const now = deps.now ?? Date.now;
  return async function precheckedResend(request, options) {
    const items = request.domain_approval_emails;
    if (items === undefined || items.length === 0) return resend(request, options);
    const judged = items.map((item) => judge(deps.dns, item));
    const report = (index: number, verdict: EmailVerdict, late: boolean, refused = false) => {
      const item = items[index];
      if (!item) return;
      try {
        deps.report({
          orderId: request.order_id,
          mode: deps.mode,
          field: `domain_approval_emails.${index}.email`,
          domain: item.domain,
          email: item.email,
          verdict,
          late,
          refused,
        });
      } catch {
        // Reporting must never change the outcome of a resend.
      }
    };

    if (deps.mode === 'enforce') {
      // Constructed addresses need no DNS to be allowed; only the others are waited for.
      const waitFor = items.flatMap((item, index) => (isConstructedEmail(item) ? [] : [index]));
      const verdicts = await bounded(
        Promise.all(waitFor.map((index) => judged[index] as Promise<EmailVerdict>)),
        options.deadline - RESERVED_FOR_DIGICERT_MS - now(),
      );
      if (verdicts !== undefined) {
        const refusals = waitFor.flatMap((index, i) => {
          const verdict = verdicts[i];
          return verdict?.kind === 'not_allowed' ? [{ index, verdict }] : [];
        });
        if (refusals.length > 0) {
          for (const { index, verdict } of refusals) report(index, verdict, false, true);
          throw new DcvEmailNotAllowedError(
            refusals.map(({ index, verdict }) => ({
              field: `domain_approval_emails.${index}.email`,
              code: 'dcv_email_not_allowed',
              message: refusalMessage(items[index] as ApprovalEmailInput, verdict.allowed),
            })),
          );
        }
      }
    }

    let finished = false;
    for (const [index, verdict] of judged.entries()) {
      void verdict.then((v) => report(index, v, finished));
    }
    try {
      return await resend(request, options);
    } finally {
      finished = true;
    }
  };
}

/** A verdict that never rejects: anything unexpected counts as "DNS could not say". */
function judge(dns: DcvDnsLookup, item: ApprovalEmailInput): Promise<EmailVerdict> {
  return judgeApprovalEmail(dns, item).catch(
    (error: unknown): EmailVerdict => ({
      kind: 'unknown',
      allowed: [],
      dnsErrors: [error instanceof Error ? error.message : 'lookup failed'],
    }),
  );
}

/** `promise`'s value, or `undefined` when it takes longer than `ms`. */
async function bounded<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  if (ms <= 0) return undefined;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

function refusalMessage(item: ApprovalEmailInput, allowed: readonly string[]): string {
  const scope = item.email_domain ?? item.domain;
  if (allowed.length === 0) {
    return `${item.email} cannot approve ${item.domain}: ${scope} is a public suffix, so no address there can approve a certificate`;
  }
  const listed = allowed.slice(0, LISTED_ADDRESSES).join(', ');
  const more = allowed.length > LISTED_ADDRESSES ? ` and ${allowed.length - LISTED_ADDRESSES} more` : '';
  return `${item.email} is not an address that can approve ${item.domain} by email (not a constructed address at ${scope} or its parents, nor a DNS TXT or CAA contact); allowed: ${listed}${more}`;
}
