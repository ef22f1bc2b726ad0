/**
 * A comparison function for the bench's `peers` row (never deployed): the same job as
 * `functions/resend-dcv-emails/handler.ts` for an API Gateway HTTP API 2.0 event, written the way a
 * careful team would with the field's libraries: Powertools Parser (a zod schema inside the API
 * Gateway v2 envelope), Parameters (`getSecret`, cached for the container), Logger, Metrics (EMF),
 * and undici's public API over one keep-alive pool. Validation follows docs/contract.md §1 roughly
 * (no Public Suffix List, no punycode): less work than ours, so the comparison errs in its favour.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { parse } from '@aws-lambda-powertools/parser';
import { ApiGatewayV2Envelope } from '@aws-lambda-powertools/parser/envelopes/api-gatewayv2';
import { JSONStringified } from '@aws-lambda-powertools/parser/helpers';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { Pool } from 'undici';
import { z } from 'zod';

const logger = new Logger({ serviceName: 'dcv-resend-peer' });
const metrics = new Metrics({ namespace: 'DcvResendPeer', serviceName: 'dcv-resend-peer' });
const base = new URL(process.env.DIGICERT_BASE_URL ?? 'https://www.digicert.com/services/v2');
const basePath = base.pathname.replace(/\/+$/, '');
const pool = new Pool(base.origin, { connections: 32, keepAliveTimeout: 4_000 });
const secretId = process.env.DIGICERT_API_KEY_SECRET_ID ?? '';
/** The same lifetime as ours (`SECRET_CACHE_TTL_SECONDS`); Parameters' default is 5 s. */
const SECRET_MAX_AGE_SECONDS = 300;

const domainName = z
  .string()
  .toLowerCase()
  .regex(
    /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
    'must be a fully qualified domain name',
  );

const ResendBody = z
  .object({
    domain_approval_emails: z
      .array(
        z
          .object({
            domain: domainName,
            email: z.email().max(254),
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

/** An absent or empty body is no body (docs/contract.md §2). */
const Body = z.preprocess(
  (body) => (body === undefined || body === '' ? '{}' : body),
  JSONStringified(ResendBody),
);

const OrderId = z.coerce.number().int().positive().max(999_999_999_999);

class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

function errorResponse(error: HttpError): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: error.statusCode,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      errors: [{ code: error.code, message: error.message, ...(error.field ? { field: error.field } : {}) }],
    }),
  };
}

async function apiKey(): Promise<string> {
  let key: unknown;
  try {
    key = await getSecret(secretId, { maxAge: SECRET_MAX_AGE_SECONDS });
  } catch (error) {
    logger.error('secret unreadable', { error });
    throw new HttpError(503, 'secret_unavailable', 'the API key could not be read');
  }
  if (typeof key !== 'string') throw new HttpError(503, 'secret_unavailable', 'the API key is not a string');
  return key;
}

async function resend(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const orderId = OrderId.safeParse(event.pathParameters?.order_id);
  if (!orderId.success) throw new HttpError(400, 'invalid_order_id', 'order_id must be a positive integer');
  const parsed = parse(event, ApiGatewayV2Envelope, Body, true);
  if (!parsed.success) {
    const issue = parsed.error.cause instanceof z.ZodError ? parsed.error.cause.issues[0] : undefined;
    throw new HttpError(
      400,
      'invalid_input',
      issue?.message ?? 'invalid body',
      issue?.path.filter((p) => p !== 'body').join('.'),
    );
  }
  const key = await apiKey();

  let status: number;
  let text: string;
  try {
    const response = await pool.request({
      method: 'PUT',
      path: `${basePath}/order/certificate/${orderId.data}/resend-emails`,
      headers: { 'content-type': 'application/json', 'x-dc-devkey': key },
      body: JSON.stringify(parsed.data),
      headersTimeout: 10_000,
      bodyTimeout: 10_000,
    });
    status = response.statusCode;
    text = await response.body.text();
  } catch (error) {
    logger.error('DigiCert did not answer', { error });
    throw new HttpError(504, 'upstream_timeout', 'DigiCert did not answer in time');
  }
  logger.info('resend', { orderId: orderId.data, status });
  if (status >= 200 && status < 300) {
    metrics.addMetric('OrdersSent', MetricUnit.Count, 1);
    return { statusCode: 204 };
  }
  metrics.addMetric('OrdersFailed', MetricUnit.Count, 1);
  if (status === 401) throw new HttpError(502, 'upstream_auth_failed', 'DigiCert refused the API key');
  if (status === 429) throw new HttpError(429, 'request_limit_exceeded', 'DigiCert rate limit');
  if (status >= 400 && status < 500) {
    return { statusCode: status, headers: { 'content-type': 'application/json' }, body: text };
  }
  throw new HttpError(502, 'upstream_unavailable', 'DigiCert is unavailable');
}

/** The Lambda entry: one resend per HTTP API 2.0 event. */
export async function handler(
  event: APIGatewayProxyEventV2,
  context: Context,
): Promise<APIGatewayProxyStructuredResultV2> {
  logger.addContext(context);
  try {
    return await resend(event);
  } catch (error) {
    if (error instanceof HttpError) return errorResponse(error);
    logger.error('unexpected', { error });
    return errorResponse(new HttpError(500, 'internal_error', 'internal error'));
  } finally {
    metrics.publishStoredMetrics();
  }
}
