/**
 * API Gateway proxy events in (HTTP API payload 2.0 and REST API 1.0) and responses out. This file
 * turns an event into a validated `ResendRequest` or a typed error; statuses are decided in
 * `error-mapping.ts`.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';
import {
  type ERROR_CODES,
  HTTP_ERROR_STATUS,
  HTTP_LIMITS,
  REQUEST_LIMITS,
  RESEND_ROUTE,
  RESEND_ROUTE_KEY,
} from '../app/contract.js';
import { ValidationError } from '../lib/errors.js';
import { isRecord } from '../lib/is-record.js';
import {
  parseOrderId,
  parseOrThrow,
  type ResendRequest,
  resendBodySchema,
} from '../resend/request-schema.js';

const MAX_BODY_BYTES = HTTP_LIMITS.maxBodyBytes;
/**
 * The route's path at the end of the request path (a REST API stage may come before it); group 1 is
 * the raw order id. The path has no regular-expression characters besides the `{order_id}` replaced.
 */
const ROUTE_PATH = new RegExp(`${RESEND_ROUTE.path.replace('{order_id}', '([^/]*)')}/?$`);

/** The parts of either payload version this function uses, with header names lower-cased. */
export interface HttpRequest {
  readonly version: '1.0' | '2.0';
  readonly method: string;
  readonly path: string;
  readonly orderIdParam: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | undefined;
  /** The event carried a body that is not a string (not API Gateway's shape): rejected as `invalid_json`. */
  readonly bodyMalformed?: boolean;
  readonly isBase64Encoded: boolean;
  /** API Gateway's request id, the correlation id returned as `x-request-id`. */
  readonly requestId: string | undefined;
  /**
   * Who is calling, as API Gateway's authorizer established it: `iam:<principal ARN>` or
   * `jwt:<issuer and subject>`; `undefined` without an authorizer (local runs). An
   * `Idempotency-Key` is this caller's own (docs/contract.md §6).
   */
  readonly caller: string | undefined;
}

export interface HttpResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export type HttpRequestCode = (typeof ERROR_CODES.HttpRequestError)[number];

/** A request the HTTP layer refuses before validation: wrong route, method, media type or size. */
export class HttpRequestError extends Error {
  override readonly name = 'HttpRequestError';
  /** The status the contract gives `code`. */
  readonly status: (typeof HTTP_ERROR_STATUS)[HttpRequestCode];

  constructor(
    readonly code: HttpRequestCode,
    message: string,
    /** The methods the route takes, for a 405's `Allow`. @default the resend route's */
    readonly allow: string = RESEND_ROUTE.method,
  ) {
    super(message);
    this.status = HTTP_ERROR_STATUS[code];
  }
}

export function isHttpApiV2Event(event: unknown): event is APIGatewayProxyEventV2 {
  return (
    isRecord(event) &&
    event.version === '2.0' &&
    isRecord(event.requestContext) &&
    isRecord(event.requestContext.http) &&
    typeof event.rawPath === 'string'
  );
}

export function isRestApiV1Event(event: unknown): event is APIGatewayProxyEvent {
  return (
    isRecord(event) &&
    typeof event.httpMethod === 'string' &&
    typeof event.path === 'string' &&
    isRecord(event.requestContext) &&
    !('version' in event && event.version === '2.0')
  );
}

export function isHttpEvent(event: unknown): event is APIGatewayProxyEvent | APIGatewayProxyEventV2 {
  return isHttpApiV2Event(event) || isRestApiV1Event(event);
}

/**
 * Header names lower-cased. REST (1.0) events may carry a header only in `multiValueHeaders`
 * (its first value is used); `headers` wins where both have it.
 */
function lowerCaseHeaders(
  headers: Readonly<Record<string, unknown>> | undefined,
  multiValue?: Readonly<Record<string, unknown>>,
): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  for (const [name, values] of Object.entries(multiValue ?? {})) {
    if (Array.isArray(values) && typeof values[0] === 'string') out[name.toLowerCase()] = values[0];
  }
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (typeof value === 'string') out[name.toLowerCase()] = value;
  }
  return out;
}

// A request id is echoed in the `x-request-id` header: only a plain token may get there.
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:=+/-]{1,128}$/;

/** A field that API Gateway always sends as a string; anything else counts as absent. */
const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/**
 * Normalises either payload version. Never throws, whatever the event holds: a field of the wrong
 * type is treated as absent (and a non-string body marked), so the request is then refused with a
 * 4xx rather than crashing the handler.
 */
export function toHttpRequest(event: APIGatewayProxyEvent | APIGatewayProxyEventV2): HttpRequest {
  const v2 = isHttpApiV2Event(event);
  const raw = event as unknown as Record<string, unknown>;
  const context = isRecord(raw.requestContext) ? raw.requestContext : {};
  const method = v2 ? (isRecord(context.http) ? context.http.method : undefined) : raw.httpMethod;
  const params = isRecord(raw.pathParameters) ? raw.pathParameters : {};
  const requestId = text(context.requestId);
  const body = raw.body;
  return {
    version: v2 ? '2.0' : '1.0',
    method: (text(method) ?? '').toUpperCase(),
    path: text(v2 ? raw.rawPath : raw.path) ?? '',
    orderIdParam: text(params.order_id),
    headers: lowerCaseHeaders(
      isRecord(raw.headers) ? raw.headers : undefined,
      !v2 && isRecord(raw.multiValueHeaders) ? raw.multiValueHeaders : undefined,
    ),
    body: text(body),
    ...(body !== undefined && body !== null && typeof body !== 'string' ? { bodyMalformed: true } : {}),
    isBase64Encoded: raw.isBase64Encoded === true,
    requestId: requestId !== undefined && SAFE_REQUEST_ID.test(requestId) ? requestId : undefined,
    caller: callerOf(context),
  };
}

/**
 * The caller's identity from the request context: the IAM principal (`authorizer.iam.userArn` in
 * HTTP API 2.0, `identity.userArn` in REST 1.0), else the JWT issuer and subject
 * (`authorizer.jwt.claims` in 2.0, a Cognito authorizer's `authorizer.claims` in 1.0), else
 * nobody in particular. API Gateway writes these after authorising the request; a caller cannot set them.
 */
function callerOf(context: Readonly<Record<string, unknown>>): string | undefined {
  const authorizer = isRecord(context.authorizer) ? context.authorizer : {};
  const identity = isRecord(context.identity) ? context.identity : {};
  const principal = text(isRecord(authorizer.iam) ? authorizer.iam.userArn : identity.userArn);
  if (principal) return `iam:${principal}`;
  const jwt = isRecord(authorizer.jwt) ? authorizer.jwt.claims : authorizer.claims;
  const claims = isRecord(jwt) ? jwt : {};
  const issuer = text(claims.iss) ?? '';
  const subject = text(claims.sub) ?? '';
  if (issuer !== '' || subject !== '') return `jwt:${JSON.stringify([issuer, subject])}`;
  return undefined;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeBody(request: HttpRequest): string {
  const raw = request.body ?? '';
  if (!request.isBase64Encoded) {
    if (Buffer.byteLength(raw, 'utf8') > MAX_BODY_BYTES) throw tooLarge();
    return raw;
  }
  // Cheap bound before decoding: base64 is 4 characters per 3 bytes.
  if (raw.length > Math.ceil(MAX_BODY_BYTES / 3) * 4 + 4) throw tooLarge();
  const bytes = Buffer.from(raw, 'base64');
  if (bytes.length > MAX_BODY_BYTES) throw tooLarge();
  try {
    return utf8.decode(bytes);
  } catch {
    throw ValidationError.single('', 'body must be UTF-8 encoded JSON', 'invalid_json');
  }
}

function tooLarge(): HttpRequestError {
  return payloadTooLarge();
}

/**
 * The 413 refusal, stating the limit whatever the size sent (the local server refuses very large
 * bodies itself, before the handler sees them, with the same words).
 */
export function payloadTooLarge(): HttpRequestError {
  return new HttpRequestError(
    'payload_too_large',
    `Request body must be at most ${MAX_BODY_BYTES / 1024} KiB (${MAX_BODY_BYTES} bytes)`,
  );
}

function isJsonMediaType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  // What nearly every caller sends, answered without splitting and lower-casing.
  if (contentType === 'application/json') return true;
  const [type = '', ...params] = contentType.split(';').map((p) => p.trim().toLowerCase());
  if (type !== 'application/json') return false;
  return params.every((p) => !p.startsWith('charset=') || p === 'charset=utf-8' || p === 'charset="utf-8"');
}

/**
 * Checks route, method, order id, media type and size, then validates the body: the
 * `ResendRequest` to run, or a thrown `HttpRequestError` / `ValidationError`.
 */
export function parseResendHttpRequest(request: HttpRequest): ResendRequest {
  const match = ROUTE_PATH.exec(request.path);
  if (!match)
    throw new HttpRequestError('not_found', `No route for ${request.path}; use ${RESEND_ROUTE_KEY}`);
  if (request.method !== RESEND_ROUTE.method) {
    throw new HttpRequestError(
      'method_not_allowed',
      `Method ${request.method} is not allowed; use ${RESEND_ROUTE_KEY}`,
    );
  }
  const rawOrderId = request.orderIdParam ?? safeDecode(match[1] ?? '');
  const orderId = /^[0-9]+$/.test(rawOrderId) ? parseOrderId(rawOrderId) : undefined;
  if (orderId === undefined) {
    throw ValidationError.single(
      'order_id',
      `must be a positive integer of at most ${REQUEST_LIMITS.maxOrderIdDigits} digits`,
      'invalid_order_id',
    );
  }

  const json = parseJsonBody(request);
  if (json === undefined) return { order_id: orderId };
  const body = parseOrThrow(resendBodySchema, json);
  return { order_id: orderId, ...body };
}

/**
 * The request's JSON body, `undefined` when there is none (empty, or the JSON value `null`: a public
 * Go client sends exactly that for "no recipients"). Checks size, encoding and media type; throws
 * `HttpRequestError` / `ValidationError` (`invalid_json`, with the place of the mistake).
 */
export function parseJsonBody(request: HttpRequest): unknown {
  if (request.bodyMalformed) throw ValidationError.single('', 'body must be a JSON text', 'invalid_json');
  const text = decodeBody(request);
  if (text.trim() === '') return undefined;
  // No Content-Type at all is read as JSON, as DigiCert's own clients and scripts often send it
  // (docs/contract.md §2); only a type that is present and not JSON is refused.
  const contentType = request.headers['content-type'];
  if (contentType !== undefined && contentType.trim() !== '' && !isJsonMediaType(contentType)) {
    throw new HttpRequestError('unsupported_media_type', 'Content-Type must be application/json (or absent)');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw ValidationError.single('', `body must be valid JSON${jsonErrorPlace(text, error)}`, 'invalid_json');
  }
  return json === null ? undefined : json;
}

/**
 * Where `JSON.parse` stopped, as ` (line L, column C)`, so a caller can find the mistake; the
 * caller's text is never echoed. V8 names a `position N` for some mistakes only (and Node 20 not
 * for an unexpected token), so otherwise the shortest prefix that already fails for a reason other
 * than ending early is found by bisection: a prefix of valid JSON fails only by ending early.
 */
function jsonErrorPlace(text: string, error: unknown): string {
  const message = error instanceof Error ? error.message : '';
  const named = /at position (\d+)/.exec(message)?.[1];
  const offset = named === undefined ? firstBadOffset(text) : Number(named);
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  const ends = offset >= text.length ? ', where the text ends early' : '';
  return ` (line ${line}, column ${column}${ends})`;
}

function firstBadOffset(text: string): number {
  const failsInside = (length: number): boolean => {
    try {
      JSON.parse(text.slice(0, length));
      return false;
    } catch (error) {
      const message = error instanceof Error ? error.message : '';
      const at = /at position (\d+)/.exec(message)?.[1];
      return at === undefined ? !/end of JSON input/i.test(message) : Number(at) < length;
    }
  };
  if (!failsInside(text.length)) return text.length;
  let low = 0;
  let high = text.length;
  while (low < high) {
    const mid = Math.floor((low + high) / 2);
    if (failsInside(mid)) high = mid;
    else low = mid + 1;
  }
  return Math.max(0, low - 1);
}

/**
 * A percent-encoded path segment, decoded; the segment as it is when it does not decode (`%zz`),
 * so that validation reports what the caller sent instead of the request failing on a URIError.
 */
export function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
