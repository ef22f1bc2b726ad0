/**
 * The ICANN section of the Public Suffix List (through `tldts-icann`, which ships that section
 * only, a lighter bundle than `tldts`): names under which anyone can register a domain (`com`, `co.uk`, `com.au`, `*.kawasaki.jp`). Such a name is never a domain a
 * certificate or a DCV email can be about (docs/contract.md §1). The private section (`github.io`,
 * `blogspot.com`) is left out: those are registrable domains as far as DigiCert is concerned.
 */
import { getPublicSuffix } from 'tldts-icann';

const OPTIONS = {
  allowPrivateDomains: false,
  // The name is already validated and normalised to lower-case ASCII by dcv-rules.
  extractHostname: false,
  validateHostname: false,
  detectIp: false,
  mixedInputs: false,
} as const;

/**
 * `host`'s public suffix when `host` is itself one, `undefined` when it is registrable or below.
 * A TLD the list does not know counts as a suffix by the list's default rule (`*`), so
 * `example.unknowntld` stays a registrable domain.
 */
export function publicSuffixItself(host: string): string | undefined {
  const suffix = getPublicSuffix(host, OPTIONS);
  return suffix !== null && suffix === host ? suffix : undefined;
}
