/**
 * The DNS records that prove control of an order's domains to DigiCert (docs/contract.md §12,
 * docs/dns-dcv.md "What it changes in a zone"): the random value as a TXT record at the
 * domain (or at `_dnsauth.<domain>`, `DNS_DCV_TXT_NAME`), or a CNAME from `_dnsauth.<domain>` to
 * `<random value>.dcv.digicert.com`. A wildcard (`*.example.com`) is proven at its base name.
 * Pure.
 */
import type { DnsDcvMethod, DnsDcvTxtName } from '../../app/contract.js';

/** Where DigiCert's CNAME method points. */
export const DIGICERT_DCV_CNAME_SUFFIX = 'dcv.digicert.com';

/** One record to publish (names lowercase, without a trailing dot). */
export interface DnsDcvRecord {
  readonly name: string;
  readonly type: 'TXT' | 'CNAME';
  readonly value: string;
}

/**
 * The records for `dnsNames` (the order's common name and SANs), one per distinct name: a wildcard
 * and its base name, or a name given twice, share one record.
 */
export function dnsRecordsFor(
  dnsNames: readonly string[],
  method: DnsDcvMethod,
  randomValue: string,
  txtName: DnsDcvTxtName,
): DnsDcvRecord[] {
  const records = new Map<string, DnsDcvRecord>();
  for (const dnsName of dnsNames) {
    const base = baseName(dnsName);
    if (base === '') continue;
    const record: DnsDcvRecord =
      method === 'dns-cname-token'
        ? { name: `_dnsauth.${base}`, type: 'CNAME', value: `${randomValue}.${DIGICERT_DCV_CNAME_SUFFIX}` }
        : { name: txtName === '_dnsauth' ? `_dnsauth.${base}` : base, type: 'TXT', value: randomValue };
    if (!records.has(record.name)) records.set(record.name, record);
  }
  return [...records.values()];
}

/** The name DigiCert checks for `dnsName`: lowercase, no trailing dot, a wildcard's base name. */
export function baseName(dnsName: string): string {
  const name = dnsName.trim().toLowerCase().replace(/\.$/, '');
  return name.startsWith('*.') ? name.slice(2) : name;
}
