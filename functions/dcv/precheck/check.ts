/**
 * The DCV address pre-check (docs/contract.md §9): which mailboxes can approve a domain by email,
 * and whether a requested one is among them. Pure rules plus the DNS port they need; the DNS
 * adapter is `dns/lookup.ts`. The Public Suffix List (ICANN section, through `tldts-icann`) is
 * used here only, so that one file owns "where does a domain's base domain end".
 */
import { getDomain } from 'tldts-icann';
import { normaliseEmail } from '../rules.js';

/** BR 3.2.2.4.4: the local parts of the constructed addresses, in DigiCert's order. */
export const CONSTRUCTED_LOCAL_PARTS = [
  'admin',
  'administrator',
  'webmaster',
  'hostmaster',
  'postmaster',
] as const;

/** BR 3.2.2.4.14: where a domain publishes its DCV contact addresses. */
export const TXT_CONTACT_LABEL = '_validation-contactemail';

/**
 * The registrable base domain of a normalised domain (a leading `*.` ignored) by the ICANN section
 * of the Public Suffix List, or `undefined` when the name is a public suffix itself (`co.uk`).
 */
export function baseDomainOf(domain: string): string | undefined {
  const host = stripWildcard(domain);
  const base = getDomain(host, { allowPrivateDomains: false, validHosts: [] });
  return base === null || base === '' ? undefined : base;
}

/**
 * The Authorization Domain Names of a normalised domain: itself and each parent, down to its base
 * domain (BR 1.6.1). A wildcard's start below its `*.`. Empty for a public suffix: no address
 * at a public suffix can ever approve anything.
 */
export function authorizationDomainNames(domain: string): string[] {
  const host = stripWildcard(domain);
  const base = baseDomainOf(host);
  if (base === undefined || (host !== base && !host.endsWith(`.${base}`))) return [];
  const names: string[] = [];
  for (let name = host; ; name = name.slice(name.indexOf('.') + 1)) {
    names.push(name);
    if (name === base) return names;
  }
}

/**
 * The constructed addresses for an approval email: the five local parts at `email_domain` (when
 * given) or `domain`, and at each parent down to the base domain.
 */
export function constructedEmails(domain: string, emailDomain?: string): string[] {
  return constructedAt(authorizationDomainNames(emailDomain ?? domain));
}

function constructedAt(adns: readonly string[]): string[] {
  return adns.flatMap((adn) => CONSTRUCTED_LOCAL_PARTS.map((local) => `${local}@${adn}`));
}

/** Addresses compared as DigiCert compares them: whole, case-insensitively, domain part normalised. */
export function sameAddress(a: string, b: string): boolean {
  return canonical(a) === canonical(b);
}

function canonical(address: string): string {
  const normalised = normaliseEmail(address.trim());
  return (normalised.ok ? normalised.value : address.trim()).toLowerCase();
}

/**
 * The whole RDATA of a `_validation-contactemail` TXT record (its chunks joined) when it is one
 * mailbox, normalised; `undefined` for anything else (a record that is not an address never counts).
 */
export function txtContactAddress(chunks: readonly string[]): string | undefined {
  const value = chunks.join('').trim();
  const email = normaliseEmail(value);
  return email.ok ? email.value : undefined;
}

/**
 * The names whose CAA RRsets are searched for a domain, most specific first (RFC 8659 §3: the
 * relevant RRset is the first one found climbing towards the root; the root itself is not asked).
 */
export function caaClimb(domain: string): string[] {
  const labels = stripWildcard(domain).split('.');
  return labels.slice(0, -1).map((_, i) => labels.slice(i).join('.'));
}

function stripWildcard(domain: string): string {
  return domain.startsWith('*.') ? domain.slice(2) : domain;
}

/** One CAA record as the DNS port reports it. */
export interface CaaRecord {
  readonly tag: string;
  readonly value: string;
}

/** A DNS lookup could not give an answer (timeout, refused, server failure, resolver unreachable). */
export class DnsLookupError extends Error {
  override readonly name = 'DnsLookupError';
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/**
 * The DNS the pre-check needs. A name with no records of the type (or no such name) answers empty
 * or `false`; anything that is not an answer rejects with `DnsLookupError`.
 */
export interface DcvDnsLookup {
  /** TXT records at `name`, each as its character-strings. */
  txt(name: string): Promise<string[][]>;
  /** The CAA RRset at `name` exactly (no climbing); empty when there is none. */
  caa(name: string): Promise<CaaRecord[]>;
  /** Whether `name` has at least one MX record. */
  hasMx(name: string): Promise<boolean>;
}

/** Everything that may approve a domain by email, as DNS and the rules say. */
export interface DcvEmailView {
  readonly domain: string;
  readonly base_domain: string | null;
  /** The domain whose constructed addresses these are (`email_domain`, else `domain`, `*.` removed). */
  readonly email_domain: string;
  readonly constructed_emails: string[];
  readonly dns_txt_emails: string[];
  readonly caa_emails: string[];
  /** Whether `email_domain` has MX records; `null` when DNS did not say. */
  readonly has_mx: boolean | null;
  /** The lookups that failed, when some did (the lists above then may be incomplete). */
  readonly dns_errors?: string[];
}

/** The names `dcvEmailView` asks DNS about: one place, so the lookup bound counts what is asked. */
function viewNames(domain: string, emailDomain?: string) {
  const adns = authorizationDomainNames(domain);
  return {
    adns,
    txt: adns.map((adn) => `${TXT_CONTACT_LABEL}.${adn}`),
    caa: caaClimb(domain),
    mx: stripWildcard(emailDomain ?? domain),
  };
}

/**
 * The DNS lookups `judgeApprovalEmail` makes for `item`, as `TYPE name`: a constructed address
 * needs only its MX; any other address the TXT contacts of every ADN, the CAA climb and the MX.
 */
export function dnsLookupsFor(item: ApprovalEmailInput): string[] {
  const names = viewNames(item.domain, item.email_domain);
  if (isConstructedEmail(item)) return [`MX ${names.mx}`];
  return [...names.txt.map((n) => `TXT ${n}`), ...names.caa.map((n) => `CAA ${n}`), `MX ${names.mx}`];
}

/** Builds the view of one domain: the pure part at once, DNS lookups concurrently. */
export async function dcvEmailView(
  dns: DcvDnsLookup,
  domain: string,
  emailDomain?: string,
): Promise<DcvEmailView> {
  const { adns, txt: txtNames, mx: scope } = viewNames(domain, emailDomain);
  const base = adns[adns.length - 1];
  const errors: string[] = [];
  const failed = (what: string) => (error: unknown) => {
    errors.push(`${what}: ${error instanceof DnsLookupError ? error.code : 'error'}`);
    return undefined;
  };
  const [txt, caa, mx] = await Promise.all([
    Promise.all(txtNames.map((name) => dns.txt(name).catch(failed(`TXT ${name}`)))),
    caaContacts(dns, domain).catch(failed(`CAA ${stripWildcard(domain)}`)),
    dns.hasMx(scope).catch(failed(`MX ${scope}`)),
  ]);
  const dnsTxt = unique(
    txt.flatMap((records) => (records ?? []).map(txtContactAddress)).filter((a) => a !== undefined),
  );
  return {
    domain,
    base_domain: base ?? null,
    email_domain: scope,
    constructed_emails:
      emailDomain === undefined ? constructedAt(adns) : constructedEmails(domain, emailDomain),
    dns_txt_emails: dnsTxt,
    caa_emails: caa ?? [],
    has_mx: mx ?? null,
    ...(errors.length > 0 ? { dns_errors: errors } : {}),
  };
}

/**
 * The `contactemail` addresses of the CAA RRset relevant to `domain`: every name of the climb is
 * asked at once, and the most specific one with an RRset wins. A failed lookup below the winner
 * makes the answer unknowable, so it rejects.
 */
export async function caaContacts(dns: DcvDnsLookup, domain: string): Promise<string[]> {
  const names = caaClimb(domain);
  const answers = await Promise.allSettled(names.map((name) => dns.caa(name)));
  for (const answer of answers) {
    if (answer.status === 'rejected') throw answer.reason;
    if (answer.value.length === 0) continue;
    return unique(
      answer.value
        .filter((record) => record.tag.toLowerCase() === 'contactemail')
        .map((record) => normaliseEmail(record.value.trim()))
        .flatMap((email) => (email.ok ? [email.value] : [])),
    );
  }
  return [];
}

function unique(values: readonly string[]): string[] {
  const seen = new Set<string>();
  return values.filter((value) => {
    const key = value.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** One approval email of a request, as the pre-check judged it. */
export type EmailVerdict =
  | { readonly kind: 'allowed'; readonly via: 'constructed' | 'dns_txt' | 'caa'; readonly noMx?: string }
  | { readonly kind: 'not_allowed'; readonly allowed: readonly string[]; readonly noMx?: string }
  /** DNS could not say, and the address is not a constructed one: never blocks. */
  | { readonly kind: 'unknown'; readonly allowed: readonly string[]; readonly dnsErrors: readonly string[] };

export interface ApprovalEmailInput {
  readonly domain: string;
  readonly email: string;
  readonly email_domain?: string | undefined;
}

/**
 * Judges one approval email. A constructed address needs DNS only for the MX note; any other
 * address is looked for in the TXT contacts and CAA `contactemail` of the domain.
 */
export async function judgeApprovalEmail(dns: DcvDnsLookup, item: ApprovalEmailInput): Promise<EmailVerdict> {
  if (isConstructedEmail(item)) {
    const scope = stripWildcard(item.email_domain ?? item.domain);
    const hasMx = await dns.hasMx(scope).catch(() => undefined);
    return { kind: 'allowed', via: 'constructed', ...(hasMx === false ? { noMx: noMxNote(scope) } : {}) };
  }
  const view = await dcvEmailView(dns, item.domain, item.email_domain);
  const noMx = view.has_mx === false ? noMxNote(view.email_domain) : undefined;
  const withNoMx = noMx === undefined ? {} : { noMx };
  // The view's addresses are normalised already: only the requested one needs it.
  const target = canonical(item.email);
  const listed = (addresses: readonly string[]) => addresses.some((a) => a.toLowerCase() === target);
  if (listed(view.dns_txt_emails)) return { kind: 'allowed', via: 'dns_txt' };
  if (listed(view.caa_emails)) return { kind: 'allowed', via: 'caa' };
  const allowed = [...view.constructed_emails, ...view.dns_txt_emails, ...view.caa_emails];
  if (view.dns_errors) return { kind: 'unknown', allowed, dnsErrors: view.dns_errors };
  return { kind: 'not_allowed', allowed, ...withNoMx };
}

function noMxNote(scope: string): string {
  return `${scope} has no MX record: its constructed addresses cannot receive mail`;
}

/** The constructed-address verdict alone, without DNS (the CLI's offline answer, the enforce fast path). */
export function isConstructedEmail(item: ApprovalEmailInput): boolean {
  return constructedEmails(item.domain, item.email_domain).some((a) => sameAddress(a, item.email));
}
