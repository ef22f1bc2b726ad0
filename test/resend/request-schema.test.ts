import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../functions/lib/errors.js';
import {
  parseOrThrow,
  resendBodySchema,
  resendRequestSchema,
  toDigiCertBody,
} from '../../functions/resend/request-schema.js';

function rejection(input: unknown) {
  try {
    parseOrThrow(resendRequestSchema, input);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).issues;
  }
  throw new Error('expected a ValidationError');
}

const item = (fields: Record<string, unknown>) => ({ order_id: 1, domain_approval_emails: [fields] });

describe('request schema: accepted and normalised', () => {
  it.each([
    ['a numeric order id', { order_id: 123 }, { order_id: 123 }],
    ['a digit-string order id, normalised to a number', { order_id: '000123' }, { order_id: 123 }],
    ['a 12-digit order id', { order_id: '999999999999' }, { order_id: 999999999999 }],
    [
      'a mixed-case domain and mailbox domain, lower-cased',
      item({ domain: 'Example.COM', email: 'Admin@Example.COM' }),
      { order_id: 1, domain_approval_emails: [{ domain: 'example.com', email: 'Admin@example.com' }] },
    ],
    [
      'one leading wildcard label',
      item({ domain: '*.example.com', email: 'admin@example.com' }),
      { order_id: 1, domain_approval_emails: [{ domain: '*.example.com', email: 'admin@example.com' }] },
    ],
    [
      'an IDN, normalised to punycode',
      item({ domain: 'bücher.example', email: 'admin@bücher.example' }),
      {
        order_id: 1,
        domain_approval_emails: [{ domain: 'xn--bcher-kva.example', email: 'admin@xn--bcher-kva.example' }],
      },
    ],
    [
      'an IDN already in punycode',
      item({ domain: 'xn--bcher-kva.example', email: 'admin@xn--bcher-kva.example' }),
      {
        order_id: 1,
        domain_approval_emails: [{ domain: 'xn--bcher-kva.example', email: 'admin@xn--bcher-kva.example' }],
      },
    ],
    [
      'an email_domain that is a parent of the domain',
      item({ domain: 'sub.example2.com', email: 'admin@example2.com', email_domain: 'Example2.com' }),
      {
        order_id: 1,
        domain_approval_emails: [
          { domain: 'sub.example2.com', email: 'admin@example2.com', email_domain: 'example2.com' },
        ],
      },
    ],
    [
      'an email_domain equal to the domain',
      item({ domain: 'example.com', email: 'hostmaster@example.com', email_domain: 'example.com' }),
      {
        order_id: 1,
        domain_approval_emails: [
          { domain: 'example.com', email: 'hostmaster@example.com', email_domain: 'example.com' },
        ],
      },
    ],
    [
      'an email_domain that is the base of a wildcard',
      item({ domain: '*.shop.example.com', email: 'admin@example.com', email_domain: 'example.com' }),
      {
        order_id: 1,
        domain_approval_emails: [
          { domain: '*.shop.example.com', email: 'admin@example.com', email_domain: 'example.com' },
        ],
      },
    ],
    ['a two-letter locale', { order_id: 1, locale: 'en' }, { order_id: 1, locale: 'en' }],
    ['a language_REGION locale', { order_id: 1, locale: 'pt_BR' }, { order_id: 1, locale: 'pt_BR' }],
    [
      'a trailing dot on a domain, dropped',
      item({ domain: 'example.com.', email: 'a@example.com' }),
      {
        order_id: 1,
        domain_approval_emails: [{ domain: 'example.com', email: 'a@example.com' }],
      },
    ],
    [
      'a DNS TXT contact mailbox at another domain',
      item({ domain: 'example.com', email: 'pki.team+dcv@contacts.example.net' }),
      {
        order_id: 1,
        domain_approval_emails: [{ domain: 'example.com', email: 'pki.team+dcv@contacts.example.net' }],
      },
    ],
    [
      'a registrable domain under a multi-label public suffix, and its wildcard',
      item({ domain: '*.Example.co.uk', email: 'admin@example.co.uk', email_domain: 'example.co.uk' }),
      {
        order_id: 1,
        domain_approval_emails: [
          { domain: '*.example.co.uk', email: 'admin@example.co.uk', email_domain: 'example.co.uk' },
        ],
      },
    ],
    [
      "a domain under a TLD the list does not know (the list's default rule makes the TLD the suffix)",
      item({ domain: 'example.unknowntld', email: 'admin@example.unknowntld' }),
      {
        order_id: 1,
        domain_approval_emails: [{ domain: 'example.unknowntld', email: 'admin@example.unknowntld' }],
      },
    ],
    [
      'a name of the private section of the list (github.io), which DigiCert treats as registrable',
      item({ domain: 'github.io', email: 'admin@github.io' }),
      { order_id: 1, domain_approval_emails: [{ domain: 'github.io', email: 'admin@github.io' }] },
    ],
    [
      'an email_domain written with an ideographic full stop, normalised before the parent check',
      item({ domain: 'sub.example.com', email: 'admin@example.com', email_domain: 'example\u3002com' }),
      {
        order_id: 1,
        domain_approval_emails: [
          { domain: 'sub.example.com', email: 'admin@example.com', email_domain: 'example.com' },
        ],
      },
    ],
  ])('accepts %s', (_name, input, expected) => {
    expect(parseOrThrow(resendRequestSchema, input)).toEqual(expected);
  });

  it('accepts 100 approval emails', () => {
    const emails = Array.from({ length: 100 }, (_, i) => ({
      domain: `d${i}.example.com`,
      email: `admin@d${i}.example.com`,
    }));
    expect(
      parseOrThrow(resendRequestSchema, { order_id: 1, domain_approval_emails: emails })
        .domain_approval_emails,
    ).toHaveLength(100);
  });

  it('accepts a 254-character mailbox', () => {
    const domain = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(56)}.com`;
    const email = `x@${domain}`;
    expect(email).toHaveLength(254);
    expect(
      parseOrThrow(resendRequestSchema, item({ domain: 'example.com', email })).domain_approval_emails?.[0]
        ?.email,
    ).toBe(email);
  });
});

describe('request schema: rejected, naming the field and the rule', () => {
  it.each([
    ['a zero order id', { order_id: 0 }, 'order_id', /positive integer/],
    ['a negative order id', { order_id: -1 }, 'order_id', /positive integer/],
    ['a fractional order id', { order_id: 1.5 }, 'order_id', /positive integer/],
    ['a 13-digit order id', { order_id: '1234567890123' }, 'order_id', /12 digits/],
    ['a 13-digit numeric order id', { order_id: 1234567890123 }, 'order_id', /12 digits/],
    ['an exponent in an order id string', { order_id: '1e3' }, 'order_id', /positive integer/],
    ['letters in an order id', { order_id: '12a' }, 'order_id', /positive integer/],
    ['a signed order id string', { order_id: '+12' }, 'order_id', /positive integer/],
    ['a spaced order id string', { order_id: ' 12' }, 'order_id', /positive integer/],
    ['an order id beyond 2^53', { order_id: 2 ** 53 + 2 }, 'order_id', /positive integer/],
    ['a missing order id', {}, 'order_id', /positive integer/],
    ['an order id of the wrong type', { order_id: true }, 'order_id', /positive integer/],
    [
      'an unknown field (a typo)',
      { order_id: 1, domain_aproval_email: [] },
      'domain_aproval_email',
      /not a known field/,
    ],
    [
      'a __proto__ key',
      JSON.parse('{"order_id":1,"__proto__":{"polluted":true}}'),
      '__proto__',
      /not a known field/,
    ],
    ['a constructor key', { order_id: 1, constructor: {} }, 'constructor', /not a known field/],
    [
      'a URL as the domain',
      item({ domain: 'https://example.com/', email: 'admin@example.com' }),
      'domain_approval_emails.0.domain',
      /must be a domain name such as example\.com, not a URL/,
    ],
    [
      'an empty approval list',
      { order_id: 1, domain_approval_emails: [] },
      'domain_approval_emails',
      /at least 1/,
    ],
    [
      'an approval list that is not an array',
      { order_id: 1, domain_approval_emails: {} },
      'domain_approval_emails',
      /expected array/,
    ],
    [
      'a missing domain',
      item({ email: 'admin@example.com' }),
      'domain_approval_emails.0.domain',
      /is required/,
    ],
    ['a missing email', item({ domain: 'example.com' }), 'domain_approval_emails.0.email', /is required/],
    [
      'a single-label domain',
      item({ domain: 'localhost', email: 'a@example.com' }),
      'domain_approval_emails.0.domain',
      /fully qualified/,
    ],
    [
      'an IP address as domain',
      item({ domain: '192.0.2.1', email: 'a@example.com' }),
      'domain_approval_emails.0.domain',
      /IP address/,
    ],
    [
      'a wildcard in the middle',
      item({ domain: 'a.*.example.com', email: 'a@example.com' }),
      'domain_approval_emails.0.domain',
      /wildcard/,
    ],
    [
      'two wildcards',
      item({ domain: '*.*.example.com', email: 'a@example.com' }),
      'domain_approval_emails.0.domain',
      /wildcard/,
    ],
    [
      'an underscore in a domain',
      item({ domain: 'my_host.example.com', email: 'a@example.com' }),
      'domain_approval_emails.0.domain',
      /letters, digits or hyphens/,
    ],
    [
      'a label with a leading hyphen',
      item({ domain: '-a.example.com', email: 'a@example.com' }),
      'domain_approval_emails.0.domain',
      /hyphen/,
    ],
    [
      'a 64-character label',
      item({ domain: `${'a'.repeat(64)}.com`, email: 'a@example.com' }),
      'domain_approval_emails.0.domain',
      /1-63/,
    ],
    [
      'a CRLF in a domain',
      item({ domain: 'example.com\r\nX-Evil: 1', email: 'a@example.com' }),
      'domain_approval_emails.0.domain',
      /control characters/,
    ],
    [
      'a mailbox without @',
      item({ domain: 'example.com', email: 'admin.example.com' }),
      'domain_approval_emails.0.email',
      /email address/,
    ],
    [
      'a mailbox with a CRLF header injection',
      item({ domain: 'example.com', email: 'a@example.com\r\nBcc: x@evil.test' }),
      'domain_approval_emails.0.email',
      /control characters/,
    ],
    [
      'a mailbox with a display name',
      item({ domain: 'example.com', email: 'Admin <admin@example.com>' }),
      'domain_approval_emails.0.email',
      /control characters|local part/,
    ],
    [
      'a mailbox with two dots in a row',
      item({ domain: 'example.com', email: 'a..b@example.com' }),
      'domain_approval_emails.0.email',
      /local part/,
    ],
    [
      'a mailbox over 254 characters',
      item({
        domain: 'example.com',
        email: `${'a'.repeat(60)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.com`,
      }),
      'domain_approval_emails.0.email',
      /254/,
    ],
    [
      'an email_domain that is a bare TLD',
      item({ domain: 'example.com', email: 'admin@example.com', email_domain: 'com' }),
      'domain_approval_emails.0.email_domain',
      /top-level/,
    ],
    [
      'an email_domain that is not a parent',
      item({ domain: 'example.com', email: 'admin@other.com', email_domain: 'other.com' }),
      'domain_approval_emails.0.email_domain',
      /parent/,
    ],
    [
      'an email_domain that is a child',
      item({ domain: 'example.com', email: 'admin@sub.example.com', email_domain: 'sub.example.com' }),
      'domain_approval_emails.0.email_domain',
      /parent/,
    ],
    [
      'an email_domain that only shares a suffix',
      item({ domain: 'myexample.com', email: 'admin@example.com', email_domain: 'example.com' }),
      'domain_approval_emails.0.email_domain',
      /parent/,
    ],
    [
      'an unknown field in an item',
      item({ domain: 'example.com', email: 'a@example.com', emial: 'x' }),
      'domain_approval_emails.0.emial',
      /not a known field/,
    ],
    [
      'a public suffix as domain',
      item({ domain: 'co.uk', email: 'admin@example.co.uk' }),
      'domain_approval_emails.0.domain',
      /^is a public suffix \(co\.uk\); use a registrable domain such as example\.co\.uk$/,
    ],
    [
      'a wildcard over a public suffix',
      item({ domain: '*.co.uk', email: 'admin@example.co.uk' }),
      'domain_approval_emails.0.domain',
      /^is a public suffix \(co\.uk\); use a registrable domain such as \*\.example\.co\.uk$/,
    ],
    [
      'com.au as domain',
      item({ domain: 'com.au', email: 'admin@example.com.au' }),
      'domain_approval_emails.0.domain',
      /public suffix \(com\.au\)/,
    ],
    [
      'a name a wildcard rule of the list makes a suffix (*.kawasaki.jp)',
      item({ domain: 'foo.kawasaki.jp', email: 'admin@example.com' }),
      'domain_approval_emails.0.domain',
      /public suffix \(foo\.kawasaki\.jp\)/,
    ],
    [
      'a public suffix in Unicode as domain',
      item({ domain: '\u516c\u53f8.cn', email: 'admin@example.com' }),
      'domain_approval_emails.0.domain',
      /public suffix \(xn--55qx5d\.cn\)/,
    ],
    [
      'a public suffix as email_domain',
      item({ domain: 'shop.example.co.uk', email: 'admin@example.co.uk', email_domain: 'co.uk' }),
      'domain_approval_emails.0.email_domain',
      /^is a public suffix \(co\.uk\); use a registrable domain such as example\.co\.uk$/,
    ],
    [
      'a bare TLD with an ideographic full stop as email_domain',
      item({ domain: 'example.com', email: 'admin@example.com', email_domain: 'com\u3002' }),
      'domain_approval_emails.0.email_domain',
      /top-level/,
    ],
    [
      'invalid punycode as domain',
      item({ domain: 'xn--zz.com', email: 'admin@example.com' }),
      'domain_approval_emails.0.domain',
      /label "xn--zz" is not valid punycode/,
    ],
    [
      'invalid punycode below a valid name',
      item({ domain: 'xn--a.example.com', email: 'admin@example.com' }),
      'domain_approval_emails.0.domain',
      /label "xn--a" is not valid punycode/,
    ],
    [
      'invalid punycode in a mailbox',
      item({ domain: 'example.com', email: 'admin@xn--zz.com' }),
      'domain_approval_emails.0.email',
      /domain part .*not valid punycode/,
    ],
    [
      'invalid punycode as email_domain',
      item({ domain: 'example.com', email: 'admin@example.com', email_domain: 'xn--zz.com' }),
      'domain_approval_emails.0.email_domain',
      /not valid punycode/,
    ],
    ['an upper-case locale', { order_id: 1, locale: 'EN' }, 'locale', /locale code/],
    ['a locale with a hyphen', { order_id: 1, locale: 'en-US' }, 'locale', /locale code/],
    ['a locale of the wrong type', { order_id: 1, locale: 1 }, 'locale', /must be a string/],
  ])('rejects %s', (_name, input, field, rule) => {
    const issues = rejection(input);
    const issue = issues.find((i) => i.field === field);
    expect(issue, JSON.stringify(issues)).toBeDefined();
    expect(issue?.message).toMatch(rule);
  });

  it('rejects 101 approval emails', () => {
    const emails = Array.from({ length: 101 }, () => ({ domain: 'example.com', email: 'admin@example.com' }));
    const issues = rejection({ order_id: 1, domain_approval_emails: emails });
    expect(issues).toContainEqual(
      expect.objectContaining({
        field: 'domain_approval_emails',
        message: expect.stringMatching(/at most 100/),
      }),
    );
  });

  it('reports every problem of a request, not only the first', () => {
    const issues = rejection({ order_id: 0, locale: 'EN', extra: 1 });
    expect(issues.map((i) => i.field).sort()).toEqual(['extra', 'locale', 'order_id']);
  });

  it('reports at most 50 problems, then one entry saying how many more there were', () => {
    const emails = Array.from({ length: 100 }, () => ({ domain: 'co.uk', email: 'x', email_domain: 'com' }));
    const issues = rejection({ order_id: 0, domain_approval_emails: emails, locale: 'EN' });
    expect(issues).toHaveLength(51);
    expect(issues[0]?.field).toBe('order_id');
    expect(issues[50]).toEqual({
      field: '',
      code: 'invalid_input',
      message: 'and 152 more problems not listed (only the first 50 are reported)',
    });
  });

  it('cuts a very long unknown key in the field it reports', () => {
    const issues = rejection({ order_id: 1, ['k'.repeat(10_000)]: 1 });
    expect(issues[0]?.field).toBe(`${'k'.repeat(64)}…`);
  });

  it('codes order id problems as invalid_order_id and the others as invalid_input', () => {
    const issues = rejection({ order_id: 0, locale: 'EN' });
    expect(issues.find((i) => i.field === 'order_id')?.code).toBe('invalid_order_id');
    expect(issues.find((i) => i.field === 'locale')?.code).toBe('invalid_input');
  });
});

describe('the DigiCert body', () => {
  it('is every validated field except order_id', () => {
    const request = parseOrThrow(resendRequestSchema, {
      order_id: '42',
      domain_approval_emails: [
        { domain: 'sub.example2.com', email: 'admin@example2.com', email_domain: 'example2.com' },
      ],
      locale: 'en',
    });
    expect(toDigiCertBody(request)).toEqual({
      domain_approval_emails: [
        { domain: 'sub.example2.com', email: 'admin@example2.com', email_domain: 'example2.com' },
      ],
      locale: 'en',
    });
  });

  it('is empty when only the order id was given', () => {
    expect(toDigiCertBody(parseOrThrow(resendRequestSchema, { order_id: 42 }))).toEqual({});
  });

  it('rejects order_id inside the HTTP body, where the path carries it', () => {
    expect(() => parseOrThrow(resendBodySchema, { order_id: 1 })).toThrow(/order_id: is not a known field/);
  });
});

describe('request schema: rules remembered across requests', () => {
  const body = (domain: string, emailDomain: string) => ({
    domain_approval_emails: [{ domain, email: `admin@${emailDomain}`, email_domain: emailDomain }],
  });

  it('gives each (domain, email_domain) pair its own verdict, however often each was seen', () => {
    for (let round = 0; round < 3; round++) {
      expect(resendBodySchema.safeParse(body('www.Example.com', 'example.com')).success).toBe(true);
      expect(resendBodySchema.safeParse(body('www.example.com', 'other.com')).success).toBe(false);
      expect(resendBodySchema.safeParse(body('example.com', 'co.uk')).success).toBe(false);
    }
  });

  it('still judges every value once more distinct values than it remembers have been seen', () => {
    for (let i = 0; i < 600; i++) {
      const parsed = resendBodySchema.safeParse(body(`www.d${i}.example.com`, `d${i}.example.com`));
      expect(parsed.success).toBe(true);
    }
    expect(resendBodySchema.safeParse(body('www.d0.example.com', 'd1.example.com')).success).toBe(false);
  });
});
