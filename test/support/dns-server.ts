/**
 * DNS for pre-check tests: the loopback DNS stand-in of `dev/dns-server.ts` (dns2's UDP server
 * answering TXT, CAA and MX from a table) and a socket that never answers. Point `DNS_SERVERS`
 * at `server.address`.
 */
export { type DnsZone, LocalDnsServer, SilentDnsServer } from '../../dev/dns-server.js';

/** A zone that exercises every rule: constructed addresses, TXT contacts, CAA contacts, MX. */
export const EXAMPLE_ZONE = {
  txt: {
    // A contact published on the parent, split into two character-strings.
    '_validation-contactemail.example.com': [['dcv-', 'contact@example.com'], ['not an address']],
    '_validation-contactemail.xn--bcher-kva.example': [['kontakt@xn--bcher-kva.example']],
  },
  caa: {
    // The climb from shop.example.com finds this RRset.
    'example.com': [
      { tag: 'issue', value: 'digicert.com' },
      { tag: 'contactemail', value: 'pki@example.com' },
    ],
  },
  mx: {
    'example.com': ['mx.example.com'],
    'xn--bcher-kva.example': ['mx.xn--bcher-kva.example'],
    // Exists, but no MX: constructed addresses cannot receive mail.
    'nomail.example.org': [],
  },
} as const;
