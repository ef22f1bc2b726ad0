/**
 * `npm run openapi`: writes `docs/openapi.json`, the OpenAPI 3.1 document of the HTTP API,
 * generated from the same zod schema the handler validates with. A test fails when the committed
 * file is stale.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { toJSONSchema } from 'zod';
import {
  EMAIL_DCV_SUNSET,
  EMAIL_DCV_SUNSET_SOURCE,
  HEADERS,
  HTTP_LIMITS,
  IDEMPOTENCY_KEY_PATTERN,
  PRODUCT_NAME,
  REQUEST_LIMITS,
  RESEND_ROUTE,
  VERSION,
} from '../functions/app/contract.js';
import { resendBodySchema } from '../functions/resend/request-schema.js';
import { dcvEmailsPath, dcvStatusPath } from './openapi-dcv.js';
import { dnsDcvPath } from './openapi-dns-dcv.js';

const { maxApprovalEmails: MAX_APPROVAL_EMAILS, maxOrderIdDigits: MAX_ORDER_ID_DIGITS } = REQUEST_LIMITS;
const MAX_BODY_BYTES = HTTP_LIMITS.maxBodyBytes;

export const OPENAPI_PATH = fileURLToPath(new URL('../docs/openapi.json', import.meta.url));

const envelope = (code: string, message: string, field?: string) => ({
  errors: [{ code, message, ...(field ? { field } : {}) }],
});

function errorResponse(
  description: string,
  examples: Record<string, unknown>,
  headers?: Record<string, unknown>,
) {
  return {
    description,
    headers: { [HEADERS.requestId]: { $ref: '#/components/headers/RequestId' }, ...headers },
    content: {
      'application/json': {
        schema: { $ref: '#/components/schemas/ErrorEnvelope' },
        examples: Object.fromEntries(Object.entries(examples).map(([name, value]) => [name, { value }])),
      },
    },
  };
}

/** The OpenAPI 3.1 document, as a plain object. */
export function buildOpenApiDocument(): Record<string, unknown> {
  const body = toJSONSchema(resendBodySchema, { io: 'input', target: 'draft-2020-12' });
  delete (body as { $schema?: unknown }).$schema;
  return {
    openapi: '3.1.0',
    info: {
      title: PRODUCT_NAME,
      version: VERSION,
      summary: 'Resend DigiCert domain-control-validation emails without holding the DigiCert API key.',
      description:
        "Mirrors DigiCert CertCentral's `PUT /services/v2/order/certificate/{order_id}/resend-emails`: switch from DigiCert by changing the base URL and dropping the `X-DC-DEVKEY` header. Requests are signed with AWS SigV4 (IAM). Errors use DigiCert's envelope.",
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [
      {
        url: 'https://{apiId}.execute-api.{region}.amazonaws.com',
        variables: { apiId: { default: 'abc123' }, region: { default: 'us-east-1' } },
      },
      { url: 'http://127.0.0.1:3000', description: '`npm start` (embedded DigiCert simulator)' },
    ],
    security: [{ sigv4: [] }],
    paths: {
      [RESEND_ROUTE.path]: {
        [RESEND_ROUTE.method.toLowerCase()]: {
          operationId: 'resendDcvEmails',
          summary: 'Resend the DCV emails of a certificate order',
          description:
            "Validates the request, reads the DigiCert API key from Secrets Manager and calls DigiCert. Retryable DigiCert failures (429, 5xx, timeouts) are retried with backoff within the request's time budget.",
          parameters: [
            {
              name: 'order_id',
              in: 'path',
              required: true,
              description: `DigiCert order id: a positive integer of at most ${MAX_ORDER_ID_DIGITS} digits.`,
              schema: { type: 'string', pattern: `^[0-9]{1,${MAX_ORDER_ID_DIGITS}}$` },
              example: '123456',
            },
            {
              name: 'Idempotency-Key',
              in: 'header',
              required: false,
              description:
                "Names the delivery among the caller's own (docs/contract.md §6: scoped to the IAM principal, or the JWT issuer and subject, so two callers with the same key never see each other's outcomes): a repeat by the same caller with the same key is answered with the first outcome (same status and body, `idempotent-replayed: true`) without calling DigiCert again; the same key with another order or body is refused with 422. Without it, every request is a new delivery.",
              schema: {
                type: 'string',
                pattern: IDEMPOTENCY_KEY_PATTERN.source,
                minLength: 1,
                maxLength: 255,
              },
              example: '5f0c6a52-8d1e-4b8e-9a43-2f1d7c9e0b11',
            },
          ],
          requestBody: {
            required: false,
            description: `DigiCert's body; may be absent, empty or JSON \`null\` (DigiCert's default recipients). Read as JSON when sent without a Content-Type. At most ${MAX_BODY_BYTES / 1024} KiB; at most ${MAX_APPROVAL_EMAILS} approval emails. Unknown fields are rejected.`,
            content: {
              'application/json': {
                schema: { $ref: '#/components/schemas/ResendBody' },
                examples: {
                  recipients: {
                    summary: 'Named recipients and a locale',
                    value: {
                      domain_approval_emails: [
                        { domain: 'example.com', email: 'admin@example.com' },
                        {
                          domain: 'sub.example2.com',
                          email: 'admin@example2.com',
                          email_domain: 'example2.com',
                        },
                      ],
                      locale: 'en',
                    },
                  },
                  defaults: { summary: "DigiCert's default recipients", value: {} },
                },
              },
            },
          },
          responses: {
            '204': {
              description:
                'DigiCert accepted the resend. Email DCV ends on 2028-03-15 (CA/Browser Forum ballot SC-090): move to a DNS or HTTP method.',
              headers: {
                [HEADERS.requestId]: { $ref: '#/components/headers/RequestId' },
                [HEADERS.idempotentReplayed]: { $ref: '#/components/headers/IdempotentReplayed' },
                Sunset: { $ref: '#/components/headers/Sunset' },
                Link: { $ref: '#/components/headers/SunsetLink' },
              },
            },
            '400': errorResponse(
              'The order id, the JSON or the schema is invalid; the DCV pre-check refused an address (`DCV_PRECHECK=enforce`); or DigiCert answered 400.',
              {
                invalid_order_id: envelope(
                  'invalid_order_id',
                  `must be a positive integer of at most ${MAX_ORDER_ID_DIGITS} digits`,
                  'order_id',
                ),
                invalid_json: envelope('invalid_json', 'body must be valid JSON (line 1, column 17)'),
                invalid_input: envelope(
                  'invalid_input',
                  'must be an email address such as admin@example.com',
                  'domain_approval_emails.0.email',
                ),
                dcv_email_not_allowed: envelope(
                  'dcv_email_not_allowed',
                  'bob@example.com is not an address that can approve example.com by email (not a constructed address at example.com or its parents, nor a DNS TXT or CAA contact); allowed: admin@example.com, administrator@example.com, webmaster@example.com, hostmaster@example.com, postmaster@example.com',
                  'domain_approval_emails.0.email',
                ),
              },
            ),
            '403': errorResponse(
              "DigiCert refused the key's permissions (for example a view-only key); or IAM denied the caller.",
              {
                missing_permission: envelope(
                  'access_denied|missing_permission',
                  'Permission denied for this action.',
                ),
              },
            ),
            '404': errorResponse('DigiCert does not know the order.', {
              not_found: envelope('not_found|order', 'The order could not be found.'),
            }),
            '409': errorResponse(
              'A request with the same Idempotency-Key is still being processed; DigiCert was not called.',
              {
                request_in_progress: envelope(
                  'request_in_progress',
                  'A request with this Idempotency-Key is still being processed; retry after the indicated delay',
                ),
              },
              {
                'retry-after': {
                  description: 'Seconds to wait before retrying.',
                  schema: { type: 'integer' },
                },
              },
            ),
            '422': errorResponse(
              'The Idempotency-Key was already used for a different request (another order or body); DigiCert was not called.',
              {
                idempotency_key_reused: envelope(
                  'idempotency_key_reused',
                  'was already used for a different request; send a new key for a new request, or repeat the original request unchanged',
                  'Idempotency-Key',
                ),
              },
            ),
            '413': errorResponse(`The body is larger than ${MAX_BODY_BYTES / 1024} KiB.`, {
              payload_too_large: envelope(
                'payload_too_large',
                `Request body must be at most ${MAX_BODY_BYTES / 1024} KiB (${MAX_BODY_BYTES} bytes)`,
              ),
            }),
            '415': errorResponse('The body has a Content-Type other than `application/json`.', {
              unsupported_media_type: envelope(
                'unsupported_media_type',
                'Content-Type must be application/json (or absent)',
              ),
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
                [HEADERS.retryAfter]: {
                  description: 'Seconds to wait before retrying.',
                  schema: { type: 'integer' },
                },
              },
            ),
            '500': errorResponse('An unexpected error; no detail is given.', {
              internal_error: envelope('internal_error', 'Internal error'),
            }),
            '502': errorResponse(
              'DigiCert rejected the configured key (after one secret refresh), or stayed unavailable after retries.',
              {
                upstream_auth_failed: envelope(
                  'upstream_auth_failed',
                  'DigiCert rejected the configured API key',
                ),
                upstream_unavailable: envelope(
                  'upstream_unavailable',
                  'DigiCert is unavailable; retry later',
                ),
              },
            ),
            '503': errorResponse(
              'The DigiCert API key secret cannot be read; or the state table cannot be reached for a request with an Idempotency-Key (DigiCert was not called).',
              {
                secret_unavailable: envelope('secret_unavailable', 'The DigiCert API key cannot be read'),
                state_unavailable: envelope(
                  'state_unavailable',
                  'The request could not be recorded, so it was not sent; retry later with the same Idempotency-Key',
                ),
              },
            ),
            '504': errorResponse('DigiCert did not answer in time.', {
              upstream_timeout: envelope('upstream_timeout', 'DigiCert did not answer in time'),
            }),
          },
        },
      },
      ...dcvEmailsPath(errorResponse),
      ...dcvStatusPath(errorResponse),
      ...dnsDcvPath(errorResponse),
    },
    components: {
      securitySchemes: {
        sigv4: {
          type: 'apiKey',
          name: 'Authorization',
          in: 'header',
          description:
            'AWS Signature Version 4 (IAM authorization): sign requests for service `execute-api` with credentials allowed `execute-api:Invoke` on this route, e.g. with awscurl.',
          'x-amazon-apigateway-authtype': 'awsSigv4',
        },
      },
      headers: {
        RequestId: {
          description: "API Gateway's request id, for support and log correlation.",
          schema: { type: 'string' },
        },
        Sunset: {
          description:
            'RFC 8594: email-based DCV MUST NOT be used from this date (CA/Browser Forum ballot SC-090).',
          schema: { type: 'string', examples: [EMAIL_DCV_SUNSET] },
        },
        SunsetLink: {
          description: 'The source of the sunset date, with `rel="sunset"`.',
          schema: { type: 'string', examples: [`<${EMAIL_DCV_SUNSET_SOURCE}>; rel="sunset"`] },
        },
        IdempotentReplayed: {
          description:
            '`true` when the answer is the recorded outcome of an earlier request with the same Idempotency-Key (DigiCert was not called again).',
          schema: { type: 'string', enum: ['true'] },
        },
      },
      schemas: {
        ResendBody: body,
        ErrorEnvelope: {
          type: 'object',
          description: "DigiCert's error envelope: one entry per problem.",
          required: ['errors'],
          properties: {
            errors: {
              type: 'array',
              minItems: 1,
              items: {
                type: 'object',
                required: ['code', 'message'],
                properties: {
                  code: { type: 'string', description: "A stable code, or DigiCert's own (`kind|detail`)." },
                  message: { type: 'string' },
                  field: {
                    type: 'string',
                    description: 'Dotted path of the offending field (validation errors).',
                  },
                },
              },
            },
          },
        },
      },
    },
  };
}

export function renderOpenApiDocument(): string {
  return `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  writeFileSync(OPENAPI_PATH, renderOpenApiDocument());
  console.log(`wrote ${OPENAPI_PATH}`);
}
