/**
 * The pre-check's DNS adapter against a real DNS server on loopback (dns2): TXT chunks, CAA with
 * its climb, MX, caching, and a resolver that never answers (bounded, paid once).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caaContacts, DnsLookupError, dcvEmailView } from '../../functions/dcv/precheck/check.js';
import { NodeDnsLookup } from '../../functions/dns/lookup.js';
import { EXAMPLE_ZONE, LocalDnsServer, SilentDnsServer } from '../support/dns-server.js';

let dns: LocalDnsServer;
let silent: SilentDnsServer;

beforeAll(async () => {
  [dns, silent] = await Promise.all([LocalDnsServer.start(EXAMPLE_ZONE), SilentDnsServer.start()]);
});
afterAll(async () => {
  await Promise.all([dns.close(), silent.close()]);
});

describe('NodeDnsLookup against a loopback DNS server', () => {
  it('returns TXT records as their character-strings', async () => {
    const lookup = new NodeDnsLookup({ servers: [dns.address] });
    expect(await lookup.txt('_validation-contactemail.example.com')).toEqual([
      ['dcv-', 'contact@example.com'],
      ['not an address'],
    ]);
  });

  it('answers empty for a name without records and for a name that does not exist', async () => {
    const lookup = new NodeDnsLookup({ servers: [dns.address] });
    expect(await lookup.txt('_validation-contactemail.nomail.example.org')).toEqual([]);
    expect(await lookup.hasMx('nomail.example.org')).toBe(false);
    expect(await lookup.hasMx('example.com')).toBe(true);
  });

  it('finds CAA contactemail on the nearest ancestor with a CAA RRset', async () => {
    const lookup = new NodeDnsLookup({ servers: [dns.address] });
    expect(await caaContacts(lookup, 'deep.shop.example.com')).toEqual(['pki@example.com']);
    expect(await caaContacts(lookup, 'example.org')).toEqual([]);
  });

  it('asks DNS once per name while the answer is cached', async () => {
    const lookup = new NodeDnsLookup({ servers: [dns.address] });
    const before = dns.queries.filter((q) => q === 'MX cached.example.com').length;
    await Promise.all([lookup.hasMx('cached.example.com'), lookup.hasMx('cached.example.com')]);
    await lookup.hasMx('cached.example.com');
    expect(dns.queries.filter((q) => q === 'MX cached.example.com').length - before).toBe(1);
  });

  it('builds the whole view of a domain from concurrent lookups', async () => {
    const lookup = new NodeDnsLookup({ servers: [dns.address] });
    const view = await dcvEmailView(lookup, 'shop.example.com');
    expect(view).toMatchObject({
      domain: 'shop.example.com',
      base_domain: 'example.com',
      dns_txt_emails: ['dcv-contact@example.com'],
      caa_emails: ['pki@example.com'],
      has_mx: false,
    });
    expect(view.constructed_emails).toHaveLength(10);
    expect(view.dns_errors).toBeUndefined();
  });
});

describe('a resolver that never answers', () => {
  it('fails each lookup within a bounded time, then fails at once for that name without asking again', async () => {
    const lookup = new NodeDnsLookup({ servers: [silent.address], timeoutMs: 200, circuitMs: 60_000 });
    const started = Date.now();
    const first = await lookup.txt('_validation-contactemail.example.com').catch((e: unknown) => e);
    const elapsed = Date.now() - started;
    expect(first).toBeInstanceOf(DnsLookupError);
    expect(elapsed).toBeLessThan(2_000);
    const asked = silent.received;
    expect(asked).toBeGreaterThan(0);

    const again = await lookup.txt('_validation-contactemail.example.com').catch((e: unknown) => e);
    expect(again).toMatchObject({ code: 'dns_unavailable' });
    expect(silent.received).toBe(asked);

    const view = await dcvEmailView(lookup, 'a.b.example.net');
    expect(view.dns_errors?.length).toBeGreaterThan(0);
    expect(view.has_mx).toBeNull();
  });
});

describe('a name that never answers', () => {
  it('stops asking for that name only: other names are still looked up', async () => {
    const partlySilent = await LocalDnsServer.start({ ...EXAMPLE_ZONE, silent: ['blackhole.example.net'] });
    try {
      const lookup = new NodeDnsLookup({
        servers: [partlySilent.address],
        timeoutMs: 200,
        circuitMs: 60_000,
      });
      const silentName = 'MX blackhole.example.net';

      const first = await lookup.hasMx('blackhole.example.net').catch((e: unknown) => e);
      const again = await lookup.hasMx('blackhole.example.net').catch((e: unknown) => e);
      const healthy = await lookup.hasMx('example.com');

      expect(first).toBeInstanceOf(DnsLookupError);
      expect(again).toMatchObject({ code: 'dns_unavailable' });
      expect(partlySilent.queries.filter((q) => q === silentName)).toHaveLength(1);
      expect(healthy).toBe(true);
      expect(partlySilent.queries).toContain('MX example.com');
    } finally {
      await partlySilent.close();
    }
  });
});
