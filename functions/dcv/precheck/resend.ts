/**
 * The resend use case with the DCV address pre-check in front (docs/contract.md §9): `enforce`
 * refuses an address that can never approve before DigiCert is called; `warn` runs the check
 * alongside the DigiCert call and only reports; `off` is the bare use case. A DNS failure never
 * blocks a resend. One request asks DNS at most `MAX_DNS_LOOKUPS_PER_REQUEST` distinct questions:
 * the approval emails whose lookups no longer fit are not verified (never blocked), said once.
 */
import type { DcvPrecheckMode } from '../../app/contract.js';
import { DcvEmailNotAllowedError } from '../../lib/errors.js';
import type { ResendUseCase } from '../../resend/use-case.js';
import {
  type ApprovalEmailInput,
  type DcvDnsLookup,
  dnsLookupsFor,
  type EmailVerdict,
  isConstructedEmail,
  judgeApprovalEmail,
} from './check.js';

/**
 * The approval emails of a request that were not verified because their DNS lookups did not fit in
 * the request's bound: reported once per request, for the first of them.
 */
export interface UncheckedVerdict {
  readonly kind: 'unchecked';
  /** How many approval emails of the request were not verified. */
  readonly count: number;
  /** The bound that was reached. */
  readonly limit: number;
}

/** What the pre-check reports about one approval email (or, `unchecked`, about the rest of the request). */
export type PrecheckVerdict = EmailVerdict | UncheckedVerdict;

/** One judged approval email, for logs and metrics. */
export interface PrecheckEvent {
  readonly orderId: number;
  readonly mode: DcvPrecheckMode;
  /** Dotted path of the email, e.g. `domain_approval_emails.0.email`. */
  readonly field: string;
  readonly domain: string;
  readonly email: string;
  readonly verdict: PrecheckVerdict;
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
  /**
   * How long a verdict is reused for the same domain, address and email_domain: a warm container
   * then pays a map lookup, not the rules and the cached DNS answers again. Verdicts DNS could not
   * give are not kept. @default 60000 (the DNS adapter's own cache time)
   */
  readonly verdictTtlMs?: number;
  readonly now?: () => number;
}

/** Verdicts kept at most; the oldest go first. */
const MAX_VERDICTS = 1_000;

/**
 * Distinct DNS questions one request may cause (docs/contract.md §9): 100 approval emails on
 * 82-label domains would otherwise ask over 13,000. Deduplicated across the request's emails.
 */
export const MAX_DNS_LOOKUPS_PER_REQUEST = 64;

/** A verdict being worked out or known, and until when it may be reused. */
interface Judged {
  readonly expires: number;
  readonly verdict: Promise<EmailVerdict>;
  settled: EmailVerdict | undefined;
}

/** Time kept back from the deadline for DigiCert when enforce waits for DNS. */
const RESERVED_FOR_DIGICERT_MS = 1_000;
/** How many allowed addresses a refusal lists before "and N more". */
const LISTED_ADDRESSES = 20;

/** Wraps `resend` with the pre-check that `deps.mode` selects. */
export function withDcvPrecheck(resend: ResendUseCase, deps: PrecheckDependencies): ResendUseCase {
  if (deps.mode === 'off') return resend;
  const now = deps.now ?? Date.now;
  const ttlMs = deps.verdictTtlMs ?? 60_000;
  const verdicts = new Map<string, Judged>();
  const keyOf = (item: ApprovalEmailInput) =>
    `${item.domain}\u0000${item.email_domain ?? ''}\u0000${item.email.toLowerCase()}`;
  /** A verdict known or being worked out by an earlier request: it costs this request no lookup. */
  const cachedVerdict = (item: ApprovalEmailInput): Judged | undefined => {
    const hit = verdicts.get(keyOf(item));
    return hit && hit.expires > now() ? hit : undefined;
  };
  const startJudging = (item: ApprovalEmailInput): Judged => {
    const key = keyOf(item);
    // Warn never waits for a verdict, so its DNS work starts on the event loop's next turn, once the
    // resend is on its way: on a cold container the resolver's set-up, the first queries and the
    // first walk of the PSL then overlap the key read and the DigiCert call instead of delaying them
    // (see "Cold start profile" in docs/performance.md). Enforce may wait for it: it starts at once.
    const verdict =
      deps.mode === 'enforce' ? judge(deps.dns, item) : nextTurn().then(() => judge(deps.dns, item));
    const entry: Judged = { expires: now() + ttlMs, verdict, settled: undefined };
    if (verdicts.size >= MAX_VERDICTS) {
      const oldest = verdicts.keys().next();
      if (!oldest.done) verdicts.delete(oldest.value);
    }
    verdicts.set(key, entry);
    void entry.verdict.then((v) => {
      entry.settled = v;
      if (v.kind === 'unknown' && verdicts.get(key) === entry) verdicts.delete(key);
    });
    return entry;
  };
  /**
   * Each email's verdict, or `undefined` for an email not verified because its lookups did not fit
   * in the request's bound. Verdicts known or in flight from earlier requests come first: they cost
   * no lookup, and on a warm container they are all there is (nothing else of the rules runs).
   * Of the rest, addresses that need DNS to be allowed go first, so that constructed ones (which
   * need only the MX note) cannot use up the bound; then each email in order takes its lookups not
   * already taken, if they fit.
   */
  const judgeRequest = (items: readonly ApprovalEmailInput[]): (Judged | undefined)[] => {
    const judged = items.map((item) => cachedVerdict(item));
    const constructed = items.map((item, index) => judged[index] === undefined && isConstructedEmail(item));
    const order = [...items.keys()].sort((a, b) => Number(constructed[a]) - Number(constructed[b]));
    const asked = new Set<string>();
    for (const index of order) {
      if (judged[index] !== undefined) continue;
      const item = items[index] as ApprovalEmailInput;
      // The same email earlier in this request is in flight now: no lookup.
      const cached = cachedVerdict(item);
      if (cached !== undefined) {
        judged[index] = cached;
        continue;
      }
      const fresh = new Set(dnsLookupsFor(item).filter((lookup) => !asked.has(lookup)));
      if (asked.size + fresh.size > MAX_DNS_LOOKUPS_PER_REQUEST) continue;
      for (const lookup of fresh) asked.add(lookup);
      judged[index] = startJudging(item);
    }
    return judged;
  };
  return async function precheckedResend(request, options) {
    const items = request.domain_approval_emails;
    if (items === undefined || items.length === 0) return resend(request, options);
    const judgedOrNot = judgeRequest(items);
    const unchecked = [...judgedOrNot.keys()].filter((index) => judgedOrNot[index] === undefined);
    // Not verified is "DNS could not say": never blocking; told once for the request.
    const judged = judgedOrNot.map(
      (entry): Judged =>
        entry ?? {
          expires: 0,
          verdict: Promise.resolve(UNVERIFIED),
          settled: UNVERIFIED,
        },
    );
    const report = (index: number, verdict: PrecheckVerdict, late: boolean, refused = false) => {
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
      // A verdict already known (a warm container) costs nothing; constructed addresses need no
      // DNS to be allowed; only the other addresses are waited for, and only for a bounded time.
      const known = new Map<number, EmailVerdict>();
      const waitFor: number[] = [];
      for (const [index, entry] of judged.entries()) {
        if (entry.settled !== undefined) known.set(index, entry.settled);
        else if (!isConstructedEmail(items[index] as ApprovalEmailInput)) waitFor.push(index);
      }
      if (waitFor.length > 0) {
        const waited = await bounded(
          Promise.all(waitFor.map((index) => (judged[index] as Judged).verdict)),
          options.deadline - RESERVED_FOR_DIGICERT_MS - now(),
        );
        for (const [i, verdict] of (waited ?? []).entries()) known.set(waitFor[i] as number, verdict);
      }
      const refusals = [...known].flatMap(([index, verdict]) =>
        verdict.kind === 'not_allowed' ? [{ index, verdict }] : [],
      );
      if (refusals.length > 0) {
        refusals.sort((a, b) => a.index - b.index);
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

    let finished = false;
    let pending = false;
    const [firstUnchecked] = unchecked;
    if (firstUnchecked !== undefined) {
      report(
        firstUnchecked,
        { kind: 'unchecked', count: unchecked.length, limit: MAX_DNS_LOOKUPS_PER_REQUEST },
        false,
      );
    }
    for (const [index, entry] of judged.entries()) {
      if (judgedOrNot[index] === undefined) continue;
      if (entry.settled !== undefined) report(index, entry.settled, false);
      else {
        pending = true;
        void entry.verdict.then((v) => report(index, v, finished));
      }
    }
    // A warm container knows every verdict already: nothing to mark late, no extra await.
    if (!pending) return resend(request, options);
    try {
      return await resend(request, options);
    } finally {
      finished = true;
    }
  };
}

/** The verdict of an email the request's lookup bound left unverified: it never blocks. */
const UNVERIFIED: EmailVerdict = {
  kind: 'unknown',
  allowed: [],
  dnsErrors: [`not looked up: the request reached its bound of ${MAX_DNS_LOOKUPS_PER_REQUEST} DNS lookups`],
};

/** Resolves on the event loop's next turn, after the I/O the current one started. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
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
