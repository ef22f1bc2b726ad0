/**
 * The pure rules of the DCV pre-check (docs/contract.md §9): Authorization Domain Names by the ICANN
 * section of the Public Suffix List, the constructed addresses, matching, TXT contact records, and the
 * CAA climb (its configuration is tested with the rest, in test/app/config.test.ts).
 */
import { describe, expect, it } from 'vitest';
import {
  authorizationDomainNames,
  baseDomainOf,
  caaClimb,
  constructedEmails,
  isConstructedEmail,
  sameAddress,
  txtContactAddress,
} from '../../functions/dcv/precheck/check.js';

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
