/**
 * A comparison function for the bench's `peers` row (never deployed): the same job as
 * `functions/resend-dcv-emails/handler.ts` for an API Gateway HTTP API 2.0 event, written the way a
 * competent developer writes it first, from the same packages: the Secrets Manager client with its
 * defaults, undici's public `request`, classic `z` from zod, `console.log`. Validation follows
 * docs/contract.md §1 roughly (no Public Suffix List, no punycode): less work than ours, so the
 * comparison errs in the peer's favour.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { request } from 'undici';
import { z } from 'zod';

const secrets = new SecretsManagerClient({});
const baseUrl = (process.env.DIGICERT_BASE_URL ?? 'https://www.digicert.com/services/v2').replace(/\/+$/, '');
const secretId = process.env.DIGICERT_API_KEY_SECRET_ID ?? '';

const domainName = z
  .string()
  .toLowerCase()
  .regex(
    /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
    'must be a fully qualified domain name',
  );

const Body = z
  .object({
    domain_approval_emails: z
      .array(
        z
          .object({
            domain: domainName,
            email: z.string().email().max(254),
            email_domain: domainName.optional(),
          })
          .strict(),
      )
      .min(1)
      .max(100)
      .optional(),
    locale: z
      .string()
      .regex(/^[a-z]{2}(_[A-Z]{2})?$/)
      .optional(),
  })
  .strict();

const OrderId = z.coerce.number().int().positive().max(999_999_999_999);

// Once per container: concurrent first invocations share the one request.
let apiKey: Promise<string> | undefined;

function getApiKey(): Promise<string> {
  apiKey ??= secrets.send(new GetSecretValueCommand({ SecretId: secretId })).then((out) => {
    if (!out.SecretString) throw new Error('the secret has no string value');
    return out.SecretString;
  });
  apiKey.catch(() => {
    apiKey = undefined;
  });
  return apiKey;
}

function error(statusCode: number, code: string, message: string, field?: string) {
  return {
    statusCode,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ errors: [{ code, message, ...(field ? { field } : {}) }] }),
  };
}

/** The Lambda entry: one resend per HTTP API 2.0 event. */
export async function handler(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const started = Date.now();
  const orderId = OrderId.safeParse(event.pathParameters?.order_id);
  if (!orderId.success) return error(400, 'invalid_order_id', 'order_id must be a positive integer');

  let json: unknown = {};
  try {
    if (event.body) json = JSON.parse(event.body);
  } catch {
    return error(400, 'invalid_json', 'the body is not valid JSON');
  }
  const body = Body.safeParse(json ?? {});
  if (!body.success) {
    return {
      statusCode: 400,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        errors: body.error.issues.map((issue) => ({
          code: 'invalid_input',
          message: issue.message,
          field: issue.path.join('.'),
        })),
      }),
    };
  }

  let key: string;
  try {
    key = await getApiKey();
  } catch {
    return error(503, 'secret_unavailable', 'the API key could not be read');
  }

  let status: number;
  let text = '';
  try {
    const response = await request(`${baseUrl}/order/certificate/${orderId.data}/resend-emails`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'x-dc-devkey': key },
      body: JSON.stringify(body.data),
      headersTimeout: 10_000,
      bodyTimeout: 10_000,
    });
    status = response.statusCode;
    text = await response.body.text();
  } catch {
    return error(504, 'upstream_timeout', 'DigiCert did not answer in time');
  }

  console.log(
    JSON.stringify({
      level: 'info',
      message: 'resend',
      requestId: event.requestContext.requestId,
      orderId: orderId.data,
      status,
      durationMs: Date.now() - started,
    }),
  );
  if (status >= 200 && status < 300) return { statusCode: 204 };
  if (status === 401) return error(502, 'upstream_auth_failed', 'DigiCert refused the API key');
  if (status === 429) return error(429, 'request_limit_exceeded', 'DigiCert rate limit');
  if (status >= 400 && status < 500) {
    return { statusCode: status, headers: { 'content-type': 'application/json' }, body: text };
  }
  return error(502, 'upstream_unavailable', 'DigiCert is unavailable');
}
