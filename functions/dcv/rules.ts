/**
 * Rules for the names and mailboxes of domain-control validation by email, written as pure
 * functions so that every entry point (HTTP, direct, schedules, CDK synth) applies the same ones.
 * Each returns the normalised value, or a sentence naming the rule that was broken.
 */
import { domainToASCII, domainToUnicode } from 'node:url';
import { REQUEST_LIMITS } from '../app/contract.js';
import { publicSuffixItself } from '../lib/public-suffix.js';

export type Checked<T> = { ok: true; value: T } | { ok: false; rule: string };

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const MAX_DOMAIN_LENGTH = 253;
const MAX_EMAIL_LENGTH = REQUEST_LIMITS.maxEmailLength;
const MAX_LOCAL_PART_LENGTH = 64;
// RFC 5322 dot-atom: atext characters separated by single dots. Quoted local parts are not
// accepted: no DCV mailbox needs one, and they are where header-injection tricks hide.
const DOT_ATOM = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
// Anything below U+0021 or DEL is never part of a name or mailbox (spaces, CR, LF, NUL, tabs).
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL_OR_SPACE = /[\u0000-\u0020\u007f]/;

/**
 * Normalises a host name to lower-case ASCII (IDNs to punycode) and checks it is a fully
 * qualified domain name: at least two labels, letters/digits/hyphens, ≤ 63 per label, ≤ 253 in all,
 * a non-numeric top-level label. One trailing dot (the absolute form) is dropped.
 */
export function normaliseHostName(input: string): Checked<string> {
  if (input.length === 0) return { ok: false, rule: 'must not be empty' };
  if (input.length > MAX_DOMAIN_LENGTH + 1) {
    return { ok: false, rule: `must be at most ${MAX_DOMAIN_LENGTH} characters` };
  }
  if (CONTROL_OR_SPACE.test(input))
    return { ok: false, rule: 'must not contain spaces or control characters' };
  // "https://example.com/x" would otherwise be reported as a bad label "https://example".
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(input) || input.includes('/')) {
    return { ok: false, rule: 'must be a domain name such as example.com, not a URL' };
  }
  const absolute = input.endsWith('.') && !input.endsWith('..') ? input.slice(0, -1) : input;
  // domainToASCII lower-cases, maps IDNs to punycode, and returns '' for names it cannot encode.
  const ascii = /^[\x21-\x7e]*$/.test(absolute) ? absolute.toLowerCase() : domainToASCII(absolute);
  if (ascii === '') return { ok: false, rule: 'must be a valid domain name (IDNs as Unicode or punycode)' };
  if (ascii.length > MAX_DOMAIN_LENGTH)
    return { ok: false, rule: `must be at most ${MAX_DOMAIN_LENGTH} characters` };
  const labels = ascii.split('.');
  if (labels.length < 2)
    return { ok: false, rule: 'must be a fully qualified domain name such as example.com' };
  for (const label of labels) {
    if (!LABEL.test(label)) {
      return {
        ok: false,
        rule: `must be a fully qualified domain name: label "${label.slice(0, 63)}" must be 1-63 letters, digits or hyphens, not starting or ending with a hyphen`,
      };
    }
  }
  const tld = labels[labels.length - 1] ?? '';
  if (/^[0-9]+$/.test(tld)) return { ok: false, rule: 'must be a domain name, not an IP address' };
  const badPunycode = labels.some((label) => label.startsWith('xn--'))
    ? invalidPunycodeLabel(ascii)
    : undefined;
  if (badPunycode) {
    return {
      ok: false,
      rule: `must be a valid domain name: label "${badPunycode}" is not valid punycode (IDNs as Unicode or punycode)`,
    };
  }
  return { ok: true, value: ascii };
}

/**
 * The first `xn--` label of `ascii` that is not the canonical punycode of a valid IDN, if any:
 * ASCII input skips `domainToASCII`'s mapping, so its punycode is checked by a round trip
 * through Unicode (which also refuses encodings of plain ASCII such as `xn--www-`). Node 20
 * answers '' for a name it cannot decode; Node 24 (Lambda's runtime) gives the label back
 * undecoded, still `xn--`: both count as invalid.
 */
function invalidPunycodeLabel(ascii: string): string | undefined {
  const unicode = domainToUnicode(ascii);
  const decoded = unicode.split('.');
  const back = (unicode === '' ? '' : domainToASCII(unicode)).split('.');
  const labels = ascii.split('.');
  const bad = labels.find(
    (label, i) =>
      label.startsWith('xn--') &&
      (decoded[i] === undefined || decoded[i].startsWith('xn--') || back[i] !== label),
  );
  if (bad !== undefined) return bad;
  return domainToASCII(ascii) === ascii ? undefined : ascii;
}

/** The rule a public suffix breaks, with an example of what to use instead. */
function publicSuffixRule(suffix: string, prefix = ''): string {
  return `is a public suffix (${suffix}); use a registrable domain such as ${prefix}example.${suffix}`;
}

/** A certificate's domain: an FQDN, with one optional leading `*.` wildcard label. */
export function normaliseDomain(input: string): Checked<string> {
  const wildcard = input.startsWith('*.');
  const rest = wildcard ? input.slice(2) : input;
  if (rest.includes('*')) return { ok: false, rule: 'may contain only one wildcard, as a leading "*."' };
  const host = normaliseHostName(rest);
  if (!host.ok) return host;
  const suffix = publicSuffixItself(host.value);
  if (suffix) return { ok: false, rule: publicSuffixRule(suffix, wildcard ? '*.' : '') };
  const value = wildcard ? `*.${host.value}` : host.value;
  if (value.length > MAX_DOMAIN_LENGTH)
    return { ok: false, rule: `must be at most ${MAX_DOMAIN_LENGTH} characters` };
  return { ok: true, value };
}

/**
 * A mailbox as an RFC 5322 addr-spec (dot-atom local part, FQDN domain), at most 254 characters.
 * The domain part is normalised like a domain; the local part is kept as written.
 */
export function normaliseEmail(input: string): Checked<string> {
  if (input.length > MAX_EMAIL_LENGTH)
    return { ok: false, rule: `must be at most ${MAX_EMAIL_LENGTH} characters` };
  if (CONTROL_OR_SPACE.test(input))
    return { ok: false, rule: 'must not contain spaces or control characters' };
  const at = input.lastIndexOf('@');
  if (at <= 0 || at === input.length - 1) {
    return { ok: false, rule: 'must be an email address such as admin@example.com' };
  }
  const local = input.slice(0, at);
  if (local.length > MAX_LOCAL_PART_LENGTH) {
    return { ok: false, rule: `local part must be at most ${MAX_LOCAL_PART_LENGTH} characters` };
  }
  if (!DOT_ATOM.test(local)) {
    return {
      ok: false,
      rule: "local part must be letters, digits or !#$%&'*+/=?^_`{|}~- separated by single dots",
    };
  }
  const host = normaliseHostName(input.slice(at + 1));
  if (!host.ok) return { ok: false, rule: `domain part ${host.rule}` };
  const value = `${local}@${host.value}`;
  if (value.length > MAX_EMAIL_LENGTH)
    return { ok: false, rule: `must be at most ${MAX_EMAIL_LENGTH} characters` };
  return { ok: true, value };
}

/**
 * `email_domain` selects the Authorization Domain Name: the domain itself or one of its parents
 * (BR 3.2.2.4.4), never a bare top-level domain or another public suffix. `domain` must already
 * be normalised; `emailDomain` is normalised here first, so that any full stop IDNA maps to "."
 * (such as "。") separates labels as "." does.
 */
export function checkEmailDomain(emailDomain: string, domain: string): Checked<string> {
  const host = normaliseHostName(emailDomain);
  if (!host.ok) {
    if (/^[^.\u3002\uff0e\uff61]+[.\u3002\uff0e\uff61]?$/.test(emailDomain)) {
      return {
        ok: false,
        rule: 'must not be a bare top-level domain; use the domain or a parent such as example.com',
      };
    }
    return host;
  }
  const suffix = publicSuffixItself(host.value);
  if (suffix) return { ok: false, rule: publicSuffixRule(suffix) };
  const base = domain.startsWith('*.') ? domain.slice(2) : domain;
  if (host.value !== base && !base.endsWith(`.${host.value}`)) {
    return { ok: false, rule: `must be "${base}" or one of its parent domains` };
  }
  return host;
}

/** A locale code as DigiCert writes them: `xx` or `xx_YY`. Whether it is supported is DigiCert's call. */
export function checkLocale(input: string): Checked<string> {
  return /^[a-z]{2}(?:_[A-Z]{2})?$/.test(input)
    ? { ok: true, value: input }
    : { ok: false, rule: 'must be a locale code such as "en" or "pt_BR"' };
}
