/**
 * `GET /domain/{domain}/dcv/emails` (docs/contract.md §9): the addresses that may approve a domain
 * by email, as the rules, DNS and DigiCert say. Mirrors DigiCert's domain-level path with the FQDN
 * in place of the domain id. Statuses come from `error-mapping.ts`, as for the resend route.
 */
import { DCV_EMAILS_ROUTE, DCV_EMAILS_ROUTE_KEY } from '../app/contract.js';
import type { Runtime } from '../app/runtime.js';
import { baseDomainOf } from '../dcv/precheck/check.js';
import { normaliseDomain } from '../dcv/rules.js';
import { ValidationError } from '../lib/errors.js';
import { fallbackTelemetry } from '../observability/invocation.js';
import { describeError, type Logger, redact } from '../observability/logger.js';
import { type HttpRequest, HttpRequestError, type HttpResponse, safeDecode } from './api-gateway.js';
import { errorResponse, jsonResponse } from './error-mapping.js';

const ROUTE_PATH = new RegExp(`${DCV_EMAILS_ROUTE.path.replace('{domain}', '([^/]*)')}/?$`);

/** Whether the request is for this route (any method: a wrong one gets 405 here, not 404). */
export function isDcvEmailsPath(request: HttpRequest): boolean {
  return ROUTE_PATH.test(request.path);
}

/** The normalised domain of the path; `ValidationError` naming `domain` when it is not one. */
export function parseDcvEmailsRequest(request: HttpRequest): string {
  if (request.method !== 'GET') {
    throw new HttpRequestError(
      'method_not_allowed',
      `Method ${request.method} is not allowed; use ${DCV_EMAILS_ROUTE_KEY}`,
      DCV_EMAILS_ROUTE.method,
    );
  }
  const raw = safeDecode(ROUTE_PATH.exec(request.path)?.[1] ?? '');
  const domain = normaliseDomain(raw);
  if (!domain.ok) throw ValidationError.single('domain', domain.rule);
  if (baseDomainOf(domain.value) === undefined) {
    throw ValidationError.single(
      'domain',
      'must not be a public suffix (such as co.uk); use a domain registered under it',
    );
  }
  return domain.value;
}

/** Answers the route; never throws. */
export async function answerDcvEmails(
  request: HttpRequest,
  getRuntime: () => Runtime,
  options: { readonly requestId: string; readonly deadline: number },
): Promise<HttpResponse> {
  let logger: Logger = fallbackTelemetry().logger;
  try {
    const domain = parseDcvEmailsRequest(request);
    const runtime = getRuntime();
    logger = runtime.logger;
    const answer = await runtime.dcvEmails(domain, { deadline: options.deadline });
    runtime.logger.info('dcv emails listed', {
      correlationId: options.requestId,
      domain,
      digicertStatus: answer.digicert.status,
      dnsErrors: answer.dns_errors,
    });
    // DigiCert's part is passed through: redacted like every log line, in case it echoes the key.
    return jsonResponse(options.requestId, redact(JSON.stringify(answer)));
  } catch (error) {
    const response = errorResponse(error, options.requestId);
    // A bad environment (ConfigurationError naming the variable) or a bug: the log says which.
    const level = response.statusCode < 500 ? 'warn' : 'error';
    logger[level]('dcv emails failed', {
      correlationId: options.requestId,
      httpStatus: response.statusCode,
      error: describeError(error),
    });
    return response;
  }
}
