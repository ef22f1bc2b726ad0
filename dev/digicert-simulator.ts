/**
 * A local stand-in for DigiCert CertCentral: `PUT /services/v2/order/certificate/{id}/resend-emails`,
 * the domain's DCV addresses, and an order book read through `GET /order/certificate/{id}`,
 * `GET /order/certificate/{id}/validation` and the paged `GET /order/certificate?filters[status]=...`,
 * and changed by DNS DCV's `PUT .../dcv-method`, `PUT .../dcv-random-value` and `PUT .../check-dcv`
 * (which really looks the TXT or CNAME up, through `dnsServers`).
 * A real HTTP server on 127.0.0.1 that checks the key (a view-only key may GET, its PUT gets 403)
 * and the body as DigiCert does and answers with DigiCert's statuses and error envelope. Tests
 * script its answers per order id and seed its book (`stuckOrders`); `npm start` uses it as the
 * embedded default with a few "magic" order ids (`DEMO_ORDERS`) and stuck orders (`demoBook`).
 */
import { randomInt } from 'node:crypto';
import { Resolver } from 'node:dns/promises';
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

/** DCV methods of an order, as DigiCert names them. */
export type DcvMethod = 'email' | 'dns-txt-token' | 'dns-cname-token' | 'http-token' | 'http-token-dynamic';

const DCV_METHODS: ReadonlySet<string> = new Set<DcvMethod>([
  'email',
  'dns-txt-token',
  'dns-cname-token',
  'http-token',
  'http-token-dynamic',
]);

/** The DNS DCV routes of an order: `PUT /order/certificate/{id}/<route>`. */
export type DcvRoute = 'dcv-method' | 'dcv-random-value' | 'check-dcv';

/** One order of the simulator's book. */
export interface SimulatedOrder {
  readonly id: number;
  /** `pending`, `issued`, `rejected`, ... as DigiCert says. */
  readonly status: string;
  /** The first is the common name. */
  readonly dnsNames: readonly string[];
  readonly dcvMethod: DcvMethod;
  /** Epoch milliseconds. */
  readonly createdAt: number;
  /** Each domain's DCV state; a name not listed is `pending`. */
  readonly validated?: readonly string[];
  /** A token method's random value and its expiry (epoch milliseconds). */
  readonly randomValue?: { readonly value: string; readonly expiresAt: number };
  /** @default ssl_dv_geotrust */
  readonly productNameId?: string;
  /** What `check-dcv` answers once the order is issued. @default 100000000 + id */
  readonly certificateId?: number;
}

/** DigiCert's page size bounds for the order list. */
export const ORDER_LIST_MAX_LIMIT = 1000;

export interface SimulatorOptions {
  /** Keys that DigiCert accepts; any other `X-DC-DEVKEY` gets a 401. */
  readonly validKeys: readonly string[];
  /** View-only keys (DigiCert's role 102): their GETs are answered, their PUTs get 403. */
  readonly viewOnlyKeys?: readonly string[];
  /** The order book at start and after `reset()`. @default empty */
  readonly orders?: readonly SimulatedOrder[];
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
  /**
   * DNS servers `check-dcv` asks, `host:port` (a dns2 stand-in in tests). @default the system's
   * resolvers
   */
  readonly dnsServers?: readonly string[];
  /** One DNS query's time limit (`check-dcv`), tried twice. @default 1000 */
  readonly dnsTimeoutMs?: number;
}

export const BASE_PATH = '/services/v2';
const ROUTE = /^\/services\/v2\/order\/certificate\/([^/]+)\/resend-emails$/;
/** `GET /order/certificate/{id}` and `GET /order/certificate/{id}/validation`. */
const ORDER_ROUTE = /^\/services\/v2\/order\/certificate\/([0-9]+)(\/validation)?\/?(?:\?.*)?$/;
/** `GET /order/certificate?filters[status]=pending&offset=N&limit=M`. */
const ORDER_LIST_ROUTE = /^\/services\/v2\/order\/certificate\/?(?:\?(.*))?$/;
/** DNS DCV: `PUT /order/certificate/{id}/dcv-method`, `/dcv-random-value`, `/check-dcv`. */
const DCV_ROUTE =
  /^\/services\/v2\/order\/certificate\/([0-9]+)\/(dcv-method|dcv-random-value|check-dcv)\/?(?:\?.*)?$/;
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

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** DigiCert's random values are valid for 30 days. */
const RANDOM_VALUE_DAYS = 30;
const RANDOM_VALUE_ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';
/** Where DigiCert's CNAME method points: `_dnsauth.<domain>` CNAME `<random value>.dcv.digicert.com`. */
const DCV_CNAME_SUFFIX = 'dcv.digicert.com';

/**
 * What `check-dcv` answers when it finds no record: DigiCert's documented `invalid_dns_txt` and
 * `file_random_value_not_found`, its `invalid_dns_cname`, and, for an expired random value, a code
 * of the simulator's own (DigiCert does not document one): `random_value_expired`.
 */
export const CHECK_DCV_CODES = {
  txt: 'invalid_dns_txt',
  cname: 'invalid_dns_cname',
  file: 'file_random_value_not_found',
  expired: 'random_value_expired',
} as const;

/** A fresh random value as DigiCert makes them: 32 lowercase letters and digits. */
export function newRandomValue(): string {
  return Array.from(
    { length: 32 },
    () => RANDOM_VALUE_ALPHABET[randomInt(RANDOM_VALUE_ALPHABET.length)],
  ).join('');
}

/**
 * A few realistic stuck orders for `npm start` (ids clear of `DEMO_ORDERS`), aged from `now`: an
 * email DCV waiting six days, a DNS TXT token whose value expires in three days, an order past
 * DigiCert's ten days of re-checks, one half validated, and one already issued.
 */
export function demoBook(now: number = Date.now()): SimulatedOrder[] {
  return [
    {
      id: 1001,
      status: 'pending',
      dnsNames: ['example.com', 'www.example.com'],
      dcvMethod: 'email',
      createdAt: now - 142.5 * HOUR_MS,
    },
    {
      id: 1002,
      status: 'pending',
      dnsNames: ['shop.example.com'],
      dcvMethod: 'dns-txt-token',
      createdAt: now - 27 * DAY_MS,
      randomValue: { value: 'fdy6m0wy5lq063sz4h0r6qmdt722gyfc', expiresAt: now + 3 * DAY_MS },
    },
    {
      id: 1003,
      status: 'pending',
      dnsNames: ['legacy.example.org'],
      dcvMethod: 'email',
      createdAt: now - 12 * DAY_MS,
    },
    {
      id: 1004,
      status: 'pending',
      dnsNames: ['api.example.net', 'status.example.net'],
      dcvMethod: 'email',
      createdAt: now - 30 * HOUR_MS,
      validated: ['api.example.net'],
    },
    {
      id: 1005,
      status: 'issued',
      dnsNames: ['www.example.org'],
      dcvMethod: 'dns-cname-token',
      createdAt: now - 40 * DAY_MS,
      validated: ['www.example.org'],
    },
  ];
}

/** The id of the first demo stuck order (`demoBook`): `dcv-resend status --order 1001`. */
export const DEMO_STUCK_ORDER = 1001;

/**
 * `count` pending orders for tests of the sweep's scale, deterministic (the same ids, domains,
 * methods and ages on every call with the same `now`): ids from `firstId`; about half email DCV,
 * the rest DNS TXT, DNS CNAME or HTTP tokens with a random value; ages from an hour to 20 days.
 */
export function stuckOrders(
  count: number,
  options: { readonly now?: number; readonly firstId?: number } = {},
): SimulatedOrder[] {
  const now = options.now ?? Date.now();
  const firstId = options.firstId ?? 100_000;
  const methods: readonly DcvMethod[] = ['email', 'email', 'dns-txt-token', 'dns-cname-token', 'http-token'];
  return Array.from({ length: count }, (_, index) => {
    const id = firstId + index;
    const random = seeded(id);
    const dcvMethod = methods[Math.floor(random() * methods.length)] ?? 'email';
    const base = `site-${id}.example.com`;
    const dnsNames = random() < 0.5 ? [base] : [base, `www.${base}`];
    const createdAt = now - Math.floor((1 + random() * 479) * HOUR_MS);
    const order: SimulatedOrder = { id, status: 'pending', dnsNames, dcvMethod, createdAt };
    if (dcvMethod === 'email') return order;
    const value = Array.from(
      { length: 32 },
      () => '0123456789abcdefghijklmnopqrstuvwxyz'[Math.floor(random() * 36)],
    ).join('');
    return { ...order, randomValue: { value, expiresAt: createdAt + RANDOM_VALUE_DAYS * DAY_MS } };
  });
}

/** A small deterministic generator (mulberry32), so that seeded books are the same on every run. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** DigiCert's date form: `2026-12-01T10:00:00+00:00`. */
function digicertDate(epochMs: number): string {
  return new Date(Math.floor(epochMs / 1000) * 1000).toISOString().replace('.000Z', '+00:00');
}

/** The order as `GET /order/certificate/{id}` answers it (a subset of DigiCert's fields). */
function orderBody(order: SimulatedOrder): Record<string, unknown> {
  const productNameId = order.productNameId ?? 'ssl_dv_geotrust';
  return {
    id: order.id,
    certificate: {
      common_name: order.dnsNames[0] ?? '',
      dns_names: [...order.dnsNames],
      signature_hash: 'sha256',
    },
    status: order.status,
    date_created: digicertDate(order.createdAt),
    product: { name_id: productNameId, name: 'GeoTrust Standard DV', type: 'dv_ssl_certificate' },
    dcv_method: order.dcvMethod,
    ...(order.randomValue
      ? {
          dcv_token: {
            token: order.randomValue.value,
            status: order.status === 'pending' ? 'pending' : 'expired',
            expiration_date: digicertDate(order.randomValue.expiresAt),
          },
        }
      : {}),
  };
}

/** An order as the list answers it: no DCV method or token (read the order for those). */
function listedOrder(order: SimulatedOrder): Record<string, unknown> {
  const { dcv_method: _method, dcv_token: _token, ...listed } = orderBody(order);
  return listed;
}

function validationBody(order: SimulatedOrder): Record<string, unknown> {
  const validated = new Set(order.validated ?? []);
  return {
    dns_name_validations: order.dnsNames.map((name) => ({
      name,
      status: validated.has(name) ? 'approved' : 'pending',
      method: order.dcvMethod,
    })),
  };
}

const envelope = (code: string, message: string) => JSON.stringify({ errors: [{ code, message }] });

/** The next behaviour of a script (the last one repeats), or `undefined` without one. */
function next(script: Behaviour[] | undefined): Behaviour | undefined {
  if (!script || script.length === 0) return undefined;
  return script.length > 1 ? script.shift() : script[0];
}

/** DigiCert's 400 for a DCV request it refuses or a check that found nothing. */
function dcvRefusal(code: string, message: string): Behaviour {
  return { kind: 'custom', status: 400, body: envelope(code, message) };
}

function randomValueAnswer(randomValue: { readonly value: string; readonly expiresAt: number }): Behaviour {
  const body = { dcv_random_value: randomValue.value, expiration_date: digicertDate(randomValue.expiresAt) };
  return { kind: 'custom', status: 200, body: JSON.stringify(body) };
}

/** The name DigiCert checks for a domain: a wildcard's base name. */
function baseOf(dnsName: string): string {
  const name = dnsName.toLowerCase().replace(/\.$/, '');
  return name.startsWith('*.') ? name.slice(2) : name;
}

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
  #listScripts: Behaviour[] = [];
  #domainScripts = new Map<string, Behaviour>();
  #dcvScripts = new Map<string, Behaviour[]>();
  readonly #resolver: Resolver;
  #timers = new Set<NodeJS.Timeout>();
  #keyHits = new Map<string, number[]>();
  #validKeys: Set<string>;
  #viewOnlyKeys: Set<string>;
  #book = new Map<number, SimulatedOrder>();
  #received = 0;

  private constructor(http: LoopbackServer, options: SimulatorOptions) {
    this.#http = http;
    this.#options = options;
    this.#validKeys = new Set(options.validKeys);
    this.#viewOnlyKeys = new Set(options.viewOnlyKeys ?? []);
    this.#resolver = new Resolver({ timeout: options.dnsTimeoutMs ?? 1_000, tries: 2 });
    if (options.dnsServers && options.dnsServers.length > 0)
      this.#resolver.setServers([...options.dnsServers]);
    this.addOrders(options.orders ?? []);
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

  /**
   * Scripts the answers of one DNS DCV route of one order (e.g. a 503 for `check-dcv` while
   * `dcv-method` answers from the book): each request takes the next behaviour, the last repeats; a
   * scripted `sent` answers from the book. Before the order's own `script`, which applies to every
   * route of the order.
   */
  scriptDcv(orderId: number, route: DcvRoute, ...behaviours: Behaviour[]): this {
    this.#dcvScripts.set(`${orderId} ${route}`, [...behaviours]);
    return this;
  }

  /**
   * Scripts the answers to the order list (`GET /order/certificate?...`): each request takes the
   * next behaviour, the last repeats; a scripted `sent` answers from the book.
   */
  scriptList(...behaviours: Behaviour[]): this {
    this.#listScripts = [...behaviours];
    return this;
  }

  /** Adds orders to the book (an order with the same id is replaced). */
  addOrders(orders: Iterable<SimulatedOrder>): this {
    for (const order of orders) this.#book.set(order.id, order);
    return this;
  }

  /** The book's order with this id. */
  order(id: number): SimulatedOrder | undefined {
    return this.#book.get(id);
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

  /** Forgets scripts, recorded requests and rate-limit windows; the book is back to `orders`. */
  reset(): void {
    this.requests.length = 0;
    this.#received = 0;
    this.#scripts.clear();
    this.#listScripts = [];
    this.#domainScripts.clear();
    this.#dcvScripts.clear();
    this.#keyHits.clear();
    this.#book.clear();
    this.addOrders(this.#options.orders ?? []);
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
      const match = ROUTE.exec(path) ?? ORDER_ROUTE.exec(path) ?? DCV_ROUTE.exec(path);
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
      const respond = (decided: Behaviour) => {
        const behaviour =
          decided.kind === 'echo_key' ? echoKey(decided, req.headers['x-dc-devkey']) : decided;
        this.#later(this.#options.latencyMs ?? 0, () => this.#answer(res, behaviour));
      };
      const decided = this.#decide(req, orderId, rawBody, body);
      // Only `check-dcv` waits (on DNS); every other answer is decided at once, as it always was.
      if (decided instanceof Promise) {
        decided.then(respond, () => respond({ kind: 'server_error' }));
      } else {
        respond(decided);
      }
    });
  }

  #decide(
    req: IncomingMessage,
    orderId: number | undefined,
    rawBody: string,
    body: unknown,
  ): Behaviour | Promise<Behaviour> {
    const url = req.url ?? '';
    const domainEmails = DOMAIN_EMAILS_ROUTE.exec(url);
    if (domainEmails?.[1] !== undefined) return this.#decideDomainEmails(req, domainEmails[1]);
    const list = ORDER_LIST_ROUTE.exec(url);
    if (list) {
      const scripted = this.#listScripts.length > 1 ? this.#listScripts.shift() : this.#listScripts[0];
      if (scripted !== undefined && scripted.kind !== 'sent') return scripted;
      return this.#decideRead(req, () => this.#listOrders(list[1] ?? ''));
    }
    const read = ORDER_ROUTE.exec(url);
    if (read && orderId !== undefined) return this.#decideOrderRead(req, orderId, read[2] !== undefined);
    if (orderId === undefined)
      return { kind: 'custom', status: 404, body: envelope('not_found|route', 'Not found') };
    if (req.method !== 'PUT') {
      return { kind: 'custom', status: 405, body: envelope('method_not_allowed', 'Method not allowed') };
    }
    const key = req.headers['x-dc-devkey'];
    if (typeof key === 'string' && this.#viewOnlyKeys.has(key)) {
      return this.#overLimit(key) ? { kind: 'rate_limited' } : { kind: 'forbidden' };
    }
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
    const dcv = DCV_ROUTE.exec(url);
    if (dcv) return this.#decideDcv(orderId, dcv[2] as DcvRoute, body);
    const script = this.#scripts.get(orderId);
    if (script && script.length > 0)
      return script.length > 1 ? (script.shift() as Behaviour) : (script[0] as Behaviour);
    return this.#options.fixedBehaviours?.get(orderId) ?? this.#options.defaultBehaviour ?? { kind: 'sent' };
  }

  /**
   * A DNS DCV `PUT` (key, rate limit and body already checked): the route's script, then the order's
   * script or fixed outcome (a scripted `sent` means "answer from the book"), then the book.
   */
  #decideDcv(orderId: number, route: DcvRoute, body: unknown): Behaviour | Promise<Behaviour> {
    const scripted =
      next(this.#dcvScripts.get(`${orderId} ${route}`)) ??
      next(this.#scripts.get(orderId)) ??
      this.#options.fixedBehaviours?.get(orderId);
    if (scripted && scripted.kind !== 'sent') return scripted;
    const order = this.#book.get(orderId);
    if (!order) return { kind: 'not_found' };
    switch (route) {
      case 'dcv-method':
        return this.#setDcvMethod(order, body);
      case 'dcv-random-value':
        return this.#currentRandomValue(order);
      case 'check-dcv':
        return this.#checkDcv(order);
    }
  }

  /** `dcv-method`: 204 for email; a fresh random value for a token method. */
  #setDcvMethod(order: SimulatedOrder, body: unknown): Behaviour {
    const method = (body as { dcv_method?: unknown } | undefined)?.dcv_method;
    if (typeof method !== 'string' || !DCV_METHODS.has(method)) {
      return dcvRefusal('invalid_dcv_method', 'The DCV method is not valid.');
    }
    if (order.status !== 'pending') {
      return dcvRefusal('invalid_order_status', 'The DCV method can only be changed on a pending order.');
    }
    if (method === 'http-token-dynamic' && (order.productNameId ?? 'ssl_dv_geotrust').startsWith('ssl_dv')) {
      return dcvRefusal('invalid_dcv_method', 'DV orders do not accept the http-token-dynamic DCV method.');
    }
    if (method === 'email') {
      this.#book.set(order.id, { ...order, dcvMethod: 'email' });
      return { kind: 'sent' };
    }
    const randomValue = { value: newRandomValue(), expiresAt: Date.now() + RANDOM_VALUE_DAYS * DAY_MS };
    this.#book.set(order.id, { ...order, dcvMethod: method as DcvMethod, randomValue });
    return randomValueAnswer(randomValue);
  }

  /** `dcv-random-value`: the order's value, or a new one when it has none or it expired. */
  #currentRandomValue(order: SimulatedOrder): Behaviour {
    if (order.dcvMethod === 'email') {
      return dcvRefusal('invalid_dcv_method', "The order's DCV method does not use a random value.");
    }
    const current = order.randomValue;
    if (current && current.expiresAt > Date.now()) return randomValueAnswer(current);
    const randomValue = { value: newRandomValue(), expiresAt: Date.now() + RANDOM_VALUE_DAYS * DAY_MS };
    this.#book.set(order.id, { ...order, randomValue });
    return randomValueAnswer(randomValue);
  }

  /**
   * `check-dcv`: looks up, for each domain not yet validated (a wildcard at its base name), the TXT
   * at the name and at `_dnsauth.<name>` (either counts) or the CNAME at `_dnsauth.<name>`. Every
   * domain found: the order is validated and issued. Else DigiCert's 400; the domains found are
   * validated meanwhile, as DigiCert validates each domain on its own.
   */
  async #checkDcv(order: SimulatedOrder): Promise<Behaviour> {
    const validated = new Set(order.validated ?? []);
    const missing = order.dnsNames.filter((name) => !validated.has(name));
    if (missing.length === 0) return this.#issued(order);
    if (order.status !== 'pending') {
      return dcvRefusal('invalid_order_status', 'DCV can only be checked on a pending order.');
    }
    if (order.dcvMethod === 'email') {
      return dcvRefusal('invalid_dcv_method', "The order's DCV method cannot be checked (email).");
    }
    const random = order.randomValue;
    if (!random || random.expiresAt <= Date.now()) {
      return dcvRefusal(CHECK_DCV_CODES.expired, 'The random value expired; request a new one.');
    }
    if (order.dcvMethod === 'http-token' || order.dcvMethod === 'http-token-dynamic') {
      return dcvRefusal(
        CHECK_DCV_CODES.file,
        'Could not find the random value at the expected file location for one or more domains.',
      );
    }
    const cname = order.dcvMethod === 'dns-cname-token';
    const bases = [...new Set(missing.map(baseOf))];
    const found = new Set<string>();
    await Promise.all(
      bases.map(async (base) => {
        if (await this.#published(base, random.value, cname)) found.add(base);
      }),
    );
    // The book may have changed while DNS answered (a reset, another check): apply to what is there.
    const current = this.#book.get(order.id);
    if (!current) return { kind: 'not_found' };
    const nowValidated = new Set(current.validated ?? []);
    for (const name of current.dnsNames) if (found.has(baseOf(name))) nowValidated.add(name);
    const updated = { ...current, validated: current.dnsNames.filter((name) => nowValidated.has(name)) };
    if (updated.validated.length === current.dnsNames.length) return this.#issued(updated);
    this.#book.set(current.id, updated);
    return cname
      ? dcvRefusal(CHECK_DCV_CODES.cname, 'Could not find a valid CNAME record for one or more domains.')
      : dcvRefusal(CHECK_DCV_CODES.txt, 'Could not find a valid TXT record for one or more domains.');
  }

  /** Whether DNS shows `value` for `base`; a failed lookup (NXDOMAIN, NODATA, a timeout) is "not found". */
  async #published(base: string, value: string, cname: boolean): Promise<boolean> {
    const wanted = value.toLowerCase();
    if (cname) {
      const targets = await this.#resolver.resolveCname(`_dnsauth.${base}`).catch(() => [] as string[]);
      return targets.some(
        (target) => target.toLowerCase().replace(/\.$/, '') === `${wanted}.${DCV_CNAME_SUFFIX}`,
      );
    }
    const sets = await Promise.all(
      [base, `_dnsauth.${base}`].map((name) => this.#resolver.resolveTxt(name).catch(() => [] as string[][])),
    );
    return sets.some((records) => records.some((chunks) => chunks.join('').trim().toLowerCase() === wanted));
  }

  /** The order, every domain validated, is issued: `check-dcv`'s 200. */
  #issued(order: SimulatedOrder): Behaviour {
    const issued: SimulatedOrder = { ...order, status: 'issued', validated: [...order.dnsNames] };
    this.#book.set(order.id, issued);
    const body = {
      order_status: 'issued',
      certificate_id: order.certificateId ?? 100_000_000 + order.id,
      dcv_status: 'valid',
      dns_name_validations: order.dnsNames.map((name) => ({ dns_name: name, status: 'approved' })),
    };
    return { kind: 'custom', status: 200, body: JSON.stringify(body) };
  }

  /** A GET of the order book: method, key (view-only keys too) and rate limit, then `answer`. */
  #decideRead(req: IncomingMessage, answer: () => Behaviour): Behaviour {
    if (req.method !== 'GET') {
      return { kind: 'custom', status: 405, body: envelope('method_not_allowed', 'Method not allowed') };
    }
    const key = req.headers['x-dc-devkey'];
    if (typeof key !== 'string' || !(this.#validKeys.has(key) || this.#viewOnlyKeys.has(key))) {
      return { kind: 'unauthorized' };
    }
    if (this.#overLimit(key)) return { kind: 'rate_limited' };
    return answer();
  }

  /**
   * `GET /order/certificate/{id}[/validation]`: a script or a fixed outcome for the id first (a
   * scripted `sent` means "answer from the book"), then the book; an unknown order is DigiCert's 404.
   */
  #decideOrderRead(req: IncomingMessage, orderId: number, validation: boolean): Behaviour {
    return this.#decideRead(req, () => {
      const scripted = next(this.#scripts.get(orderId)) ?? this.#options.fixedBehaviours?.get(orderId);
      if (scripted && scripted.kind !== 'sent') return scripted;
      const order = this.#book.get(orderId);
      if (!order) return { kind: 'not_found' };
      const body = validation ? validationBody(order) : orderBody(order);
      return { kind: 'custom', status: 200, body: JSON.stringify(body) };
    });
  }

  /** A page of the book, ordered by id: `filters[status]`, `offset` (default 0), `limit` (default and at most 1000). */
  #listOrders(query: string): Behaviour {
    const params = new URLSearchParams(query);
    const status = params.get('filters[status]');
    const offset = Math.max(0, Math.floor(Number(params.get('offset') ?? 0)) || 0);
    const limit = Math.min(
      ORDER_LIST_MAX_LIMIT,
      Math.max(1, Math.floor(Number(params.get('limit') ?? ORDER_LIST_MAX_LIMIT)) || ORDER_LIST_MAX_LIMIT),
    );
    const matching = [...this.#book.values()]
      .filter((order) => status === null || order.status === status)
      .sort((a, b) => a.id - b.id);
    const body = {
      orders: matching.slice(offset, offset + limit).map(listedOrder),
      page: { total: matching.length, limit, offset },
    };
    return { kind: 'custom', status: 200, body: JSON.stringify(body) };
  }

  #decideDomainEmails(req: IncomingMessage, segment: string): Behaviour {
    if (req.method !== 'GET') {
      return { kind: 'custom', status: 405, body: envelope('method_not_allowed', 'Method not allowed') };
    }
    const key = req.headers['x-dc-devkey'];
    if (typeof key !== 'string' || !(this.#validKeys.has(key) || this.#viewOnlyKeys.has(key))) {
      return { kind: 'unauthorized' };
    }
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
