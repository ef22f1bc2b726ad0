/**
 * The OpenAPI description of `POST /order/certificate/{order_id}/dcv/dns` (docs/contract.md §12),
 * kept apart from `openapi.ts` like the read-only DCV routes (`openapi-dcv.ts`).
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
      hosted_zone_id: 'Z123',
      published: true,
    },
  ],
  execution: 'arn:aws:states:us-east-1:123456789012:execution:DnsDcv:dcv-123-fdy6m0wy5lq063sz',
};

/** The `paths` entry of the route; `errorResponse` is the document's own error-response builder. */
export function dnsDcvPath(errorResponse: ErrorResponse): Record<string, unknown> {
  return {
    [DNS_DCV_ROUTE.path]: {
      [DNS_DCV_ROUTE.method.toLowerCase()]: {
        operationId: 'startDnsDcv',
        summary: 'Move an order to DNS DCV and start the workflow that validates it',
        description:
          'Switches the order\'s DCV method at DigiCert (`PUT /order/certificate/{order_id}/dcv-method`), computes the records, and starts a Step Functions workflow that publishes each record in its hosted zone when the zone is one of `DNS_DCV_HOSTED_ZONE_IDS` (other TXT values at the name are kept), waits for Route 53 to be in sync, asks DigiCert to check (`check-dcv`) with backoff until validated, the random value expires or 24 hours pass, then removes the values it added. A record with `published: false` is yours to publish by hand; the workflow still checks. Starting it again while it runs answers the running execution. Directly: `{"action": "dns-dcv", "order_id": 123}`.',
        parameters: [
          {
            name: 'order_id',
            in: 'path',
            required: true,
            description: 'The DigiCert order id.',
            schema: { type: 'string', pattern: '^[0-9]{1,12}$' },
          },
        ],
        requestBody: {
          required: false,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                additionalProperties: false,
                properties: {
                  method: { type: 'string', enum: [...DNS_DCV_METHODS], default: 'dns-txt-token' },
                },
              },
              example: { method: 'dns-txt-token' },
            },
          },
        },
        responses: {
          '202': {
            description: 'The order is on DNS DCV and its workflow runs.',
            headers: { 'x-request-id': { $ref: '#/components/headers/RequestId' } },
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['order_id', 'method', 'random_value', 'expires_at', 'records', 'execution'],
                  properties: {
                    order_id: { type: 'integer' },
                    method: { type: 'string', enum: [...DNS_DCV_METHODS] },
                    random_value: { type: 'string', description: "DigiCert's random value." },
                    expires_at: {
                      type: 'string',
                      format: 'date-time',
                      description: 'When the random value expires, UTC.',
                    },
                    records: {
                      type: 'array',
                      items: {
                        type: 'object',
                        required: ['name', 'type', 'value', 'hosted_zone_id', 'published'],
                        properties: {
                          name: { type: 'string', description: 'A wildcard is validated at its base name.' },
                          type: { type: 'string', enum: ['TXT', 'CNAME'] },
                          value: { type: 'string' },
                          hosted_zone_id: {
                            type: ['string', 'null'],
                            description: 'The allowed hosted zone the workflow publishes in; `null`: none.',
                          },
                          published: {
                            type: 'boolean',
                            description: 'Whether the workflow publishes it; `false`: publish it by hand.',
                          },
                        },
                      },
                    },
                    execution: { type: 'string', description: 'The Step Functions execution ARN.' },
                  },
                },
                example: EXAMPLE,
              },
            },
          },
          '400': errorResponse(
            'The order id or the method is not valid, or DigiCert refused the change (its own code).',
            {
              invalid_order_id: envelope(
                'invalid_order_id',
                'must be a positive integer of at most 12 digits',
                'order_id',
              ),
              invalid_method: envelope(
                'invalid_input',
                'must be one of "dns-txt-token", "dns-cname-token"',
                'method',
              ),
            },
          ),
          '404': errorResponse('DigiCert has no such order in the account.', {
            order_not_found: envelope('order_not_found', 'DigiCert has no order 123 in this account'),
          }),
          '500': errorResponse('An unexpected error or a configuration error; no detail is given.', {
            internal_error: envelope('internal_error', 'Internal error'),
          }),
          '502': errorResponse('DigiCert, Route 53 or Step Functions stayed unavailable after retries.', {
            upstream_unavailable: envelope('upstream_unavailable', 'DigiCert is unavailable; retry later'),
          }),
          '504': errorResponse('DigiCert did not answer in time.', {
            upstream_timeout: envelope('upstream_timeout', 'DigiCert did not answer in time'),
          }),
        },
      },
    },
  };
}
