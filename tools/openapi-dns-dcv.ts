/**
 * The OpenAPI description of `POST /order/certificate/{order_id}/dcv/dns` (docs/contract.md §12):
 * move an order to DNS DCV and start the workflow that publishes, checks and cleans up. Kept apart
 * from `openapi.ts` like the read-only DCV routes.
 */
import { DNS_DCV_METHODS, DNS_DCV_ROUTE } from '../functions/app/contract.js';

type ErrorResponse = (
  description: string,
  examples: Record<string, unknown>,
  headers?: Record<string, unknown>,
) => unknown;

const envelope = (code: string, message: string, field?: string) => ({
  errors: [{ code, message, ...(field ? { field } : {}) }],
});

const EXAMPLE = {
  order_id: 123,
  method: 'dns-txt-token',
  random_value: 'fdy6m0wy5lq063sz4h0r6qmdt722gyfc',
  expires_at: '2027-01-06T00:00:00Z',
  records: [
    {
      name: 'example.com',
      type: 'TXT',
      value: 'fdy6m0wy5lq063sz4h0r6qmdt722gyfc',
      hosted_zone_id: 'Z0123456789ABCDEFGHIJ',
      published: true,
    },
  ],
  execution: 'arn:aws:states:eu-west-1:123456789012:execution:DcvResend-dns-dcv:dcv-123-fdy6m0wy5lq063sz',
};

/** The `paths` entry of the route; `errorResponse` is the document's own error-response builder. */
export function dnsDcvPath(errorResponse: ErrorResponse): Record<string, unknown> {
  return {
    [DNS_DCV_ROUTE.path]: {
      [DNS_DCV_ROUTE.method.toLowerCase()]: {
        operationId: 'startDnsDcv',
        summary: 'Move an order to DNS DCV and publish its records in Route 53',
        description:
          "Switches the order's DCV method at DigiCert (`dcv-method`), computes the records DigiCert will look for, and starts the DNS-DCV workflow (Step Functions), which publishes each record whose name is in an allowed hosted zone (`published: true`), waits until Route 53 has it, asks DigiCert to check with backoff until the order is validated, the random value expires or 24 hours pass, and then removes the values it added. A record with `published: false` is for you to publish; the workflow still checks. Starting it again for an order whose workflow runs answers with the running execution. Uses the key's request budget.",
        parameters: [
          {
            name: 'order_id',
            in: 'path',
            required: true,
            description: 'DigiCert order id: a positive integer of at most 12 digits.',
            schema: { type: 'string', pattern: '^[0-9]{1,12}$' },
            example: '123456',
          },
        ],
        requestBody: {
          required: false,
          description: 'The DNS method; may be absent or empty (TXT).',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                additionalProperties: false,
                properties: {
                  method: { type: 'string', enum: [...DNS_DCV_METHODS], default: DNS_DCV_METHODS[0] },
                },
              },
              examples: {
                txt: { summary: 'A TXT record (the default)', value: { method: 'dns-txt-token' } },
                cname: { summary: 'A CNAME record', value: { method: 'dns-cname-token' } },
              },
            },
          },
        },
        responses: {
          '202': {
            description: 'The order is on DNS DCV and the workflow runs (or was already running).',
            headers: { 'x-request-id': { $ref: '#/components/headers/RequestId' } },
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['order_id', 'method', 'random_value', 'expires_at', 'records', 'execution'],
                  properties: {
                    order_id: { type: 'integer' },
                    method: { type: 'string', enum: [...DNS_DCV_METHODS] },
                    random_value: { type: 'string', description: "DigiCert's random value for the order." },
                    expires_at: {
                      type: 'string',
                      format: 'date-time',
                      description:
                        'When the random value expires (at most 30 days after it was issued), UTC.',
                    },
                    records: {
                      type: 'array',
                      description:
                        'Each record DigiCert will look for, and whether the workflow publishes it.',
                      items: {
                        type: 'object',
                        required: ['name', 'type', 'value', 'hosted_zone_id', 'published'],
                        properties: {
                          name: { type: 'string', examples: ['example.com'] },
                          type: { type: 'string', enum: ['TXT', 'CNAME'] },
                          value: { type: 'string' },
                          hosted_zone_id: {
                            type: ['string', 'null'],
                            description: 'The allowed hosted zone holding the name; `null` when none does.',
                          },
                          published: {
                            type: 'boolean',
                            description:
                              '`true`: the workflow publishes it (and removes it at the end); `false`: publish it yourself.',
                          },
                        },
                      },
                    },
                    execution: { type: 'string', description: "The workflow execution's ARN." },
                  },
                },
                example: EXAMPLE,
              },
            },
          },
          '400': errorResponse('The order id, the JSON or the method is invalid.', {
            invalid_order_id: envelope(
              'invalid_order_id',
              'must be a positive integer of at most 12 digits',
              'order_id',
            ),
            invalid_input: envelope(
              'invalid_input',
              'must be one of dns-txt-token, dns-cname-token',
              'method',
            ),
          }),
          '403': errorResponse("DigiCert refused the key's permissions; or IAM denied the caller.", {
            missing_permission: envelope(
              'access_denied|missing_permission',
              'Permission denied for this action.',
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
          '502': errorResponse('DigiCert rejected the configured key, or stayed unavailable after retries.', {
            upstream_auth_failed: envelope(
              'upstream_auth_failed',
              'DigiCert rejected the configured API key',
            ),
            upstream_unavailable: envelope('upstream_unavailable', 'DigiCert is unavailable; retry later'),
          }),
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
