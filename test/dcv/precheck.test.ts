/**
 * The pure rules of the DCV pre-check (docs/contract.md §9): Authorization Domain Names by the ICANN
 * section of the Public Suffix List, the constructed addresses, matching, TXT contact records, the
 * CAA climb, and the pre-check's configuration.
 */
import { describe, expect, it } from 'vitest';
import { loadDcvConfig } from '../../functions/app/dcv-config.js';
import {
  authorizationDomainNames,
  baseDomainOf,
  caaClimb,
  constructedEmails,
  isConstructedEmail,
  sameAddress,
  txtContactAddress,
} from '../../functions/dcv/precheck/check.js';
import { ConfigurationError } from '../../functions/lib/errors.js';

describe('Authorization Domain Names', () => {
  it.each<[string, string[]]>([
    ['example.com', ['example.com']],
    ['sub.example.com', ['sub.example.com', 'example.com']],
    ['a.b.example.com', ['a.b.example.com', 'b.example.com', 'example.com']],
    ['shop.example.co.uk', ['shop.example.co.uk', 'example.co.uk']],
    ['*.example.com', ['example.com']],
    ['*.api.example.com', ['api.example.com', 'example.com']],
    // IDNs arrive normalised to punycode.
    ['www.xn--bcher-kva.example', ['www.xn--bcher-kva.example', 'xn--bcher-kva.example']],
    ['shop.xn--e1afmkfd.xn--p1ai', ['shop.xn--e1afmkfd.xn--p1ai', 'xn--e1afmkfd.xn--p1ai']],
    // Private-section suffixes (github.io) are not public suffixes here: ICANN section only.
    ['me.github.io', ['me.github.io', 'github.io']],
    ['co.uk', []],
    ['com.au', []],
  ])('lists %s down to its base domain', (domain, expected) => {
    expect(authorizationDomainNames(domain)).toEqual(expected);
  });

  it.each<[string, string | undefined]>([
    ['sub.example.co.uk', 'example.co.uk'],
    ['*.example.com', 'example.com'],
    ['co.uk', undefined],
  ])('finds the base domain of %s', (domain, base) => {
    expect(baseDomainOf(domain)).toBe(base);
  });
});

describe('constructed addresses', () => {
  it('puts the five local parts at every ADN, most specific first', () => {
    expect(constructedEmails('sub.example.com')).toEqual([
      'admin@sub.example.com',
      'administrator@sub.example.com',
      'webmaster@sub.example.com',
      'hostmaster@sub.example.com',
      'postmaster@sub.example.com',
      'admin@example.com',
      'administrator@example.com',
      'webmaster@example.com',
      'hostmaster@example.com',
      'postmaster@example.com',
    ]);
  });

  it('starts at email_domain when one is given', () => {
    expect(constructedEmails('a.b.example.com', 'b.example.com')).toContain('admin@b.example.com');
    expect(constructedEmails('a.b.example.com', 'b.example.com')).not.toContain('admin@a.b.example.com');
  });

  it.each<[string, string, string | undefined, boolean]>([
    ['admin@example.com', 'sub.example.com', undefined, true],
    ['ADMIN@Example.COM', 'sub.example.com', undefined, true],
    ['Postmaster@SUB.example.com', 'sub.example.com', undefined, true],
    ['admin@other.example.com', 'sub.example.com', undefined, false],
    ['root@example.com', 'example.com', undefined, false],
    ['admin@example.com', '*.example.com', undefined, true],
    ['admin@co.uk', 'example.co.uk', undefined, false],
    ['admin@co.uk', 'example.co.uk', 'co.uk', false],
    ['admin@uk', 'example.co.uk', undefined, false],
    ['webmaster@example.co.uk', 'shop.example.co.uk', undefined, true],
    ['admin@bücher.example', 'www.xn--bcher-kva.example', undefined, true],
  ])('%s for %s (email_domain %s): %s', (email, domain, emailDomain, expected) => {
    expect(isConstructedEmail({ domain, email, email_domain: emailDomain })).toBe(expected);
  });

  it('compares whole addresses without regard to case', () => {
    expect(sameAddress('Alice@Example.com', 'alice@example.COM')).toBe(true);
    expect(sameAddress('alice@example.com', 'alice@example.co')).toBe(false);
    expect(sameAddress('alice+x@example.com', 'alice@example.com')).toBe(false);
  });
});

describe('TXT contact records', () => {
  it.each<[string[], string | undefined]>([
    [['dcv@example.com'], 'dcv@example.com'],
    [['dcv-', 'contact@example.com'], 'dcv-contact@example.com'],
    [[' dcv@Example.COM '], 'dcv@example.com'],
    [['v=spf1 -all'], undefined],
    [['a@example.com b@example.com'], undefined],
    [[''], undefined],
  ])('reads %j as %s', (chunks, expected) => {
    expect(txtContactAddress(chunks)).toBe(expected);
  });
});

describe('the CAA climb', () => {
  it('asks the domain and every parent up to the top-level domain, most specific first', () => {
    expect(caaClimb('*.a.b.example.co.uk')).toEqual([
      'a.b.example.co.uk',
      'b.example.co.uk',
      'example.co.uk',
      'co.uk',
    ]);
  });
});

describe('pre-check configuration', () => {
  it('defaults to warn with the system resolver', () => {
    expect(loadDcvConfig({})).toEqual({ precheck: 'warn', dnsServers: undefined });
  });

  it.each(['off', 'warn', 'enforce', 'ENFORCE'])('accepts DCV_PRECHECK=%s', (value) => {
    expect(loadDcvConfig({ DCV_PRECHECK: value }).precheck).toBe(value.toLowerCase());
  });

  it('names DCV_PRECHECK when its value is not a mode, without echoing the value', () => {
    const attempt = () => loadDcvConfig({ DCV_PRECHECK: 'strict-secret-ish' });
    expect(attempt).toThrow(ConfigurationError);
    expect(attempt).toThrow(/^DCV_PRECHECK must be one of off, warn, enforce$/);
  });

  it('reads DNS_SERVERS as IP addresses with optional ports', () => {
    expect(loadDcvConfig({ DNS_SERVERS: '127.0.0.1:5353, 10.0.0.2,[::1]:53' }).dnsServers).toEqual([
      '127.0.0.1:5353',
      '10.0.0.2',
      '[::1]:53',
    ]);
  });

  it.each(['dns.example.com', '127.0.0.1:99999', '300.1.1.1', '127.0.0.1,,'])(
    'names DNS_SERVERS when it holds %s',
    (value) => {
      expect(() => loadDcvConfig({ DNS_SERVERS: value })).toThrow(/^DNS_SERVERS must be/);
    },
  );
});
