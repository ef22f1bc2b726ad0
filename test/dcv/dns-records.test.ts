/** The records that prove an order's domains to DigiCert (docs/contract.md §12): names, types, values. */
import { describe, expect, it } from 'vitest';
import { dnsRecordsFor } from '../../functions/dcv/dns/records.js';

const VALUE = 'fdy6m0wy5lq063sz4h0r6qmdt722gyfc';

describe('dnsRecordsFor', () => {
  it('puts the random value in a TXT record at each domain itself', () => {
    const records = dnsRecordsFor(['example.com', 'shop.example.com'], 'dns-txt-token', VALUE, 'domain');

    expect(records).toEqual([
      { name: 'example.com', type: 'TXT', value: VALUE },
      { name: 'shop.example.com', type: 'TXT', value: VALUE },
    ]);
  });

  it('puts the TXT record at _dnsauth.<name> when that is the configured location', () => {
    const records = dnsRecordsFor(['example.com'], 'dns-txt-token', VALUE, '_dnsauth');

    expect(records).toEqual([{ name: '_dnsauth.example.com', type: 'TXT', value: VALUE }]);
  });

  it('points _dnsauth.<name> at <random>.dcv.digicert.com for the CNAME method, whatever the TXT location', () => {
    const records = dnsRecordsFor(['example.com'], 'dns-cname-token', VALUE, 'domain');

    expect(records).toEqual([
      { name: '_dnsauth.example.com', type: 'CNAME', value: `${VALUE}.dcv.digicert.com` },
    ]);
  });

  it.each([
    ['dns-txt-token', 'domain', 'example.com'],
    ['dns-txt-token', '_dnsauth', '_dnsauth.example.com'],
    ['dns-cname-token', 'domain', '_dnsauth.example.com'],
  ] as const)('proves a wildcard at its base name (%s, %s)', (method, txtName, name) => {
    const records = dnsRecordsFor(['*.example.com'], method, VALUE, txtName);

    expect(records.map((record) => record.name)).toEqual([name]);
  });

  it('merges a wildcard with its base name, and names that differ only in case or a trailing dot', () => {
    const records = dnsRecordsFor(
      ['example.com', '*.example.com', 'WWW.Example.com.', 'www.example.com'],
      'dns-txt-token',
      VALUE,
      'domain',
    );

    expect(records.map((record) => record.name)).toEqual(['example.com', 'www.example.com']);
  });

  it('answers no records for an order without names', () => {
    expect(dnsRecordsFor([], 'dns-txt-token', VALUE, 'domain')).toEqual([]);
  });
});
