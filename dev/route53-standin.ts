/**
 * A loopback stand-in for Route 53 (no emulator exists on npm) speaking the REST-XML the SDK speaks,
 * for exactly the calls the DNS DCV adapter makes: `ListHostedZonesByName`, `ListResourceRecordSets`,
 * `ChangeResourceRecordSets`, `GetChange`; plus STS `AssumeRole` (awsQuery), for the optional role.
 * Point the SDK at it with `AWS_ENDPOINT_URL_ROUTE_53` (and `AWS_ENDPOINT_URL_STS`).
 *
 * Route 53's semantics where the adapter depends on them: a change batch is all-or-nothing; DELETE
 * must name the current set exactly (values and TTL), CREATE must not find one; a CNAME shares its
 * name with nothing; TXT values are quoted; `GetChange` answers `PENDING` until a configurable
 * number of polls and milliseconds have passed; errors are Route 53's `ErrorResponse` XML. Names come
 * back fully qualified with `*` as `\052`. Anything else is answered 400 and kept in `protocolErrors`.
 *
 * Test hooks: {@link Route53StandIn.putRecordSet} (an outside edit), {@link Route53StandIn.beforeChange}
 * (an edit that lands between the adapter's read and its write), the request log with each
 * request's arrival time ({@link Route53StandIn.busiestWindow}: the most in any second), and
 * {@link Route53StandIn.lookup} for a DNS server serving the zones.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoopbackServer } from './loopback-server.js';

export interface StandInRecordSet {
  /** With or without the trailing dot; `*` or `\052`. */
  readonly name: string;
  readonly type: string;
  readonly ttl: number;
  /** As Route 53 holds them: TXT values quoted (`"v=spf1 -all"`). */
  readonly values: readonly string[];
}

export interface StandInZone {
  /** `Z...`, without `/hostedzone/`. */
  readonly id: string;
  readonly name: string;
  readonly private?: boolean;
  /** Besides the SOA and NS sets every zone gets at its apex. */
  readonly records?: readonly StandInRecordSet[];
}

export interface Route53StandInOptions {
  readonly zones?: readonly StandInZone[];
  /** A change stays `PENDING` for this many `GetChange` calls and this long. @default { polls: 1, ms: 0 } */
  readonly inSyncAfter?: { readonly polls?: number; readonly ms?: number };
}

export interface Route53Request {
  readonly operation: string;
  readonly method: string;
  readonly path: string;
  /** The access key id that signed the request (`Authorization: AWS4-HMAC-SHA256 Credential=<id>/...`). */
  readonly accessKeyId: string | undefined;
  readonly status: number;
  /** When the request arrived (epoch ms): what Route 53's per-second limit counts. */
  readonly receivedAt: number;
}

/** A change batch's changes, as the stand-in read them. */
export interface StandInChange {
  readonly action: string;
  readonly set: StandInRecordSet;
}

interface Zone {
  readonly id: string;
  readonly name: string;
  readonly private: boolean;
  /** Key: `<name>|<type>`, name normalised (lower case, no trailing dot, `*` literal). */
  readonly sets: Map<string, StoredSet>;
}

interface StoredSet {
  readonly name: string;
  readonly type: string;
  readonly ttl: number;
  readonly values: readonly string[];
}

interface ChangeRecord {
  readonly submittedAt: number;
  polls: number;
}

class Route53Fault extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const API = '/2013-04-01';
const XMLNS = 'https://route53.amazonaws.com/doc/2013-04-01/';
/** The credentials `AssumeRole` hands out: tests check the Route 53 calls were signed with them. */
export const ASSUMED_ACCESS_KEY_ID = 'ASIAROUTE53STANDIN';

export class Route53StandIn {
  readonly requests: Route53Request[] = [];
  readonly protocolErrors: string[] = [];
  /** `AssumeRole` calls: the role ARNs asked for. */
  readonly assumedRoles: string[] = [];
  readonly #http: LoopbackServer;
  readonly #zones = new Map<string, Zone>();
  readonly #changes = new Map<string, ChangeRecord>();
  #inSyncAfter: { polls: number; ms: number } = { polls: 1, ms: 0 };
  #beforeChange: ((zoneId: string, changes: readonly StandInChange[]) => void) | undefined;
  #nextChange = 1;
  #faults: { operation: string; status: number; code: string; left: number }[] = [];
  #delayMs = 0;

  private constructor(http: LoopbackServer) {
    this.#http = http;
  }

  static async start(options: Route53StandInOptions = {}): Promise<Route53StandIn> {
    let standIn: Route53StandIn | undefined;
    const http = await LoopbackServer.listen((req, res) => {
      if (standIn) standIn.#onRequest(req, res);
    });
    standIn = new Route53StandIn(http);
    for (const zone of options.zones ?? []) standIn.addZone(zone);
    if (options.inSyncAfter) standIn.setInSyncAfter(options.inSyncAfter);
    return standIn;
  }

  /** The value for `AWS_ENDPOINT_URL_ROUTE_53` (and `AWS_ENDPOINT_URL_STS`). */
  get endpoint(): string {
    return this.#http.origin;
  }

  addZone(zone: StandInZone): void {
    const name = norm(zone.name);
    const stored: Zone = { id: zone.id, name, private: zone.private === true, sets: new Map() };
    const soa = `ns-1.standin.invalid. hostmaster.standin.invalid. 1 7200 900 1209600 86400`;
    stored.sets.set(key(name, 'SOA'), { name, type: 'SOA', ttl: 900, values: [soa] });
    stored.sets.set(key(name, 'NS'), { name, type: 'NS', ttl: 172800, values: ['ns-1.standin.invalid.'] });
    for (const set of zone.records ?? []) stored.sets.set(key(norm(set.name), set.type), toStored(set));
    this.#zones.set(zone.id, stored);
  }

  /** An outside edit (another team, the console): replaces the set, or removes it when `values` is empty. */
  putRecordSet(zoneId: string, set: StandInRecordSet): void {
    const zone = this.#zone(zoneId);
    const k = key(norm(set.name), set.type);
    if (set.values.length === 0) zone.sets.delete(k);
    else zone.sets.set(k, toStored(set));
  }

  /** Runs `hook` when a change batch arrives, before it is checked: an edit made there races the batch. */
  beforeChange(hook: ((zoneId: string, changes: readonly StandInChange[]) => void) | undefined): void {
    this.#beforeChange = hook;
  }

  /** The next `times` calls of `operation` answer `code` (`Throttling` 400, `PriorRequestNotComplete` 400, `ServiceUnavailable` 503, ...). */
  failNext(
    operation: string,
    code: string,
    { status = 400, times = 1 }: { status?: number; times?: number } = {},
  ): void {
    this.#faults.push({ operation, status, code, left: times });
  }

  /** Holds every answer this long (a hung Route 53); requests are logged when they arrive. */
  setDelay(ms: number): void {
    this.#delayMs = ms;
  }

  setInSyncAfter({ polls = 0, ms = 0 }: { readonly polls?: number; readonly ms?: number }): void {
    this.#inSyncAfter = { polls, ms };
  }

  /**
   * The most Route 53 requests (`AssumeRole` aside) that arrived within any `windowMs`: what Route 53's
   * 5 requests per second per account is held against.
   */
  busiestWindow(windowMs = 1_000): number {
    const times = this.requests
      .filter((request) => request.operation !== 'AssumeRole')
      .map((request) => request.receivedAt)
      .sort((a, b) => a - b);
    let most = 0;
    for (let first = 0, last = 0; last < times.length; last += 1) {
      while ((times[last] as number) - (times[first] as number) >= windowMs) first += 1;
      most = Math.max(most, last - first + 1);
    }
    return most;
  }

  /** Every record set of one zone, or of all zones, names without the trailing dot. */
  recordSets(zoneId?: string): (StandInRecordSet & { readonly zoneId: string })[] {
    const zones = zoneId === undefined ? [...this.#zones.values()] : [this.#zone(zoneId)];
    return zones.flatMap((zone) => [...zone.sets.values()].map((set) => ({ ...set, zoneId: zone.id })));
  }

  /**
   * What an authoritative server for the public zones answers for `name`/`type`: the set in the
   * longest public zone holding the name, or `undefined`. No wildcard synthesis. Values as Route 53
   * holds them: TXT quoted (`unquoteTxt` in functions/aws/route53/names.ts reads them).
   */
  lookup(name: string, type: string): StandInRecordSet | undefined {
    const wanted = norm(name);
    const zone = [...this.#zones.values()]
      .filter((z) => !z.private && (wanted === z.name || wanted.endsWith(`.${z.name}`)))
      .sort((a, b) => b.name.length - a.name.length)[0];
    return zone?.sets.get(key(wanted, type.toUpperCase()));
  }

  async close(): Promise<void> {
    await this.#http.close();
  }

  #zone(id: string): Zone {
    const zone = this.#zones.get(id.replace(/^\/hostedzone\//, ''));
    if (zone === undefined)
      throw new Route53Fault(404, 'NoSuchHostedZone', `No hosted zone found with ID: ${id}`);
    return zone;
  }

  #onRequest(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    const receivedAt = Date.now();
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', 'http://standin');
      const auth = req.headers.authorization;
      const accessKeyId = typeof auth === 'string' ? /Credential=([^/]+)\//.exec(auth)?.[1] : undefined;
      let operation = 'Unknown';
      const answer = (status: number, xml: string) => {
        this.requests.push({
          operation,
          method: req.method ?? '',
          path: url.pathname,
          accessKeyId,
          status,
          receivedAt,
        });
        const send = () => {
          if (res.destroyed) return;
          res.writeHead(status, {
            'content-type': 'text/xml',
            'x-amzn-requestid': `standin-${this.requests.length}`,
          });
          res.end(`<?xml version="1.0" encoding="UTF-8"?>\n${xml}`);
        };
        if (this.#delayMs > 0) setTimeout(send, this.#delayMs).unref();
        else send();
      };
      try {
        const routed = this.#route(req.method ?? '', url, body);
        operation = routed.operation;
        const fault = this.#faults.find((f) => f.operation === operation && f.left > 0);
        if (fault !== undefined) {
          fault.left -= 1;
          throw new Route53Fault(fault.status, fault.code, 'Injected by the test');
        }
        answer(200, routed.run());
      } catch (error) {
        const fault =
          error instanceof Route53Fault ? error : new Route53Fault(500, 'InternalFailure', String(error));
        if (fault.code === 'ProtocolError') this.protocolErrors.push(fault.message);
        answer(
          fault.status,
          `<ErrorResponse xmlns="${XMLNS}"><Error><Type>${fault.status >= 500 ? 'Receiver' : 'Sender'}</Type>` +
            `<Code>${fault.code}</Code><Message>${esc(fault.message)}</Message></Error>` +
            `<RequestId>standin-${this.requests.length + 1}</RequestId></ErrorResponse>`,
        );
      }
    });
  }

  #route(method: string, url: URL, body: string): { operation: string; run: () => string } {
    const path = url.pathname;
    const q = url.searchParams;
    if (method === 'POST' && path === '/' && new URLSearchParams(body).get('Action') === 'AssumeRole') {
      return { operation: 'AssumeRole', run: () => this.#assumeRole(new URLSearchParams(body)) };
    }
    if (method === 'GET' && path === `${API}/hostedzonesbyname`) {
      return { operation: 'ListHostedZonesByName', run: () => this.#listZones(q) };
    }
    const rrset = new RegExp(`^${API}/hostedzone/([^/]+)/rrset/?$`).exec(path);
    if (rrset?.[1] !== undefined && method === 'GET') {
      const zoneId = rrset[1];
      return { operation: 'ListResourceRecordSets', run: () => this.#listSets(zoneId, q) };
    }
    if (rrset?.[1] !== undefined && method === 'POST') {
      const zoneId = rrset[1];
      return { operation: 'ChangeResourceRecordSets', run: () => this.#change(zoneId, body) };
    }
    const change = new RegExp(`^${API}/change/([^/]+)$`).exec(path);
    if (change?.[1] !== undefined && method === 'GET') {
      const id = change[1];
      return { operation: 'GetChange', run: () => this.#getChange(id) };
    }
    throw new Route53Fault(400, 'ProtocolError', `the stand-in does not serve ${method} ${path}`);
  }

  #assumeRole(form: URLSearchParams): string {
    const role = form.get('RoleArn') ?? '';
    this.assumedRoles.push(role);
    const expiration = new Date(Date.now() + 3_600_000).toISOString();
    return (
      `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>` +
      `<Credentials><AccessKeyId>${ASSUMED_ACCESS_KEY_ID}</AccessKeyId>` +
      `<SecretAccessKey>standin-assumed-secret</SecretAccessKey><SessionToken>standin-session</SessionToken>` +
      `<Expiration>${expiration}</Expiration></Credentials>` +
      `<AssumedRoleUser><Arn>${esc(role)}/${esc(form.get('RoleSessionName') ?? '')}</Arn>` +
      `<AssumedRoleId>AROASTANDIN:${esc(form.get('RoleSessionName') ?? '')}</AssumedRoleId></AssumedRoleUser>` +
      `</AssumeRoleResult><ResponseMetadata><RequestId>standin</RequestId></ResponseMetadata></AssumeRoleResponse>`
    );
  }

  #listZones(q: URLSearchParams): string {
    const max = Number(q.get('maxitems') ?? '100');
    const dnsName = q.get('dnsname');
    const startId = q.get('hostedzoneid');
    const zones = [...this.#zones.values()].sort(
      (a, b) => compare(reversed(a.name), reversed(b.name)) || compare(a.id, b.id),
    );
    const from =
      dnsName === null
        ? 0
        : zones.findIndex((z) => {
            const order = compare(reversed(z.name), reversed(norm(dnsName)));
            return order > 0 || (order === 0 && (startId === null || compare(z.id, startId) >= 0));
          });
    const page = from < 0 ? [] : zones.slice(from, from + max);
    const next = from < 0 ? undefined : zones[from + max];
    const zonesXml = page
      .map(
        (z) =>
          `<HostedZone><Id>/hostedzone/${z.id}</Id><Name>${esc(fq(z.name))}</Name><CallerReference>standin-${z.id}</CallerReference>` +
          `<Config><PrivateZone>${z.private}</PrivateZone></Config><ResourceRecordSetCount>${z.sets.size}</ResourceRecordSetCount></HostedZone>`,
      )
      .join('');
    return (
      `<ListHostedZonesByNameResponse xmlns="${XMLNS}"><HostedZones>${zonesXml}</HostedZones>` +
      (dnsName === null ? '' : `<DNSName>${esc(dnsName)}</DNSName>`) +
      `<IsTruncated>${next !== undefined}</IsTruncated><MaxItems>${max}</MaxItems>` +
      (next === undefined
        ? ''
        : `<NextDNSName>${esc(fq(next.name))}</NextDNSName><NextHostedZoneId>${next.id}</NextHostedZoneId>`) +
      `</ListHostedZonesByNameResponse>`
    );
  }

  #listSets(zoneId: string, q: URLSearchParams): string {
    const zone = this.#zone(zoneId);
    const max = Number(q.get('maxitems') ?? '300');
    const startName = q.get('name');
    const startType = q.get('type') ?? '';
    const sets = [...zone.sets.values()].sort(
      (a, b) => compare(reversed(a.name), reversed(b.name)) || compare(a.type, b.type),
    );
    const from =
      startName === null
        ? 0
        : sets.findIndex((s) => {
            const order = compare(reversed(s.name), reversed(norm(startName)));
            return order > 0 || (order === 0 && compare(s.type, startType) >= 0);
          });
    const page = from < 0 ? [] : sets.slice(from, from + max);
    const next = from < 0 ? undefined : sets[from + max];
    return (
      `<ListResourceRecordSetsResponse xmlns="${XMLNS}"><ResourceRecordSets>${page.map(setXml).join('')}</ResourceRecordSets>` +
      `<IsTruncated>${next !== undefined}</IsTruncated><MaxItems>${max}</MaxItems>` +
      (next === undefined
        ? ''
        : `<NextRecordName>${esc(escapeName(next.name))}</NextRecordName><NextRecordType>${next.type}</NextRecordType>`) +
      `</ListResourceRecordSetsResponse>`
    );
  }

  #change(zoneId: string, body: string): string {
    const zone = this.#zone(zoneId);
    const root = parseXml(body);
    const batch = child(root, 'ChangeBatch');
    const changes = children(child(batch, 'Changes'), 'Change').map((change): StandInChange => {
      const set = child(change, 'ResourceRecordSet');
      const records = children(child(set, 'ResourceRecords'), 'ResourceRecord');
      return {
        action: text(child(change, 'Action')),
        set: {
          name: text(child(set, 'Name')),
          type: text(child(set, 'Type')),
          ttl: Number(text(child(set, 'TTL'))),
          values: records.map((record) => text(child(record, 'Value'))),
        },
      };
    });
    if (changes.length === 0) throw new Route53Fault(400, 'InvalidInput', 'The change batch has no changes');
    this.#beforeChange?.(zone.id, changes);
    const staged = new Map(zone.sets);
    for (const { action, set } of changes) applyChange(zone, staged, action, toStored(set));
    zone.sets.clear();
    for (const [k, v] of staged) zone.sets.set(k, v);
    const id = `C${String(this.#nextChange++).padStart(12, '0')}STANDIN`;
    this.#changes.set(id, { submittedAt: Date.now(), polls: 0 });
    return `<ChangeResourceRecordSetsResponse xmlns="${XMLNS}">${this.#changeInfo(id, 'PENDING')}</ChangeResourceRecordSetsResponse>`;
  }

  #getChange(id: string): string {
    const change = this.#changes.get(id);
    if (change === undefined)
      throw new Route53Fault(
        404,
        'NoSuchChange',
        `A change with the specified change ID does not exist: ${id}`,
      );
    change.polls += 1;
    const inSync =
      change.polls > this.#inSyncAfter.polls && Date.now() - change.submittedAt >= this.#inSyncAfter.ms;
    return `<GetChangeResponse xmlns="${XMLNS}">${this.#changeInfo(id, inSync ? 'INSYNC' : 'PENDING')}</GetChangeResponse>`;
  }

  #changeInfo(id: string, status: string): string {
    const at = new Date(this.#changes.get(id)?.submittedAt ?? Date.now()).toISOString();
    return `<ChangeInfo><Id>/change/${id}</Id><Status>${status}</Status><SubmittedAt>${at}</SubmittedAt></ChangeInfo>`;
  }
}

function applyChange(zone: Zone, sets: Map<string, StoredSet>, action: string, set: StoredSet): void {
  const k = key(set.name, set.type);
  const label = `[name='${fq(set.name)}', type='${set.type}']`;
  const refuse = (message: string) => new Route53Fault(400, 'InvalidChangeBatch', `[${message}]`);
  if (set.name !== zone.name && !set.name.endsWith(`.${zone.name}`)) {
    throw refuse(`RRSet with DNS name ${fq(set.name)} is not permitted in zone ${fq(zone.name)}`);
  }
  const current = sets.get(k);
  if (action === 'DELETE') {
    if (current === undefined)
      throw refuse(`Tried to delete resource record set ${label} but it was not found`);
    if (current.ttl !== set.ttl || !sameValues(current.values, set.values)) {
      throw refuse(
        `Tried to delete resource record set ${label} but the values provided do not match the current values`,
      );
    }
    sets.delete(k);
    return;
  }
  if (action !== 'CREATE' && action !== 'UPSERT')
    throw new Route53Fault(400, 'InvalidInput', `Unknown action ${action}`);
  if (action === 'CREATE' && current !== undefined) {
    throw refuse(`Tried to create resource record set ${label} but it already exists`);
  }
  const others = [...sets.values()].filter((s) => s.name === set.name && s.type !== set.type);
  if ((set.type === 'CNAME' && others.length > 0) || others.some((s) => s.type === 'CNAME')) {
    throw refuse(
      `RRSet of type ${set.type} with DNS name ${fq(set.name)} is not permitted because a conflicting RRSet of type ` +
        `${others[0]?.type ?? 'CNAME'} with the same DNS name already exists in zone ${fq(zone.name)}`,
    );
  }
  if (set.values.length === 0) throw refuse(`Invalid Resource Record: no values for ${label}`);
  if (set.type === 'CNAME' && set.values.length > 1)
    throw refuse(`Invalid Resource Record: a CNAME has one value ${label}`);
  if (set.type === 'TXT' && !set.values.every((v) => /^(?:"(?:[^"\\]|\\.)*"\s*)+$/.test(v))) {
    throw refuse(
      'Invalid Resource Record: FATAL problem: InvalidCharacterString (Value should be enclosed in quotation marks)',
    );
  }
  sets.set(k, set);
}

function setXml(set: StoredSet): string {
  const records = set.values.map((v) => `<ResourceRecord><Value>${esc(v)}</Value></ResourceRecord>`).join('');
  return (
    `<ResourceRecordSet><Name>${esc(escapeName(set.name))}</Name><Type>${set.type}</Type>` +
    `<TTL>${set.ttl}</TTL><ResourceRecords>${records}</ResourceRecords></ResourceRecordSet>`
  );
}

function toStored(set: StandInRecordSet): StoredSet {
  return { name: norm(set.name), type: set.type.toUpperCase(), ttl: set.ttl, values: [...set.values] };
}

function sameValues(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n');
}

/** Lower case, no trailing dot, octal escapes decoded. */
function norm(name: string): string {
  return name
    .replace(/\\(\d{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)))
    .toLowerCase()
    .replace(/\.$/, '');
}

function fq(name: string): string {
  return `${name}.`;
}

/** As Route 53 returns a name: fully qualified, `*` as `\052`. */
function escapeName(name: string): string {
  return fq(name).replace(/\*/g, '\\052');
}

function key(name: string, type: string): string {
  return `${name}|${type}`;
}

function reversed(name: string): string {
  return name.split('.').reverse().join('.');
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function esc(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

// A reader for the SDK's request bodies: elements, text and the five XML entities; no attributes kept.
interface XmlNode {
  readonly name: string;
  readonly children: XmlNode[];
  text: string;
}

function parseXml(xml: string): XmlNode {
  const root: XmlNode = { name: '#root', children: [], text: '' };
  const stack: XmlNode[] = [root];
  const tokens = /<\?[^>]*\?>|<(\/?)([A-Za-z_][\w.-]*)[^>]*?(\/?)>|([^<]+)/g;
  for (const [, closing, name, selfClosing, body] of xml.matchAll(tokens)) {
    const top = stack[stack.length - 1];
    if (top === undefined) break;
    if (body !== undefined) top.text += unescapeXml(body);
    else if (name === undefined) continue;
    else if (closing === '/') stack.pop();
    else {
      const node: XmlNode = { name, children: [], text: '' };
      top.children.push(node);
      if (selfClosing !== '/') stack.push(node);
    }
  }
  return root.children[0] ?? root;
}

function child(node: XmlNode | undefined, name: string): XmlNode | undefined {
  return node?.children.find((c) => c.name === name);
}

function children(node: XmlNode | undefined, name: string): XmlNode[] {
  return node?.children.filter((c) => c.name === name) ?? [];
}

function text(node: XmlNode | undefined): string {
  return node?.text.trim() ?? '';
}

function unescapeXml(value: string): string {
  return value.replace(/&(lt|gt|quot|apos|amp|#\d+|#x[0-9a-fA-F]+);/g, (_, entity: string) => {
    if (entity.startsWith('#x')) return String.fromCodePoint(Number.parseInt(entity.slice(2), 16));
    if (entity.startsWith('#')) return String.fromCodePoint(Number(entity.slice(1)));
    return { lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' }[entity] ?? '';
  });
}

/**
 * Points the SDK's Route 53 and STS clients at `endpoint` (the stand-in) through the variables the
 * SDK itself reads, with dummy credentials when none are set.
 */
export function pointRoute53At(endpoint: string): void {
  process.env.AWS_ENDPOINT_URL_ROUTE_53 = endpoint;
  process.env.AWS_ENDPOINT_URL_STS = endpoint;
  process.env.AWS_REGION ??= 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID ??= 'AKIDLOCALSTANDIN';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local-stand-in-secret';
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
}
