/**
 * The OpenAPI description of `GET /domain/{domain}/dcv/emails` (docs/contract.md §9), kept apart
 * from `openapi.ts` so the resend route's document reads on its own.
 */
type ErrorResponse = (
  description: string,
  examples: Record<string, unknown>,
  headers?: Record<string, unknown>,
) => unknown;

const emails = (description: string, example: string[]) => ({
  type: 'array',
  items: { type: 'string', format: 'email' },
  description,
  examples: [example],
});

/** The `paths` entry of the route; `errorResponse` is the document's own error-response builder. */
export function dcvEmailsPath(errorResponse: ErrorResponse): Record<string, unknown> {
  return {
    '/domain/{domain}/dcv/emails': {
      get: {
        operationId: 'listDcvEmails',
        summary: 'List the addresses that may approve a domain by email',
        description:
          "What the CA/Browser Forum rules and DNS say may approve the domain by email (constructed addresses at each Authorization Domain Name down to the base domain, `_validation-contactemail` TXT contacts, CAA `contactemail`), whether it has MX records, and DigiCert's own answer from `GET /domain/{domain}/dcv/emails` when the key may read it (a DigiCert refusal is reported in `digicert`, not as the status). Only the DigiCert part uses the key's request budget.",
        parameters: [
          {
            name: 'domain',
            in: 'path',
            required: true,
            description:
              'A fully qualified domain name (IDNs in Unicode or punycode; one leading `*.` allowed); never a public suffix.',
            schema: { type: 'string' },
            example: 'shop.example.com',
          },
        ],
        responses: {
          '200': {
            description: 'The addresses, by source.',
            headers: { 'x-request-id': { $ref: '#/components/headers/RequestId' } },
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: [
                    'domain',
                    'base_domain',
                    'constructed_emails',
                    'dns_txt_emails',
                    'caa_emails',
                    'has_mx',
                    'digicert',
                  ],
                  properties: {
                    domain: { type: 'string', description: 'The domain, normalised (lower case, punycode).' },
                    base_domain: {
                      type: ['string', 'null'],
                      description: 'The registrable domain (ICANN section of the Public Suffix List).',
                    },
                    email_domain: { type: 'string', description: 'The domain whose MX `has_mx` reports.' },
                    constructed_emails: emails(
                      'admin, administrator, webmaster, hostmaster, postmaster at each ADN.',
                      ['admin@shop.example.com', 'admin@example.com'],
                    ),
                    dns_txt_emails: emails('Whole TXT records at `_validation-contactemail.<ADN>`.', [
                      'dcv@example.com',
                    ]),
                    caa_emails: emails('CAA `contactemail` of the relevant CAA RRset (RFC 8659 climb).', []),
                    has_mx: {
                      type: ['boolean', 'null'],
                      description: 'Whether the domain has MX records; `null` when DNS did not answer.',
                    },
                    dns_errors: {
                      type: 'array',
                      items: { type: 'string' },
                      description: 'Lookups that failed; the lists may then be incomplete.',
                    },
                    digicert: {
                      type: 'object',
                      description:
                        "DigiCert's answer: `status` 200 with its body in `emails` (`name_scope`, `base_emails`, `dns_txt_emails`), or its status (`null` when it was not reached) and `errors`.",
                      properties: {
                        status: { type: ['integer', 'null'] },
                        emails: { type: 'object' },
                        errors: {
                          type: 'array',
                          items: {
                            type: 'object',
                            properties: { code: { type: 'string' }, message: { type: 'string' } },
                          },
                        },
                      },
                    },
                  },
                },
              },
            },
          },
          '400': errorResponse('The domain is not a domain name, or is a public suffix.', {
            invalid_input: {
              errors: [
                {
                  code: 'invalid_input',
                  message: 'must not be a public suffix (such as co.uk); use a domain registered under it',
                  field: 'domain',
                },
              ],
            },
          }),
          '500': errorResponse('An unexpected error; no detail is given.', {
            internal_error: { errors: [{ code: 'internal_error', message: 'Internal error' }] },
          }),
        },
      },
    },
  };
}
