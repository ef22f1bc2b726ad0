/**
 * The OpenAPI description of the read-only DCV routes, `GET /domain/{domain}/dcv/emails`
 * (docs/contract.md §9) and `GET /order/certificate/{order_id}/dcv` (§10), kept apart from
 * `openapi.ts` so the resend route's document reads on its own.
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

const orderIdParameter = {
  name: 'order_id',
  in: 'path',
  required: true,
  description: 'The DigiCert order id: a positive integer of at most 12 digits.',
  schema: { type: 'string', pattern: '^[0-9]{1,12}$' },
  example: '123456',
};

const nullableString = (description: string, example?: string) => ({
  type: ['string', 'null'],
  description,
  ...(example === undefined ? {} : { examples: [example] }),
});

/** The `paths` entry of `GET /order/certificate/{order_id}/dcv` (docs/contract.md §10). */
export function dcvStatusPath(errorResponse: ErrorResponse): Record<string, unknown> {
  const envelope = (code: string, message: string, field?: string) => ({
    errors: [{ code, message, ...(field ? { field } : {}) }],
  });
  return {
    '/order/certificate/{order_id}/dcv': {
      get: {
        operationId: 'getDcvStatus',
        summary: "Read an order's DCV status",
        description:
          'What DigiCert knows of the order\'s domain validation, from DigiCert\'s `GET /order/certificate/{order_id}` and `GET /order/certificate/{order_id}/validation` (two requests from the key\'s budget, retried like the resend). Directly: `{"action": "dcv-status", "order_id": 123}`.',
        parameters: [orderIdParameter],
        responses: {
          '200': {
            description: "The order's DCV status.",
            headers: { 'x-request-id': { $ref: '#/components/headers/RequestId' } },
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: [
                    'order_id',
                    'order_status',
                    'dcv_method',
                    'created_at',
                    'pending_hours',
                    'domains',
                    'random_value_expires_at',
                    'email_dcv_sunset',
                  ],
                  properties: {
                    order_id: { type: 'integer' },
                    order_status: {
                      type: 'string',
                      description: "DigiCert's status of the order.",
                      examples: ['pending'],
                    },
                    dcv_method: nullableString("The order's DCV method, as DigiCert names it.", 'email'),
                    created_at: {
                      type: 'string',
                      format: 'date-time',
                      description: 'When the order was created, UTC.',
                      examples: ['2026-12-01T10:00:00Z'],
                    },
                    pending_hours: {
                      type: ['number', 'null'],
                      description:
                        'Hours since the order was created, one decimal, while it is pending; `null` once it is not.',
                      examples: [142.5],
                    },
                    domains: {
                      type: 'array',
                      description: "Each domain's validation, as DigiCert reports it.",
                      items: {
                        type: 'object',
                        required: ['name', 'status', 'method'],
                        properties: {
                          name: { type: 'string', examples: ['example.com'] },
                          status: {
                            type: 'string',
                            description: '`pending`, `approved`, ...',
                            examples: ['pending'],
                          },
                          method: nullableString(
                            "The domain's DCV method (the order's when DigiCert gives none).",
                            'email',
                          ),
                        },
                      },
                    },
                    random_value_expires_at: {
                      type: ['string', 'null'],
                      format: 'date-time',
                      description:
                        "When a token method's random value expires (at most 30 days after it was issued); `null` without one.",
                    },
                    email_dcv_sunset: {
                      type: 'string',
                      format: 'date',
                      const: '2028-03-15',
                      description:
                        'CA/Browser Forum ballot SC-090: email DCV must not be used from this date.',
                    },
                  },
                },
                example: {
                  order_id: 123,
                  order_status: 'pending',
                  dcv_method: 'email',
                  created_at: '2026-12-01T10:00:00Z',
                  pending_hours: 142.5,
                  domains: [{ name: 'example.com', status: 'pending', method: 'email' }],
                  random_value_expires_at: null,
                  email_dcv_sunset: '2028-03-15',
                },
              },
            },
          },
          '400': errorResponse('The order id is not a positive integer of at most 12 digits.', {
            invalid_order_id: envelope(
              'invalid_order_id',
              'must be a positive integer of at most 12 digits',
              'order_id',
            ),
          }),
          '404': errorResponse('DigiCert has no such order in the account.', {
            order_not_found: envelope('order_not_found', 'DigiCert has no order 123 in this account'),
          }),
          '429': errorResponse(
            "DigiCert's request limit for the key is still exceeded after retries.",
            {
              request_limit_exceeded: envelope(
                'request_limit_exceeded',
                'DigiCert request limit reached; retry after the indicated delay',
              ),
            },
            {
              'retry-after': { description: 'Seconds to wait before retrying.', schema: { type: 'integer' } },
            },
          ),
          '500': errorResponse('An unexpected error; no detail is given.', {
            internal_error: envelope('internal_error', 'Internal error'),
          }),
          '502': errorResponse(
            'DigiCert rejected the configured key, stayed unavailable after retries, or answered a body without a field this product reads.',
            {
              upstream_auth_failed: envelope(
                'upstream_auth_failed',
                'DigiCert rejected the configured API key',
              ),
              upstream_unavailable: envelope('upstream_unavailable', 'DigiCert is unavailable; retry later'),
            },
          ),
          '503': errorResponse('The DigiCert API key secret cannot be read.', {
            secret_unavailable: envelope('secret_unavailable', 'The DigiCert API key cannot be read'),
          }),
          '504': errorResponse('DigiCert did not answer in time.', {
            upstream_timeout: envelope('upstream_timeout', 'DigiCert did not answer in time'),
          }),
        },
      },
    },
  };
}
