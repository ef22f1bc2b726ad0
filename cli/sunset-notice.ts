/**
 * The one-line email-DCV sunset notice the CLI prints once per run (docs/contract.md §9), on stderr
 * and never with `--json`, `--help` or a usage error (exit 2). Its pointer is a README section
 * heading that exists (test/cli/check.int.test.ts checks it).
 */
export const EMAIL_DCV_SUNSET_NOTICE =
  'note: email DCV is being retired (CA/Browser Forum ballot SC-090: SHOULD NOT from 2026-03-15, MUST NOT from 2028-03-15); move to DNS TXT, DNS CNAME or HTTP file validation (see README.md#email-dcv-is-being-phased-out, "Email DCV is being phased out")';
