/**
 * The DigiCert CertCentral adapter: one `PUT {base}/order/certificate/{id}/resend-emails` attempt
 * over a keep-alive undici pool, classified into an outcome the use case can act on. It never
 * throws for an HTTP status or a transport failure; retries and key refresh are the use case's.
 */
import { EventEmitter } from 'node:events';
import type { Dispatcher, Pool as PoolType } from 'undici';
// undici's internal modules, not its package root: the root loads fetch, WebSocket, the cache and
// the mocks too, about 250 KB more bundle and cold-start time for nothing used here. undici does not
// promise these paths or shapes, so the choice is: keep undici pinned exactly (package.json), type
// the two modules by hand (`undici-deep.d.ts`, borrowing the public types), and let
// `test/integration/undici-deep-imports.test.ts` fail on an upgrade that moves or changes them (it
// checks the pinned version, the absence of an `exports` map, that they are the public API's own
// `Pool` and `request`, and one real request and abort through them).
import request from 'undici/lib/api/api-request.js';
import Pool from 'undici/lib/dispatcher/pool.js';
import { DIGICERT_RESEND_ROUTE, resendPath } from '../contract.js';
import type { DigiCertDomainEmails, DomainEmailsOutcome } from '../domain/dcv-emails-query.js';
import type { DigiCertErrorEntry } from '../domain/errors.js';
import type { AttemptOptions, AttemptOutcome, DigiCertClient } from '../domain/ports.js';
import type { ResendBody } from '../domain/request-schema.js';

export interface UndiciDigiCertClientOptions {
  readonly baseUrl: string;
  readonly userAgent?: string;
  /** Connections kept to DigiCert; more requests than this queue in the pool. */
  readonly connections?: number;
}

const RETRYABLE_STATUSES = new Set([500, 502, 503, 504]);
const MAX_ERROR_BODY_BYTES = 64 * 1024;
const TRANSPORT_TIMEOUT_CODES = new Set([
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'ETIMEDOUT',
]);

export class UndiciDigiCertClient implements DigiCertClient, DigiCertDomainEmails {
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
    const signal = new AttemptTimeout(Math.max(1, options.timeoutMs));
    try {
      return await this.#attempt(orderId, body, apiKey, options, signal);
    } finally {
      signal.clear();
    }
  }

  async #attempt(
    orderId: number,
    body: ResendBody,
    apiKey: string,
    options: AttemptOptions,
    signal: AttemptTimeout,
  ): Promise<AttemptOutcome> {
    let response: Dispatcher.ResponseData<unknown>;
    try {
      response = await request.call(this.#pool, {
        method: DIGICERT_RESEND_ROUTE.method,
        path: `${this.#basePath}${resendPath(orderId)}`,
        headers: {
          'x-dc-devkey': apiKey,
          'content-type': 'application/json',
          accept: 'application/json',
          'user-agent': this.#userAgent,
        },
        body: JSON.stringify(body),
        signal,
        headersTimeout: options.timeoutMs,
        bodyTimeout: options.timeoutMs,
      });
    } catch (error) {
      return transportFailure(error, signal);
    }

    const status = response.statusCode;
    if (status >= 200 && status < 300) {
      await response.body.dump().catch(() => undefined);
      return { kind: 'sent', status };
    }
    let text: string;
    try {
      text = await readCapped(response.body, MAX_ERROR_BODY_BYTES);
    } catch (error) {
      return transportFailure(error, signal, status);
    }
    const retryAfterSeconds = parseRetryAfter(response.headers['retry-after']);
    if (status === 401) return { kind: 'unauthorized', status };
    if (status === 429) return { kind: 'rate_limited', status, retryAfterSeconds };
    if (status >= 400 && status < 500) {
      return {
        kind: 'rejected',
        status,
        errors: parseErrorEnvelope(text, apiKey) ?? [fallbackEntry(status)],
      };
    }
    return {
      kind: 'unavailable',
      status,
      retryable: RETRYABLE_STATUSES.has(status),
      retryAfterSeconds,
      detail: describeBody(status, text, apiKey),
    };
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
    const signal = new AttemptTimeout(Math.max(1, options.timeoutMs));
    try {
      let response: Dispatcher.ResponseData<unknown>;
      try {
        response = await request.call(this.#pool, {
          method: 'GET',
          path: `${this.#basePath}/domain/${encodeURIComponent(domain)}/dcv/emails`,
          headers: { 'x-dc-devkey': apiKey, accept: 'application/json', 'user-agent': this.#userAgent },
          signal,
          headersTimeout: options.timeoutMs,
          bodyTimeout: options.timeoutMs,
        });
      } catch (error) {
        return transportFailure(error, signal) as DomainEmailsOutcome;
      }
      const status = response.statusCode;
      let text: string;
      try {
        text = await readCapped(response.body, MAX_ERROR_BODY_BYTES);
      } catch (error) {
        return transportFailure(error, signal, status) as DomainEmailsOutcome;
      }
      if (status === 200) {
        const body = parseObject(text);
        return body
          ? { kind: 'found', status, body }
          : { kind: 'unavailable', status, detail: 'DigiCert answered 200 without a JSON object' };
      }
      if (status === 401) return { kind: 'unauthorized', status };
      if (status === 429) return { kind: 'rate_limited', status };
      if (status >= 400 && status < 500) {
        return {
          kind: 'rejected',
          status,
          errors: parseErrorEnvelope(text, apiKey) ?? [fallbackEntry(status)],
        };
      }
      return { kind: 'unavailable', status, detail: describeBody(status, text, apiKey) };
    } finally {
      signal.clear();
    }
  }

  /** Closes the pool's connections (tests, local server shutdown). */
  close(): Promise<void> {
    return this.#pool.close();
  }
}

async function readCapped(body: Dispatcher.ResponseData['body'], limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buffer = chunk as Buffer;
    if (size + buffer.length > limit) {
      chunks.push(buffer.subarray(0, limit - size));
      body.destroy();
      break;
    }
    chunks.push(buffer);
    size += buffer.length;
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * An attempt's overall time limit, as the abort source undici accepts besides `AbortSignal` (an
 * `EventEmitter` emitting `abort`). `AbortSignal.timeout()` costs ~20 µs per attempt on Node 20 (a
 * third of a whole local round trip; see `npm run bench`) and its timer outlives the attempt; this
 * one costs ~1 µs and is cleared as soon as the attempt ends.
 */
class AttemptTimeout extends EventEmitter {
  aborted = false;
  readonly #timer: NodeJS.Timeout;

  constructor(ms: number) {
    super();
    this.#timer = setTimeout(() => {
      this.aborted = true;
      this.emit('abort');
    }, ms);
    this.#timer.unref();
  }

  clear(): void {
    clearTimeout(this.#timer);
  }
}

function transportFailure(
  error: unknown,
  signal: { readonly aborted: boolean },
  status?: number,
): AttemptOutcome {
  const code = errorCode(error);
  if (signal.aborted || TRANSPORT_TIMEOUT_CODES.has(code)) {
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
