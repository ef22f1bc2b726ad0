/**
 * The DCV pre-check and the email-DCV sunset (docs/contract.md §2, §9) end to end: the real handler
 * with the DigiCert simulator, the Secrets Manager stand-in, and a real DNS server on loopback.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeContext, httpV2Event } from '../../dev/lambda-events.js';
import { ValidationError } from '../../functions/lib/errors.js';
import { EXAMPLE_ZONE, LocalDnsServer, SilentDnsServer } from '../support/dns-server.js';
import { type Harness, startHarness } from '../support/harness.js';

let h: Harness;
let dns: LocalDnsServer;
let silent: SilentDnsServer;

beforeAll(async () => {
  [h, dns, silent] = await Promise.all([
    startHarness(),
    LocalDnsServer.start(EXAMPLE_ZONE),
    SilentDnsServer.start(),
  ]);
});
afterAll(async () => {
  await Promise.all([h.close(), dns.close(), silent.close()]);
});
beforeEach(() => h.reset());

const env = (mode: string, servers = dns.address) => ({ DCV_PRECHECK: mode, DNS_SERVERS: servers });

type Item = { domain: string; email: string; email_domain?: string };

async function put(mode: string, items: Item[], orderId = '123', servers?: string) {
  const event = httpV2Event({ orderId, body: JSON.stringify({ domain_approval_emails: items }) });
  const response = await h.handler(env(mode, servers))(event, fakeContext());
  if (!('statusCode' in response)) throw new Error('expected an HTTP response');
  return response;
}

function errors(response: { body: string }) {
  return (JSON.parse(response.body) as { errors: { code: string; message: string; field?: string }[] })
    .errors;
}

const logLines = () => h.logs.map((line) => JSON.parse(line) as Record<string, unknown>);

describe('enforce', () => {
  it('refuses an address that matches nothing with 400 dcv_email_not_allowed, before DigiCert is called', async () => {
    const response = await put('enforce', [{ domain: 'shop.example.com', email: 'bob@example.com' }]);

    expect(response.statusCode).toBe(400);
    const [entry] = errors(response);
    expect(entry).toMatchObject({ code: 'dcv_email_not_allowed', field: 'domain_approval_emails.0.email' });
    expect(entry?.message).toContain('admin@shop.example.com');
    expect(entry?.message).toContain('dcv-contact@example.com');
    expect(entry?.message).toContain('pki@example.com');
    expect(h.simulator.received).toBe(0);
  });

  it.each<[string, Item]>([
    ['a constructed address at a parent', { domain: 'shop.example.com', email: 'Admin@Example.com' }],
    ['a TXT contact published on a parent', { domain: 'shop.example.com', email: 'dcv-contact@example.com' }],
    ['a CAA contactemail found by climbing', { domain: 'deep.shop.example.com', email: 'pki@example.com' }],
    ['an IDN given in Unicode', { domain: 'www.bücher.example', email: 'kontakt@bücher.example' }],
    [
      'a constructed address at email_domain',
      { domain: 'a.b.example.com', email: 'hostmaster@b.example.com', email_domain: 'b.example.com' },
    ],
  ])('sends %s', async (_, item) => {
    const response = await put('enforce', [item]);
    expect(response.statusCode).toBe(204);
    expect(h.simulator.received).toBe(1);
  });

  it('never allows a constructed address at a public suffix', async () => {
    const response = await put('enforce', [
      { domain: 'example.co.uk', email: 'admin@co.uk', email_domain: 'co.uk' },
    ]);
    expect(response.statusCode).toBe(400);
    // The request schema refuses the public suffix before the pre-check runs (docs/contract.md §1).
    expect(errors(response)[0]).toMatchObject({
      field: 'domain_approval_emails.0.email_domain',
      message: expect.stringMatching(/public suffix \(co\.uk\)/),
    });
    expect(h.simulator.received).toBe(0);
  });

  it('names every refused address, by position', async () => {
    const response = await put('enforce', [
      { domain: 'example.com', email: 'admin@example.com' },
      { domain: 'example.com', email: 'nobody@example.com' },
    ]);
    expect(errors(response).map((e) => e.field)).toEqual(['domain_approval_emails.1.email']);
  });

  it('lets the resend through when DNS does not answer, waiting a bounded time once', async () => {
    const handler = h.handler(env('enforce', silent.address));
    const event = () =>
      httpV2Event({
        body: JSON.stringify({ domain_approval_emails: [{ domain: 'example.net', email: 'x@example.net' }] }),
      });

    const first = await handler(event(), fakeContext());
    const asked = silent.received;
    const second = await handler(event(), fakeContext());

    expect(first).toMatchObject({ statusCode: 204 });
    expect(second).toMatchObject({ statusCode: 204 });
    expect(asked).toBeGreaterThan(0);
    expect(silent.received).toBe(asked);
    expect(logLines().some((l) => String(l.message).includes('DNS could not say'))).toBe(true);
  });

  it('still refuses a wrong address on a healthy domain after another name timed out', async () => {
    const partlySilent = await LocalDnsServer.start({ ...EXAMPLE_ZONE, silent: ['blackhole.example.net'] });
    try {
      const handler = h.handler(env('enforce', partlySilent.address));
      const request = (domain: string, email: string) =>
        httpV2Event({ body: JSON.stringify({ domain_approval_emails: [{ domain, email }] }) });

      const silentName = await handler(
        request('blackhole.example.net', 'x@blackhole.example.net'),
        fakeContext(),
      );
      const healthy = await handler(request('shop.example.com', 'bob@example.com'), fakeContext());

      expect(silentName).toMatchObject({ statusCode: 204 });
      expect(partlySilent.queries).toContain('TXT _validation-contactemail.blackhole.example.net');
      expect(healthy).toMatchObject({ statusCode: 400 });
      expect(errors(healthy as { body: string })[0]).toMatchObject({ code: 'dcv_email_not_allowed' });
      expect(h.simulator.received).toBe(1);
    } finally {
      await partlySilent.close();
    }
  });

  it('asks DNS at most 64 distinct questions for 100 emails on deep domains, and still answers', async () => {
    const counting = await LocalDnsServer.start(EXAMPLE_ZONE);
    try {
      // 20 labels each: 39 lookups for the first email, 3 more for each further one.
      const deep = `${'l.'.repeat(17)}example.com`;
      const items = Array.from({ length: 100 }, (_, i) => ({
        domain: `d${i}.${deep}`,
        email: 'dcv-contact@example.com',
      }));

      const response = await put('enforce', items, '125', counting.address);

      expect(response.statusCode).toBe(204);
      expect(new Set(counting.queries).size).toBeLessThanOrEqual(64);
      expect(counting.queries.length).toBeLessThanOrEqual(64);
      const limited = logLines().filter((l) => String(l.message).includes('bound of 64 DNS lookups'));
      expect(limited).toHaveLength(1);
      expect(limited[0]?.message).toMatch(/; \d+ approval email\(s\) were not verified .* not blocked/);
      expect(logLines().filter((l) => l.DcvPrecheckLookupLimit === 1)).toHaveLength(1);
      expect(logLines().filter((l) => l.DcvPrecheckDnsFailures === 1)).toHaveLength(0);
      expect(h.simulator.received).toBe(1);
    } finally {
      await counting.close();
    }
  });

  it('still refuses a wrong address within the bound when constructed addresses come first', async () => {
    const items = [
      ...Array.from({ length: 60 }, (_, i) => ({
        domain: `c${i}.example.com`,
        email: `admin@c${i}.example.com`,
      })),
      { domain: 'shop.example.com', email: 'bob@example.com' },
    ];

    const response = await put('enforce', items, '126');

    expect(response.statusCode).toBe(400);
    expect(errors(response).map((e) => e.field)).toEqual(['domain_approval_emails.60.email']);
  });

  it('refuses a direct invocation with ValidationError', async () => {
    const handler = h.handler(env('enforce'));
    const run = handler(
      { order_id: 7, domain_approval_emails: [{ domain: 'example.com', email: 'root@example.com' }] },
      fakeContext(),
    );
    await expect(run).rejects.toBeInstanceOf(ValidationError);
    await expect(run).rejects.toThrow(
      /domain_approval_emails\.0\.email: root@example\.com is not an address/,
    );
    expect(h.simulator.received).toBe(0);
  });

  it('fails only the refused orders of a batch', async () => {
    const handler = h.handler(env('enforce'));
    const run = handler(
      {
        orders: [
          { order_id: 1, domain_approval_emails: [{ domain: 'example.com', email: 'admin@example.com' }] },
          { order_id: 2, domain_approval_emails: [{ domain: 'example.com', email: 'root@example.com' }] },
          { order_id: 3 },
        ],
      },
      fakeContext(),
    );
    const error = await run.catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'BatchError' });
    const summary = JSON.parse((error as Error).message) as {
      sent: number;
      results: { order_id: number; code?: string }[];
    };
    expect(summary.sent).toBe(2);
    expect(summary.results[1]).toMatchObject({ order_id: 2, code: 'dcv_email_not_allowed' });
    expect(h.simulator.requestsFor(2)).toHaveLength(0);
  });
});

describe('warn (the default)', () => {
  it('sends an address that matches nothing, then logs and counts the mismatch', async () => {
    const response = await put('warn', [{ domain: 'shop.example.com', email: 'bob@example.com' }]);

    expect(response.statusCode).toBe(204);
    expect(h.simulator.received).toBe(1);
    await vi.waitFor(() => {
      const warning = logLines().find((l) => String(l.message).includes('cannot approve'));
      expect(warning).toMatchObject({ level: 'WARN', field: 'domain_approval_emails.0.email', orderId: 123 });
      expect(logLines().some((l) => l.DcvPrecheckMismatches === 1)).toBe(true);
    });
  });

  it('says when the domain has no MX', async () => {
    const response = await put('warn', [{ domain: 'nomail.example.org', email: 'admin@nomail.example.org' }]);

    expect(response.statusCode).toBe(204);
    await vi.waitFor(() => {
      expect(logLines().some((l) => String(l.message).includes('nomail.example.org has no MX record'))).toBe(
        true,
      );
    });
  });

  it('does not check a request without domain_approval_emails', async () => {
    const before = dns.queries.length;
    const response = await h.handler(env('warn'))(httpV2Event({ body: '' }), fakeContext());
    expect(response).toMatchObject({ statusCode: 204 });
    expect(dns.queries.length).toBe(before);
  });
});

describe('off', () => {
  it('sends without asking DNS', async () => {
    const before = dns.queries.length;
    const response = await put('off', [{ domain: 'shop.example.com', email: 'bob@example.com' }], '124');
    expect(response.statusCode).toBe(204);
    expect(dns.queries.length).toBe(before);
  });
});

describe('the email-DCV sunset', () => {
  it('marks every 204 with Sunset and a Link to the CA/Browser Forum ballot', async () => {
    const response = await put('off', [{ domain: 'example.com', email: 'admin@example.com' }]);
    expect(response.headers.sunset).toBe('Wed, 15 Mar 2028 00:00:00 GMT');
    expect(response.headers.link).toMatch(
      /^<https:\/\/cabforum\.org\/2025\/[^>]+sc-090[^>]*>; rel="sunset"$/,
    );
  });
});

describe('GET /domain/{domain}/dcv/emails', () => {
  async function get(domain: string, servers = dns.address) {
    const event = httpV2Event({ method: 'GET', path: `/domain/${encodeURIComponent(domain)}/dcv/emails` });
    const response = await h.handler(env('warn', servers))(event, fakeContext());
    if (!('statusCode' in response)) throw new Error('expected an HTTP response');
    return response;
  }

  it('answers the derived view and DigiCert own list', async () => {
    const response = await get('shop.example.com');

    expect(response.statusCode).toBe(200);
    const body = JSON.parse(response.body) as Record<string, unknown>;
    expect(body).toMatchObject({
      domain: 'shop.example.com',
      base_domain: 'example.com',
      dns_txt_emails: ['dcv-contact@example.com'],
      caa_emails: ['pki@example.com'],
      has_mx: false,
      digicert: { status: 200, emails: { name_scope: 'shop.example.com' } },
    });
    expect(body.constructed_emails).toContain('postmaster@example.com');
    const [call] = h.simulator.requests;
    expect(call).toMatchObject({ method: 'GET', path: '/services/v2/domain/shop.example.com/dcv/emails' });
  });

  it('reports a 403 from DigiCert in the body and still answers 200', async () => {
    h.simulator.scriptDomain('example.com', { kind: 'forbidden' });
    const response = await get('example.com');

    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({
      has_mx: true,
      digicert: { status: 403, errors: [{ code: 'access_denied|missing_permission' }] },
    });
  });

  it('normalises an IDN to punycode', async () => {
    const response = await get('www.bücher.example');
    expect(JSON.parse(response.body)).toMatchObject({
      domain: 'www.xn--bcher-kva.example',
      dns_txt_emails: ['kontakt@xn--bcher-kva.example'],
    });
  });

  it.each(['not a domain', 'co.uk', 'localhost'])('answers 400 naming domain for %j', async (domain) => {
    const response = await get(domain);
    expect(response.statusCode).toBe(400);
    expect(errors(response)[0]).toMatchObject({ code: 'invalid_input', field: 'domain' });
    expect(h.simulator.received).toBe(0);
  });

  it('answers 405 with Allow: GET for another method', async () => {
    const event = httpV2Event({ method: 'PUT', path: '/domain/example.com/dcv/emails' });
    const response = await h.handler()(event, fakeContext());
    expect(response).toMatchObject({ statusCode: 405, headers: { allow: 'GET' } });
  });
});

describe('DCV_PRECHECK configuration', () => {
  it('fails a direct caller with ConfigurationError naming the variable, and an HTTP caller with 500', async () => {
    const handler = h.handler.bind(h);
    expect(() => handler({ DCV_PRECHECK: 'strict' })).toThrow(
      /^DCV_PRECHECK must be one of off, warn, enforce$/,
    );

    const { createHandler } = await import('../../functions/resend-dcv-emails/handler.js');
    const broken = createHandler(() => h.runtime({ DCV_PRECHECK: 'strict' }));
    await expect(broken({ order_id: 1 }, fakeContext())).rejects.toMatchObject({
      name: 'ConfigurationError',
      message: expect.stringContaining('DCV_PRECHECK'),
    });
    const response = await broken(httpV2Event({ body: '' }), fakeContext());
    expect(response).toMatchObject({ statusCode: 500 });
    expect(JSON.stringify(response)).not.toContain('strict');
  });
});
