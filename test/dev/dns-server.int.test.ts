/**
 * The loopback DNS stand-in's CNAME answers and its `records` callback (a Route 53 stand-in's
 * record sets served through it), read with Node's own resolver as the simulator and the pre-check
 * read it.
 */
import { Resolver } from 'node:dns/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type DnsNameRecords, LocalDnsServer } from '../../dev/dns-server.js';

let dns: LocalDnsServer;
let resolver: Resolver;

beforeAll(async () => {
  dns = await LocalDnsServer.start();
  resolver = new Resolver({ timeout: 1_000, tries: 1 });
  resolver.setServers([dns.address]);
});
afterAll(() => dns.close());
beforeEach(() => {
  dns.setZone({});
  dns.queries.length = 0;
});

const code = (promise: Promise<unknown>) =>
  promise.then(
    () => 'answered',
    (error: { code?: string }) => error.code,
  );

describe('CNAME', () => {
  it('answers a CNAME question with the target', async () => {
    dns.setZone({ cname: { '_dnsauth.example.com': 'abc.dcv.digicert.com' } });

    await expect(resolver.resolveCname('_dnsauth.example.com')).resolves.toEqual(['abc.dcv.digicert.com']);
  });

  it("answers a TXT question at an alias with the target's TXT when the target is known", async () => {
    dns.setZone({
      cname: { '_dnsauth.example.com': 'delegated.example.net' },
      txt: { 'delegated.example.net': [['value']] },
    });

    await expect(resolver.resolveTxt('_dnsauth.example.com')).resolves.toEqual([['value']]);
  });

  it('answers a CNAME loop with no TXT, after a bounded number of hops', async () => {
    dns.setZone({ cname: { 'a.example': 'b.example', 'b.example': 'a.example' } });

    const answer = await resolver.resolveTxt('a.example').catch(() => []);

    expect(answer).toEqual([]);
  });
});

describe('the records callback', () => {
  it('answers from the callback, and from the tables for the names it does not know', async () => {
    const sets = new Map<string, DnsNameRecords>([
      ['example.com', { txt: [['from-callback']] }],
      ['_dnsauth.example.org', { cname: 'xyz.dcv.digicert.com' }],
    ]);
    dns.setZone({ txt: { 'example.net': [['from-table']] }, records: (name) => sets.get(name) });

    await expect(resolver.resolveTxt('example.com')).resolves.toEqual([['from-callback']]);
    await expect(resolver.resolveCname('_dnsauth.example.org')).resolves.toEqual(['xyz.dcv.digicert.com']);
    await expect(resolver.resolveTxt('example.net')).resolves.toEqual([['from-table']]);
  });

  it('reads the callback at each question, so a record published later is seen', async () => {
    const sets = new Map<string, DnsNameRecords>();
    dns.setZone({ records: (name) => sets.get(name) });
    const before = await code(resolver.resolveTxt('example.com'));

    sets.set('example.com', { txt: [['now']] });

    expect(before).toBe('ENOTFOUND');
    await expect(resolver.resolveTxt('example.com')).resolves.toEqual([['now']]);
  });

  it('answers NODATA for a known name without the asked type, NXDOMAIN for an unknown one', async () => {
    dns.setZone({ records: (name) => (name === 'example.com' ? { txt: [['x']] } : undefined) });

    expect(await code(resolver.resolveCname('example.com'))).toBe('ENODATA');
    expect(await code(resolver.resolveTxt('unknown.example.com'))).toBe('ENOTFOUND');
  });
});
