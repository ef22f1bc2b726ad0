/**
 * The DNS adapter of the DCV pre-check (`DcvDnsLookup`): `node:dns/promises` with its own
 * `Resolver` (the `DNS_SERVERS` of docs/contract.md §4, else the system's), every lookup bounded in
 * time, answers cached briefly, concurrent lookups of one name shared. A name whose lookup times
 * out (or whose resolver cannot be reached) trips a circuit for that name only: for a while its
 * lookups fail at once instead of each request paying the timeout again. Never for every name: a
 * caller who can make one name silent (a blackholed zone of their own) must not make the pre-check
 * skip the lookups of every other domain (docs/failure-behaviour.md).
 */
import { Resolver } from 'node:dns/promises';
import { type CaaRecord, type DcvDnsLookup, DnsLookupError } from '../dcv/precheck/check.js';

export interface DnsLookupOptions {
  /** `host:port` or IP addresses, as `Resolver.setServers` takes them; the system's when absent. */
  readonly servers?: readonly string[] | undefined;
  /** Time for one query (c-ares' own timeout, one try), and the basis of the overall bound. @default 1000 */
  readonly timeoutMs?: number;
  /** How long an answer (records or "none") is reused. @default 60000 */
  readonly ttlMs?: number;
  /** How long a name whose lookup timed out is not asked again. @default 60000 */
  readonly circuitMs?: number;
  readonly now?: () => number;
}

/** Answers that mean "no such records": cached like records. */
const NO_RECORDS = new Set(['ENODATA', 'ENOTFOUND', 'NOTFOUND', 'NODATA', 'ENONAME']);
/** Failures that mean no answer came for a name: they open that name's circuit. */
const UNREACHABLE = new Set(['ETIMEOUT', 'ECONNREFUSED', 'ECANCELLED', 'EOVERALL', 'ENETUNREACH']);
/** Cached names at most; the oldest go first. */
const MAX_ENTRIES = 1_000;
/** Names with an open circuit at most; the oldest go first (a flood of silent names forgets old ones). */
const MAX_OPEN_CIRCUITS = 500;

interface Entry {
  readonly expires: number;
  readonly value: Promise<unknown>;
}

/** The real `DcvDnsLookup`; create once per container. */
export class NodeDnsLookup implements DcvDnsLookup {
  readonly #servers: readonly string[] | undefined;
  #resolver: Resolver | undefined;
  readonly #timeoutMs: number;
  readonly #ttlMs: number;
  readonly #circuitMs: number;
  readonly #now: () => number;
  readonly #cache = new Map<string, Entry>();
  /** Open circuits by name: until when the name is not asked, and why. */
  readonly #open = new Map<string, { readonly until: number; readonly reason: string }>();

  constructor(options: DnsLookupOptions = {}) {
    this.#timeoutMs = options.timeoutMs ?? 1_000;
    this.#ttlMs = options.ttlMs ?? 60_000;
    this.#circuitMs = options.circuitMs ?? 60_000;
    this.#now = options.now ?? Date.now;
    this.#servers = options.servers && options.servers.length > 0 ? [...options.servers] : undefined;
  }

  /**
   * The resolver, made on the first lookup: `setServers` validates each address with Node's IPv6
   * expression, a few milliseconds to compile, which a container's start and a resend with the
   * pre-check off need not pay. `DNS_SERVERS` itself is checked when the configuration is read.
   */
  get #dns(): Resolver {
    if (this.#resolver === undefined) {
      const resolver = new Resolver({ timeout: this.#timeoutMs, tries: 1 });
      if (this.#servers) resolver.setServers([...this.#servers]);
      this.#resolver = resolver;
    }
    return this.#resolver;
  }

  txt(name: string): Promise<string[][]> {
    return this.#lookup('TXT', name, () => this.#dns.resolveTxt(name), []);
  }

  caa(name: string): Promise<CaaRecord[]> {
    return this.#lookup(
      'CAA',
      name,
      async () => (await this.#dns.resolveCaa(name)).flatMap((record) => toCaaRecords({ ...record })),
      [] as CaaRecord[],
    );
  }

  async hasMx(name: string): Promise<boolean> {
    const records = await this.#lookup('MX', name, () => this.#dns.resolveMx(name), []);
    return records.length > 0;
  }

  #lookup<T>(type: string, name: string, query: () => Promise<T>, none: T): Promise<T> {
    const key = `${type} ${name}`;
    const circuit = name.toLowerCase();
    const now = this.#now();
    const cached = this.#cache.get(key);
    if (cached && cached.expires > now) return cached.value as Promise<T>;
    const open = this.#open.get(circuit);
    if (open !== undefined && now < open.until) {
      return Promise.reject(
        new DnsLookupError('dns_unavailable', `DNS not asked for ${key}: it did not answer (${open.reason})`),
      );
    }
    if (open !== undefined) this.#open.delete(circuit);
    const value = this.#bounded(query).then(
      (records) => records,
      (error: unknown) => {
        const code = codeOf(error);
        if (NO_RECORDS.has(code)) return none;
        this.#cache.delete(key);
        if (UNREACHABLE.has(code)) this.#openCircuit(circuit, code);
        throw new DnsLookupError(code || 'dns_error', `DNS lookup ${key} failed (${code || 'error'})`, {
          cause: error,
        });
      },
    );
    if (this.#cache.size >= MAX_ENTRIES) {
      const oldest = this.#cache.keys().next();
      if (!oldest.done) this.#cache.delete(oldest.value);
    }
    // In flight and answered alike: one query per name serves every concurrent caller.
    this.#cache.set(key, { expires: now + this.#ttlMs, value });
    return value;
  }

  #openCircuit(name: string, reason: string): void {
    this.#open.delete(name);
    if (this.#open.size >= MAX_OPEN_CIRCUITS) {
      const oldest = this.#open.keys().next();
      if (!oldest.done) this.#open.delete(oldest.value);
    }
    this.#open.set(name, { until: this.#now() + this.#circuitMs, reason });
  }

  /** The query, or `EOVERALL` once c-ares has had its time and a little more. */
  #bounded<T>(query: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const overall = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(Object.assign(new Error('DNS lookup took too long'), { code: 'EOVERALL' })),
        this.#timeoutMs + 500,
      );
      timer.unref();
    });
    return Promise.race([query(), overall]).finally(() => clearTimeout(timer));
  }
}

/** Node reports a CAA record as `{ critical, <tag>: <value> }`. */
function toCaaRecords(record: Record<string, unknown>): CaaRecord[] {
  return Object.entries(record).flatMap(([tag, value]) =>
    tag !== 'critical' && typeof value === 'string' ? [{ tag, value }] : [],
  );
}

function codeOf(error: unknown): string {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : '';
}
