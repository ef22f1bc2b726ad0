/**
 * A local stand-in for DigiCert CertCentral's `PUT /services/v2/order/certificate/{id}/resend-emails`:
 * a real HTTP server on 127.0.0.1 that checks the key and the body as DigiCert does and answers
 * with DigiCert's statuses and error envelope. Tests script its answers per order id; `npm start`
 * uses it as the embedded default with a few "magic" order ids (see `DEMO_ORDERS`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoopbackServer } from './loopback-server.js';

/** What the simulator does with one request. */
export type Behaviour =
  | { kind: 'sent' }
  | { kind: 'not_found' }
  | { kind: 'forbidden' }
  | { kind: 'bad_request'; code?: string; message?: string }
  | { kind: 'unauthorized' }
  | { kind: 'rate_limited'; retryAfter?: string }
  | { kind: 'server_error' }
  | { kind: 'maintenance' }
  | { kind: 'html_bad_gateway' }
  | { kind: 'gateway_timeout' }
  /** Headers only after `delayMs`, then the inner behaviour. */
  | { kind: 'slow'; delayMs: number; then?: Behaviour }
  /** Headers at once, the body trickles in over `delayMs`. */
  | { kind: 'slow_body'; delayMs: number; status?: number }
  /** The connection is destroyed without an answer. */
  | { kind: 'reset' }
  /** Headers and half a JSON body, then the connection is destroyed. */
  | { kind: 'reset_mid_body'; status?: number }
  /** A JSON error envelope cut short (but a complete HTTP message). */
  | { kind: 'truncated_json'; status?: number }
  | { kind: 'custom'; status: number; body?: string; headers?: Record<string, string> }
  /**
   * A careless proxy or API: a 4xx envelope that echoes the request's `X-DC-DEVKEY` in the code,
   * the message, an extra field of the entry and beside `errors` (the key-leak canary).
   */
  | { kind: 'echo_key'; status?: number };

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly orderId: number | undefined;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly rawBody: string;
  /** The parsed JSON body, or `undefined` when it was not JSON. */
  readonly body: unknown;
  readonly receivedAt: number;
  /** The client's port: requests on one keep-alive connection share it. */
  readonly remotePort: number | undefined;
}

export interface SimulatorOptions {
  /** Keys that DigiCert accepts; any other `X-DC-DEVKEY` gets a 401. */
  readonly validKeys: readonly string[];
  /** Behaviour for order ids that have no script. @default sent */
  readonly defaultBehaviour?: Behaviour;
  /** Added before every answer, to model DigiCert's own latency. @default 0 */
  readonly latencyMs?: number;
  /** DigiCert's own rate limits per key (rolling windows); over any: 429. @default none */
  readonly rateLimits?: readonly { limit: number; windowMs: number }[];
  /** Per-order behaviours that apply when no script is set (the demo's magic order ids). */
  readonly fixedBehaviours?: ReadonlyMap<number, Behaviour>;
  readonly port?: number;
  /**
   * How many requests `requests` keeps (the oldest are dropped), so that a long-running local
   * server or a load test does not grow without bound. @default unbounded (tests read them all)
   */
  readonly maxRecordedRequests?: number;
}

export const BASE_PATH = '/services/v2';
const ROUTE = /^\/services\/v2\/order\/certificate\/([^/]+)\/resend-emails$/;
/** DigiCert's domain-level `GET /domain/{domain_id}/dcv/emails` (the FQDN accepted in place of the id). */
const DOMAIN_EMAILS_ROUTE = /^\/services\/v2\/domain\/([^/?]+)\/dcv\/emails(?:\?.*)?$/;
/** A domain whose DCV emails the demo's key may not read (403), as with a key lacking the domains permission. */
export const DEMO_FORBIDDEN_DOMAIN = 'forbidden.example.com';

/** Order ids with a fixed behaviour in the demo (`npm start`): try them to see every outcome. */
export const DEMO_ORDERS: ReadonlyMap<number, Behaviour> = new Map<number, Behaviour>([
  [404, { kind: 'not_found' }],
  [403, { kind: 'forbidden' }],
  [400, { kind: 'bad_request' }],
  [429, { kind: 'rate_limited' }],
  [500, { kind: 'server_error' }],
  [502, { kind: 'html_bad_gateway' }],
  [503, { kind: 'maintenance' }],
  [504, { kind: 'slow', delayMs: 60_000 }],
]);

const envelope = (code: string, message: string) => JSON.stringify({ errors: [{ code, message }] });

function echoKey(behaviour: { status?: number }, header: string | string[] | undefined): Behaviour {
  const key = String(header);
  return {
    kind: 'custom',
    status: behaviour.status ?? 400,
    body: JSON.stringify({
      errors: [
        {
          code: `invalid_key|${key}`,
          message: `The key ${key} is not allowed for this order`,
          field: key,
          request: { headers: { 'X-DC-DEVKEY': key } },
        },
      ],
      echo: key,
    }),
  };
}

export class DigiCertSimulator {
  readonly requests: RecordedRequest[] = [];
  readonly #http: LoopbackServer;
  #options: SimulatorOptions;
  #scripts = new Map<number, Behaviour[]>();
  #domainScripts = new Map<string, Behaviour>();
  #timers = new Set<NodeJS.Timeout>();
  #keyHits = new Map<string, number[]>();
  #validKeys: Set<string>;
  #received = 0;

  private constructor(http: LoopbackServer, options: SimulatorOptions) {
    this.#http = http;
    this.#options = options;
    this.#validKeys = new Set(options.validKeys);
  }

  /** Starts a simulator on 127.0.0.1 (a free port unless one is given). */
  static async start(options: SimulatorOptions): Promise<DigiCertSimulator> {
    let simulator: DigiCertSimulator | undefined;
    const http = await LoopbackServer.listen((req, res) => {
      if (simulator) simulator.#onRequest(req, res);
    }, options.port);
    simulator = new DigiCertSimulator(http, options);
    return simulator;
  }

  get port(): number {
    return this.#http.port;
  }

  /** The DigiCert base URL to configure (`DIGICERT_BASE_URL`). */
  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}${BASE_PATH}`;
  }

  /**
   * Scripts the answers for one order id: each request takes the next behaviour; the last one
   * repeats.
   */
  script(orderId: number, ...behaviours: Behaviour[]): this {
    this.#scripts.set(orderId, [...behaviours]);
    return this;
  }

  /**
   * Scripts the answer to `GET /domain/{domain}/dcv/emails` for one domain (e.g. `forbidden` for a
   * key that may not read domains); unscripted domains get a plausible list of addresses.
   */
  scriptDomain(domain: string, behaviour: Behaviour): this {
    this.#domainScripts.set(domain.toLowerCase(), behaviour);
    return this;
  }

  /** Replaces the keys DigiCert accepts (a rotation: the old key is revoked). */
  setValidKeys(keys: readonly string[]): void {
    this.#validKeys = new Set(keys);
  }

  /** Requests received since start or the last `reset()`, including those no longer recorded. */
  get received(): number {
    return this.#received;
  }

  /** Requests received for one order id. */
  requestsFor(orderId: number): RecordedRequest[] {
    return this.requests.filter((r) => r.orderId === orderId);
  }

  /** Forgets scripts, recorded requests and rate-limit windows. */
  reset(): void {
    this.requests.length = 0;
    this.#received = 0;
    this.#scripts.clear();
    this.#domainScripts.clear();
    this.#keyHits.clear();
  }

  async close(): Promise<void> {
    for (const timer of this.#timers) clearTimeout(timer);
    await this.#http.close();
  }

  #later(ms: number, fn: () => void): void {
    if (ms <= 0) {
      fn();
      return;
    }
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      fn();
    }, ms);
    this.#timers.add(timer);
  }

  #onRequest(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const path = req.url ?? '';
      const match = ROUTE.exec(path);
      const orderId = match?.[1] && /^[0-9]+$/.test(match[1]) ? Number(match[1]) : undefined;
      let body: unknown;
      try {
        body = rawBody === '' ? undefined : JSON.parse(rawBody);
      } catch {
        body = undefined;
      }
      this.requests.push({
        method: req.method ?? '',
        path,
        orderId,
        headers: { ...req.headers },
        rawBody,
        body,
        receivedAt: Date.now(),
        remotePort: req.socket.remotePort,
      });
      this.#received += 1;
      const excess = this.requests.length - (this.#options.maxRecordedRequests ?? Number.POSITIVE_INFINITY);
      if (excess > 0) this.requests.splice(0, excess);
      const decided = this.#decide(req, orderId, rawBody, body);
      const behaviour = decided.kind === 'echo_key' ? echoKey(decided, req.headers['x-dc-devkey']) : decided;
      this.#later(this.#options.latencyMs ?? 0, () => this.#answer(res, behaviour));
    });
  }

  #decide(req: IncomingMessage, orderId: number | undefined, rawBody: string, body: unknown): Behaviour {
    const domainEmails = DOMAIN_EMAILS_ROUTE.exec(req.url ?? '');
    if (domainEmails?.[1] !== undefined) return this.#decideDomainEmails(req, domainEmails[1]);
    if (orderId === undefined)
      return { kind: 'custom', status: 404, body: envelope('not_found|route', 'Not found') };
    if (req.method !== 'PUT') {
      return { kind: 'custom', status: 405, body: envelope('method_not_allowed', 'Method not allowed') };
    }
    const key = req.headers['x-dc-devkey'];
    if (typeof key !== 'string' || !this.#validKeys.has(key)) return { kind: 'unauthorized' };
    if (this.#overLimit(key)) return { kind: 'rate_limited' };
    if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) {
      return {
        kind: 'bad_request',
        code: 'bad_request_format',
        message: 'Content-Type must be application/json',
      };
    }
    if (rawBody !== '' && (typeof body !== 'object' || body === null || Array.isArray(body))) {
      return {
        kind: 'bad_request',
        code: 'bad_request_format',
        message: 'The request body is not valid JSON',
      };
    }
    const script = this.#scripts.get(orderId);
    if (script && script.length > 0)
      return script.length > 1 ? (script.shift() as Behaviour) : (script[0] as Behaviour);
    return this.#options.fixedBehaviours?.get(orderId) ?? this.#options.defaultBehaviour ?? { kind: 'sent' };
  }

  #decideDomainEmails(req: IncomingMessage, segment: string): Behaviour {
    if (req.method !== 'GET') {
      return { kind: 'custom', status: 405, body: envelope('method_not_allowed', 'Method not allowed') };
    }
    const key = req.headers['x-dc-devkey'];
    if (typeof key !== 'string' || !this.#validKeys.has(key)) return { kind: 'unauthorized' };
    if (this.#overLimit(key)) return { kind: 'rate_limited' };
    let domain: string;
    try {
      domain = decodeURIComponent(segment).toLowerCase();
    } catch {
      return {
        kind: 'custom',
        status: 404,
        body: envelope('not_found|domain', 'The domain could not be found.'),
      };
    }
    const scripted = this.#domainScripts.get(domain);
    if (scripted) return scripted;
    if (domain === DEMO_FORBIDDEN_DOMAIN) return { kind: 'forbidden' };
    // What DigiCert documents for a domain in the account: the constructed addresses at its scope.
    const scope = domain.startsWith('*.') ? domain.slice(2) : domain;
    const answer = {
      name_scope: scope,
      base_emails: ['admin', 'administrator', 'webmaster', 'hostmaster', 'postmaster'].map(
        (l) => `${l}@${scope}`,
      ),
      dns_txt_emails: [],
    };
    return { kind: 'custom', status: 200, body: JSON.stringify(answer) };
  }

  #overLimit(key: string): boolean {
    const limits = this.#options.rateLimits;
    if (!limits || limits.length === 0) return false;
    const now = Date.now();
    const longest = Math.max(...limits.map((l) => l.windowMs));
    const hits = (this.#keyHits.get(key) ?? []).filter((t) => now - t < longest);
    const over = limits.some((l) => hits.filter((t) => now - t < l.windowMs).length >= l.limit);
    if (!over) hits.push(now);
    this.#keyHits.set(key, hits);
    return over;
  }

  #answer(res: ServerResponse, behaviour: Behaviour) {
    const json = (status: number, body: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(body);
    };
    switch (behaviour.kind) {
      case 'sent':
        res.writeHead(204);
        res.end();
        return;
      case 'not_found':
        return json(404, envelope('not_found|order', 'The order could not be found.'));
      case 'forbidden':
        return json(403, envelope('access_denied|missing_permission', 'Permission denied for this action.'));
      case 'bad_request':
        return json(
          400,
          envelope(
            behaviour.code ?? 'invalid_dcv_email',
            behaviour.message ?? 'The DCV email address is not allowed.',
          ),
        );
      case 'unauthorized':
        return json(401, envelope('invalid_api_key', 'The API key is invalid.'));
      case 'rate_limited':
        return json(
          429,
          envelope('request_limit_exceeded', 'Service unavailable, please limit request volume'),
          behaviour.retryAfter === undefined ? {} : { 'retry-after': behaviour.retryAfter },
        );
      case 'server_error':
        return json(500, envelope('server_error', 'An unexpected error occurred.'));
      case 'maintenance':
        return json(503, envelope('service_unavailable', 'CertCentral is undergoing scheduled maintenance.'));
      case 'html_bad_gateway':
        res.writeHead(502, { 'content-type': 'text/html' });
        res.end(
          '<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>',
        );
        return;
      case 'gateway_timeout':
        res.writeHead(504, { 'content-type': 'text/html' });
        res.end('<html><body>504 Gateway Time-out</body></html>');
        return;
      case 'slow':
        this.#later(behaviour.delayMs, () => this.#answer(res, behaviour.then ?? { kind: 'sent' }));
        return;
      case 'slow_body': {
        res.writeHead(behaviour.status ?? 503, { 'content-type': 'application/json' });
        const body = envelope('service_unavailable', 'slow');
        res.write(body.slice(0, 5));
        this.#later(behaviour.delayMs, () => res.end(body.slice(5)));
        return;
      }
      case 'reset':
        res.socket?.destroy();
        return;
      case 'reset_mid_body': {
        const body = envelope('server_error', 'cut short');
        res.writeHead(behaviour.status ?? 500, {
          'content-type': 'application/json',
          'content-length': String(body.length),
        });
        res.write(body.slice(0, 10));
        this.#later(5, () => res.socket?.destroy());
        return;
      }
      case 'truncated_json':
        return json(behaviour.status ?? 400, '{"errors":[{"code":"bad_req');
      case 'echo_key':
        // Resolved with the request's key before answering; unreachable here.
        return json(500, envelope('server_error', 'echo_key was not resolved'));
      case 'custom':
        res.writeHead(behaviour.status, { 'content-type': 'application/json', ...behaviour.headers });
        res.end(behaviour.body ?? '');
        return;
    }
  }
}
