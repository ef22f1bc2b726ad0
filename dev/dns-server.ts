/**
 * A local DNS server for the DCV pre-check and DNS DCV: `dns2`'s UDP server on 127.0.0.1, answering
 * TXT, CAA, MX and CNAME from a table (dns2 3.0.0 encodes all four), and from a callback when one is
 * given (`records`: a Route 53 stand-in's record sets, read at each question). A name with no record
 * of the asked type answers NOERROR with no records (NODATA); a name nobody knows answers NXDOMAIN,
 * as a real authoritative server would. A name with a CNAME answers it to every question, followed by
 * the target's records of the asked type when the target is known here. A name listed as `silent` (and every name below it) is never
 * answered, like a blackholed zone behind a recursive resolver. Also: a socket that never answers
 * at all, for a resolver that is down.
 */
import { createSocket, type Socket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { Packet, type Resource, UDPServer } from 'dns2';

export interface DnsZone {
  /** TXT records by name, each as its character-strings (one string = one chunk). */
  readonly txt?: Readonly<Record<string, readonly (readonly string[])[]>>;
  /** CAA records by name. */
  readonly caa?: Readonly<Record<string, readonly { tag: string; value: string; flags?: number }[]>>;
  /** MX exchanges by name. */
  readonly mx?: Readonly<Record<string, readonly string[]>>;
  /** The CNAME target by name (`_dnsauth.example.com` -> `<random>.dcv.digicert.com`). */
  readonly cname?: Readonly<Record<string, string>>;
  /**
   * Records at a name, asked at each question before the tables above: `undefined` when the
   * callback does not know the name (the tables then answer). Names come lowercase, without a
   * trailing dot.
   */
  readonly records?: (name: string) => DnsNameRecords | undefined;
  /** Names never answered, nor any name below them (the question is still counted). */
  readonly silent?: readonly string[];
}

/** The records at one name, as a `records` callback answers them. */
export interface DnsNameRecords {
  readonly txt?: readonly (readonly string[])[];
  readonly caa?: readonly { tag: string; value: string; flags?: number }[];
  readonly mx?: readonly string[];
  readonly cname?: string;
}

const NXDOMAIN = 3;
/** CNAMEs followed for one answer, so that a loop in a table ends. */
const MAX_CNAME_HOPS = 8;

export class LocalDnsServer {
  readonly #server: UDPServer;
  #zone: DnsZone;
  /** Questions received, as `TYPE name`. */
  readonly queries: string[] = [];

  private constructor(server: UDPServer, zone: DnsZone) {
    this.#server = server;
    this.#zone = zone;
  }

  /** Starts answering from `zone` on 127.0.0.1 (a free port unless one is given). */
  static async start(zone: DnsZone = {}, port = 0): Promise<LocalDnsServer> {
    const server = new UDPServer();
    const dns = new LocalDnsServer(server, zone);
    server.on('request', (request, send) => {
      const response = dns.#answer(request);
      if (response !== undefined) void send(response).catch(() => undefined);
    });
    server.on('requestError', () => undefined);
    await server.listen(port, '127.0.0.1');
    return dns;
  }

  /** `127.0.0.1:<port>`, the form `DNS_SERVERS` takes. */
  get address(): string {
    return `127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** Replaces the table. */
  setZone(zone: DnsZone): void {
    this.#zone = zone;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  /** The response to `request`, or `undefined` for a silent name. */
  #answer(request: Packet): Packet | undefined {
    const response = Packet.createResponseFromRequest(request);
    const [question] = request.questions;
    if (!question) return response;
    const name = normal(question.name);
    const type = Object.entries(Packet.TYPE).find(([, code]) => code === question.type)?.[0] ?? '?';
    this.queries.push(`${type} ${name}`);
    const zone = this.#zone;
    if (zone.silent?.some((silent) => name === silent || name.endsWith(`.${silent}`))) return undefined;
    const found = recordsAt(zone, name);
    if (found === undefined) {
      response.header.rcode = NXDOMAIN;
      return response;
    }
    let records: DnsNameRecords = found;
    let owner: string = question.name;
    for (let hop = 0; hop < MAX_CNAME_HOPS; hop += 1) {
      const base = { name: owner, class: Packet.CLASS.IN, ttl: 60 };
      const target: string | undefined = records.cname;
      if (target === undefined) {
        pushRecords(response, question.type, base, records);
        return response;
      }
      response.answers.push({ ...base, type: Packet.TYPE.CNAME, domain: target } as Resource);
      const next = question.type === Packet.TYPE.CNAME ? undefined : recordsAt(zone, normal(target));
      if (next === undefined) return response;
      records = next;
      owner = target;
    }
    return response;
  }
}

/** What the zone holds at `name` (the callback first, then the tables), or `undefined` for nothing. */
function recordsAt(zone: DnsZone, name: string): DnsNameRecords | undefined {
  const fromCallback = zone.records?.(name);
  if (fromCallback !== undefined) return fromCallback;
  const known = [zone.txt, zone.caa, zone.mx, zone.cname].some(
    (table) => table !== undefined && Object.hasOwn(table, name),
  );
  if (!known) return undefined;
  return {
    ...(zone.txt?.[name] ? { txt: zone.txt[name] } : {}),
    ...(zone.caa?.[name] ? { caa: zone.caa[name] } : {}),
    ...(zone.mx?.[name] ? { mx: zone.mx[name] } : {}),
    ...(zone.cname?.[name] ? { cname: zone.cname[name] } : {}),
  };
}

function pushRecords(
  response: Packet,
  type: number,
  base: { name: string; class: number; ttl: number },
  records: DnsNameRecords,
): void {
  if (type === Packet.TYPE.TXT) {
    for (const data of records.txt ?? []) {
      response.answers.push({ ...base, type: Packet.TYPE.TXT, data: [...data] } as Resource);
    }
  } else if (type === Packet.TYPE.CAA) {
    for (const { tag, value, flags } of records.caa ?? []) {
      response.answers.push({ ...base, type: Packet.TYPE.CAA, flags: flags ?? 0, tag, value } as Resource);
    }
  } else if (type === Packet.TYPE.MX) {
    for (const [i, exchange] of (records.mx ?? []).entries()) {
      response.answers.push({
        ...base,
        type: Packet.TYPE.MX,
        exchange,
        priority: 10 * (i + 1),
      } as Resource);
    }
  }
}

function normal(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

/** A UDP socket on 127.0.0.1 that reads every question and never answers: a resolver that times out. */
export class SilentDnsServer {
  readonly #socket: Socket;
  /** Datagrams received. */
  received = 0;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('message', () => {
      this.received += 1;
    });
  }

  static async start(): Promise<SilentDnsServer> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    return new SilentDnsServer(socket);
  }

  get address(): string {
    return `127.0.0.1:${this.#socket.address().port}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#socket.close(() => resolve()));
  }
}
