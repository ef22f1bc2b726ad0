/**
 * The DigiCert CertCentral adapter: one attempt at each endpoint this product calls (the resend's
 * `PUT`, the domain's DCV addresses, the order reads of docs/contract.md §10, the pending-orders
 * pages the pending-DCV sweep reads, and DNS DCV's `dcv-method`, `dcv-random-value` and
 * `check-dcv` of §12) over a keep-alive undici pool, classified into an outcome the use case can act on.
 * It never throws for an HTTP status, a transport failure or a body of the wrong shape; retries and
 * key refresh are the use case's (`resend/digicert-call.ts`).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Pool as PoolType } from 'undici';
// undici's `Pool` module, not its package root: the root loads fetch, WebSocket, the cache and the
// mocks too: more bundle and cold-start time for nothing used here. undici does not
// promise this path, so the choice is: keep undici pinned exactly (package.json), type the module
// by hand (`undici-deep.d.ts`, borrowing the public types), and let
// `test/digicert/undici-deep-imports.int.test.ts` fail on an upgrade that moves or changes it (it
// checks the pinned version, the absence of an `exports` map, that it is the public API's own
// `Pool`, and real exchanges through it). Requests go through `dispatch` (`http-exchange.ts`).
import Pool from 'undici/lib/dispatcher/pool.js';
import { DIGICERT_RESEND_ROUTE, resendPath } from '../app/contract.js';
import {
  type DcvCheckAnswer,
  type DigiCertDcvMethod,
  type DigiCertDnsDcv,
  type DigiCertRandomValue,
  NOT_YET_CODES,
} from '../dcv/dns/digicert-dcv.js';
import type { DigiCertDomainEmails, DomainEmailsOutcome } from '../dcv/emails-query.js';
import type {
  DigiCertOrder,
  DigiCertOrderReader,
  DigiCertOrderValidation,
  PageRequest,
  PendingOrdersPage,
} from '../dcv/status.js';
import type { DigiCertErrorEntry } from '../lib/errors.js';
import { type ExchangeResult, exchange } from '../lib/http-exchange.js';
import type {
  AttemptOptions,
  AttemptOutcome,
  DigiCertClient,
  FailedAttempt,
  ReadOutcome,
} from '../resend/ports.js';
import type { ResendBody } from '../resend/request-schema.js';
import {
  type Read,
  readDcvCheck,
  readOrder,
  readOrderValidation,
  readPendingOrdersPage,
  readRandomValue,
} from './order-schemas.js';

export interface UndiciDigiCertClientOptions {
  readonly baseUrl: string;
  readonly userAgent?: string;
  /** Connections kept to DigiCert; more requests than this queue in the pool. */
  readonly connections?: number;
}

const RETRYABLE_STATUSES = new Set([500, 502, 503, 504]);
const MAX_ERROR_BODY_BYTES = 64 * 1024;
/** A page of 1000 orders with their domains fits with room to spare. */
const MAX_READ_BODY_BYTES = 8 * 1024 * 1024;
/** Transport failures that are timeouts; the exchange's own time limit comes as `timedOut`. */
const TRANSPORT_TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);

export class UndiciDigiCertClient
  implements DigiCertClient, DigiCertDomainEmails, DigiCertOrderReader, DigiCertDnsDcv
{
  readonly #pool: PoolType;
  readonly #basePath: string;
  readonly #userAgent: string;

  constructor(options: UndiciDigiCertClientOptions) {
    const url = new URL(options.baseUrl);
    this.#basePath = url.pathname.replace(/\/+$/, '');
    this.#userAgent = options.userAgent ?? 'dcv-resend';
    this.#pool = new Pool(url.origin, {
      connections: options.connections ?? 32,
      pipelining: 1,
      // Lambda freezes the container between invocations; short idle times avoid reusing sockets
      // that DigiCert's side closed meanwhile.
      keepAliveTimeout: 4_000,
      keepAliveMaxTimeout: 30_000,
      connect: { timeout: 5_000 },
    });
  }

  async resendEmails(
    orderId: number,
    body: ResendBody,
    apiKey: string,
    options: AttemptOptions,
  ): Promise<AttemptOutcome> {
    const result = await exchange(this.#pool, {
      method: DIGICERT_RESEND_ROUTE.method,
      path: `${this.#basePath}${resendPath(orderId)}`,
      headers: {
        'x-dc-devkey': apiKey,
        'content-type': 'application/json',
        accept: 'application/json',
        'user-agent': this.#userAgent,
      },
      body: JSON.stringify(body),
      timeoutMs: options.timeoutMs,
      maxBodyBytes: MAX_ERROR_BODY_BYTES,
    });
    if (result.kind === 'failed') {
      // DigiCert accepted it; only the rest of the answer was lost. Retrying would send the emails twice.
      const status = result.status;
      return status !== undefined && status >= 200 && status < 300
        ? { kind: 'sent', status }
        : transportFailure(result);
    }
    const { status, text } = result;
    if (status >= 200 && status < 300) return { kind: 'sent', status };
    return failedAnswer(status, text, result.headers, apiKey);
  }

  /**
   * `GET {base}/domain/{domain}/dcv/emails`, the FQDN in place of the domain id (DigiCert accepts
   * either for a domain in the account): DigiCert's own list of DCV addresses. One attempt.
   */
  async domainDcvEmails(
    domain: string,
    apiKey: string,
    options: AttemptOptions,
  ): Promise<DomainEmailsOutcome> {
    const answer = await this.#get(`/domain/${encodeURIComponent(domain)}/dcv/emails`, apiKey, options);
    if (answer.kind !== 'ok') return answer;
    const body = parseObject(answer.text);
    return body
      ? { kind: 'found', status: answer.status, body }
      : { kind: 'unavailable', status: answer.status, detail: 'DigiCert answered 200 without a JSON object' };
  }

  /** `GET {base}/order/certificate/{id}`: the order (docs/contract.md §10). One attempt. */
  orderInfo(orderId: number, apiKey: string, options: AttemptOptions): Promise<ReadOutcome<DigiCertOrder>> {
    return this.#read(`/order/certificate/${orderId}`, apiKey, options, readOrder);
  }

  /** `GET {base}/order/certificate/{id}/validation`: each domain's DCV state. One attempt. */
  orderValidation(
    orderId: number,
    apiKey: string,
    options: AttemptOptions,
  ): Promise<ReadOutcome<DigiCertOrderValidation>> {
    return this.#read(`/order/certificate/${orderId}/validation`, apiKey, options, readOrderValidation);
  }

  /**
   * `GET {base}/order/certificate?filters[status]=pending&offset=N&limit=M`: one page of the
   * account's pending orders, for the pending-DCV sweep. One attempt.
   */
  pendingOrders(
    page: PageRequest,
    apiKey: string,
    options: AttemptOptions,
  ): Promise<ReadOutcome<PendingOrdersPage>> {
    const query = new URLSearchParams({
      'filters[status]': 'pending',
      offset: String(page.offset),
      limit: String(page.limit),
    });
    return this.#read(`/order/certificate?${query}`, apiKey, options, readPendingOrdersPage);
  }

  /**
   * `PUT {base}/order/certificate/{id}/dcv-method` with `{"dcv_method": method}`: DigiCert's 204
   * (`sent`) for `email`; for a token method its new `{dcv_random_value, expiration_date}`, a body
   * without them `unavailable` naming the field. One attempt.
   */
  async setDcvMethod(
    orderId: number,
    method: DigiCertDcvMethod,
    apiKey: string,
    options: AttemptOptions,
  ): Promise<Extract<AttemptOutcome, { kind: 'sent' }> | ReadOutcome<DigiCertRandomValue>> {
    const answer = await this.#send('PUT', `/order/certificate/${orderId}/dcv-method`, apiKey, options, {
      dcv_method: method,
    });
    if (answer.kind !== 'ok') return answer;
    if (method === 'email') return { kind: 'sent', status: answer.status };
    return checked(answer, readRandomValue, apiKey);
  }

  /**
   * `PUT {base}/order/certificate/{id}/dcv-random-value`: the order's current random value (DigiCert
   * makes a new one when the old one expired). One attempt.
   */
  async dcvRandomValue(
    orderId: number,
    apiKey: string,
    options: AttemptOptions,
  ): Promise<ReadOutcome<DigiCertRandomValue>> {
    const answer = await this.#send('PUT', `/order/certificate/${orderId}/dcv-random-value`, apiKey, options);
    return answer.kind === 'ok' ? checked(answer, readRandomValue, apiKey) : answer;
  }

  /**
   * `PUT {base}/order/certificate/{id}/check-dcv`: DigiCert checks the order's DCV now. Its 200 with
   * `dcv_status: "valid"` is validated; a 4xx whose codes all say "not found yet" (`NOT_YET_CODES`)
   * and a 200 with another `dcv_status` are `found` with `validated: false`: an answer the caller
   * waits on, not a failure. One attempt.
   */
  async checkDcv(
    orderId: number,
    apiKey: string,
    options: AttemptOptions,
  ): Promise<ReadOutcome<DcvCheckAnswer>> {
    const answer = await this.#send('PUT', `/order/certificate/${orderId}/check-dcv`, apiKey, options);
    if (answer.kind === 'rejected') {
      const { errors, status } = answer;
      const notYet = errors.length > 0 && errors.every((entry) => NOT_YET_CODES.has(baseCode(entry.code)));
      if (!notYet) return answer;
      const message =
        errors.map((entry) => entry.message).find(Boolean) ?? 'DigiCert found no DCV record yet';
      return {
        kind: 'found',
        status,
        body: { validated: false, codes: errors.map((entry) => entry.code), message },
      };
    }
    if (answer.kind !== 'ok') return answer;
    const read = checked(answer, readDcvCheck, apiKey);
    if (read.kind !== 'found') return read;
    const body = read.body;
    if (body.dcv_status === 'valid') return { ...read, body: { validated: true, body } };
    const pending = (body.dns_name_validations ?? [])
      .filter((domain) => domain.status !== 'approved')
      .map((domain) => redactKey(domain.dns_name, apiKey));
    return {
      ...read,
      body: {
        validated: false,
        codes: [],
        message: `DigiCert has not validated the order yet (dcv_status ${redactKey(body.dcv_status, apiKey)})${
          pending.length > 0 ? `; pending: ${pending.join(', ')}` : ''
        }`,
      },
    };
  }

  /** A GET whose 200 body must be JSON of the shape `read` checks; a body that is not is `unavailable`, naming the field. */
  async #read<T>(
    path: string,
    apiKey: string,
    options: AttemptOptions,
    read: (body: unknown) => Read<T>,
  ): Promise<ReadOutcome<T>> {
    const answer = await this.#get(path, apiKey, options);
    return answer.kind === 'ok' ? checked(answer, read, apiKey) : answer;
  }

  /** One PUT with a JSON body (or none), classified: a 2xx's text, or how the attempt failed. */
  async #send(
    method: 'PUT',
    path: string,
    apiKey: string,
    options: AttemptOptions,
    body?: unknown,
  ): Promise<{ readonly kind: 'ok'; readonly status: number; readonly text: string } | FailedAttempt> {
    const result = await exchange(this.#pool, {
      method,
      path: `${this.#basePath}${path}`,
      headers: {
        'x-dc-devkey': apiKey,
        // DigiCert's own examples send it on a PUT without a body too.
        'content-type': 'application/json',
        accept: 'application/json',
        'user-agent': this.#userAgent,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      timeoutMs: options.timeoutMs,
      maxBodyBytes: MAX_ERROR_BODY_BYTES,
    });
    // These PUTs may be repeated: a lost answer is retried like a read's.
    if (result.kind === 'failed') return transportFailure(result) as FailedAttempt;
    const { status, text } = result;
    if (status >= 200 && status < 300) return { kind: 'ok', status, text };
    return failedAnswer(status, text, result.headers, apiKey);
  }

  /** One GET, classified: the 200's text, or how the attempt failed. */
  async #get(
    path: string,
    apiKey: string,
    options: AttemptOptions,
  ): Promise<{ readonly kind: 'ok'; readonly status: 200; readonly text: string } | FailedAttempt> {
    const result = await exchange(this.#pool, {
      method: 'GET',
      path: `${this.#basePath}${path}`,
      headers: { 'x-dc-devkey': apiKey, accept: 'application/json', 'user-agent': this.#userAgent },
      timeoutMs: options.timeoutMs,
      maxBodyBytes: MAX_READ_BODY_BYTES,
    });
    if (result.kind === 'failed') return transportFailure(result) as FailedAttempt;
    const { status, text } = result;
    if (status === 200) return { kind: 'ok', status, text };
    return failedAnswer(status, text, result.headers, apiKey);
  }

  /** Closes the pool's connections (tests, local server shutdown). */
  close(): Promise<void> {
    return this.#pool.close();
  }
}

/**
 * A 2xx's body checked against the shape `read` wants: `found`, or `unavailable` (not retryable)
 * naming the field. DigiCert's values are not quoted: only the field and what was expected of it.
 */
function checked<T>(
  answer: { readonly status: number; readonly text: string },
  read: (body: unknown) => Read<T>,
  apiKey: string,
): ReadOutcome<T> {
  const { status, text } = answer;
  if (text === '') return unreadable(status, `DigiCert answered ${status} without a body`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return unreadable(status, `DigiCert answered ${status} with a body that is not JSON`);
  }
  const result = read(json);
  return result.ok
    ? { kind: 'found', status, body: result.value }
    : unreadable(status, `DigiCert answered ${status} with ${redactKey(result.problem, apiKey)}`);
}

/** DigiCert's code without its `|detail` suffix (`caa_check_failed|variable`). */
function baseCode(code: string): string {
  return code.split('|', 1)[0] ?? code;
}

/** A 2xx this product cannot read: asking again would get the same body. */
function unreadable(status: number, detail: string): FailedAttempt {
  return { kind: 'unavailable', status, retryable: false, retryAfterSeconds: undefined, detail };
}

/** What an answer other than the request's success means, whichever request it answered. */
function failedAnswer(
  status: number,
  text: string,
  headers: IncomingHttpHeaders,
  apiKey: string,
): FailedAttempt {
  const retryAfterSeconds = parseRetryAfter(headers['retry-after']);
  if (status === 401) return { kind: 'unauthorized', status };
  if (status === 429) return { kind: 'rate_limited', status, retryAfterSeconds };
  if (status >= 400 && status < 500) {
    return { kind: 'rejected', status, errors: parseErrorEnvelope(text, apiKey) ?? [fallbackEntry(status)] };
  }
  return {
    kind: 'unavailable',
    status,
    retryable: RETRYABLE_STATUSES.has(status),
    retryAfterSeconds,
    detail: describeBody(status, text, apiKey),
  };
}

function transportFailure(failure: Extract<ExchangeResult, { kind: 'failed' }>): AttemptOutcome {
  const { error, status } = failure;
  const code = errorCode(error);
  if (failure.timedOut || TRANSPORT_TIMEOUT_CODES.has(code)) {
    return { kind: 'timeout', detail: `no complete answer from DigiCert in time (${code || 'aborted'})` };
  }
  return {
    kind: 'unavailable',
    status,
    retryable: true,
    retryAfterSeconds: undefined,
    detail: `connection to DigiCert failed (${code || 'unknown error'})`,
  };
}

/** The first string `code` along the cause chain (bounded: causes can form a cycle). */
function errorCode(error: unknown, depth = 0): string {
  if (typeof error !== 'object' || error === null || depth > 5) return '';
  const own = (error as { code?: unknown }).code;
  if (typeof own === 'string') return own;
  return errorCode((error as { cause?: unknown }).cause, depth + 1);
}

/**
 * DigiCert's `{"errors":[{"code","message"}]}`, or `undefined` when the body is anything else.
 * Each entry keeps only the fields DigiCert documents (`code`, `message`), with `apiKey` redacted
 * from both: the entries travel on to HTTP callers, error messages and logs, and DigiCert or a
 * proxy in front of it may echo the request's key header (docs/contract.md §5).
 */
export function parseErrorEnvelope(text: string, apiKey?: string): DigiCertErrorEntry[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const errors = (parsed as { errors?: unknown }).errors;
  if (!Array.isArray(errors) || errors.length === 0) return undefined;
  const entries: DigiCertErrorEntry[] = [];
  for (const entry of errors) {
    if (typeof entry !== 'object' || entry === null) return undefined;
    const { code, message } = entry as { code?: unknown; message?: unknown };
    if (typeof code !== 'string') return undefined;
    entries.push({
      code: redactKey(code, apiKey),
      message: typeof message === 'string' ? redactKey(message, apiKey) : '',
    });
  }
  return entries;
}

function redactKey(value: string, apiKey: string | undefined): string {
  return apiKey && value.includes(apiKey) ? value.replaceAll(apiKey, '[REDACTED]') : value;
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function fallbackEntry(status: number): DigiCertErrorEntry {
  return { code: `http_${status}`, message: `DigiCert answered HTTP ${status} without an error envelope` };
}

function describeBody(status: number, text: string, apiKey: string): string {
  const envelope = parseErrorEnvelope(text, apiKey);
  if (envelope) return `DigiCert answered HTTP ${status} (${envelope.map((e) => e.code).join(', ')})`;
  return `DigiCert answered HTTP ${status}${text ? ' with a non-JSON body' : ''}`;
}

/** Longest `Retry-After` taken from DigiCert; beyond it the value is passed on as this. */
export const MAX_RETRY_AFTER_SECONDS = 86_400;

/**
 * `Retry-After` as seconds (delta-seconds or an HTTP date), at most a day; `undefined` when absent
 * or unreadable.
 */
export function parseRetryAfter(
  header: string | string[] | undefined,
  now: number = Date.now(),
): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || value.trim() === '') return undefined;
  if (/^\s*\d+\s*$/.test(value)) return Math.min(MAX_RETRY_AFTER_SECONDS, Number(value));
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(0, Math.ceil((date - now) / 1000)));
}
