/**
 * The `GET /domain/{domain}/dcv/emails` use case (docs/contract.md §9): what the rules and DNS say
 * may approve a domain by email, plus DigiCert's own list when the key may read it. Only the
 * DigiCert part takes a slot of the rate budget; a refusal there is reported, not fatal.
 */

import type { DigiCertErrorEntry } from '../lib/errors.js';
import type { RateLimiter } from '../resend/ports.js';
import { type DcvDnsLookup, type DcvEmailView, dcvEmailView } from './precheck/check.js';

/** What DigiCert answered to `GET {base}/domain/{domain}/dcv/emails`. */
export type DomainEmailsOutcome =
  | { readonly kind: 'found'; readonly status: number; readonly body: Readonly<Record<string, unknown>> }
  | { readonly kind: 'rejected'; readonly status: number; readonly errors: readonly DigiCertErrorEntry[] }
  | { readonly kind: 'unauthorized'; readonly status: 401 }
  | { readonly kind: 'rate_limited'; readonly status: 429 }
  | { readonly kind: 'unavailable'; readonly status: number | undefined; readonly detail: string }
  | { readonly kind: 'timeout'; readonly detail: string };

/** The DigiCert port of this query (the undici client implements it). */
export interface DigiCertDomainEmails {
  domainDcvEmails(
    domain: string,
    apiKey: string,
    options: { timeoutMs: number },
  ): Promise<DomainEmailsOutcome>;
}

/** DigiCert's part of the answer: its own body on 200, else its status and error entries. */
export type DigiCertEmailsPart =
  | { readonly status: number; readonly emails: Readonly<Record<string, unknown>> }
  | { readonly status: number | null; readonly errors: readonly { code: string; message: string }[] };

export interface DcvEmailsAnswer extends DcvEmailView {
  readonly digicert: DigiCertEmailsPart;
}

export interface DcvEmailsQueryDependencies {
  readonly dns: DcvDnsLookup;
  readonly digicert: DigiCertDomainEmails;
  readonly apiKey: () => Promise<string>;
  readonly limiter: RateLimiter;
  readonly attemptTimeoutMs: number;
  readonly now?: () => number;
}

export type DcvEmailsQuery = (domain: string, options: { deadline: number }) => Promise<DcvEmailsAnswer>;

/** Builds the query; DNS and DigiCert are asked at the same time. */
export function createDcvEmailsQuery(deps: DcvEmailsQueryDependencies): DcvEmailsQuery {
  const now = deps.now ?? Date.now;
  return async (domain, { deadline }) => {
    const [view, digicert] = await Promise.all([
      dcvEmailView(deps.dns, domain),
      askDigiCert(deps, domain, deadline, now),
    ]);
    return { ...view, digicert };
  };
}

const entry = (code: string, message: string) => ({ status: null, errors: [{ code, message }] });

async function askDigiCert(
  deps: DcvEmailsQueryDependencies,
  domain: string,
  deadline: number,
  now: () => number,
): Promise<DigiCertEmailsPart> {
  let apiKey: string;
  try {
    apiKey = await deps.apiKey();
  } catch {
    return entry('secret_unavailable', 'The DigiCert API key cannot be read');
  }
  if (!(await deps.limiter.acquire(deadline))) {
    return entry('request_limit_exceeded', "DigiCert's request limit for this API key is used up; not asked");
  }
  let outcome: DomainEmailsOutcome;
  try {
    outcome = await deps.digicert.domainDcvEmails(domain, apiKey, {
      timeoutMs: Math.max(1, Math.min(deps.attemptTimeoutMs, deadline - now())),
    });
  } finally {
    deps.limiter.release?.();
  }
  switch (outcome.kind) {
    case 'found':
      return { status: outcome.status, emails: outcome.body };
    case 'rejected':
      return {
        status: outcome.status,
        errors: outcome.errors.map(({ code, message }) => ({ code, message })),
      };
    case 'unauthorized':
      return {
        status: 401,
        errors: [{ code: 'upstream_auth_failed', message: 'DigiCert rejected the configured API key' }],
      };
    case 'rate_limited':
      return {
        status: 429,
        errors: [{ code: 'request_limit_exceeded', message: 'DigiCert request limit reached' }],
      };
    case 'timeout':
      return entry('upstream_timeout', 'DigiCert did not answer in time');
    default:
      return entry('upstream_unavailable', 'DigiCert is unavailable');
  }
}
