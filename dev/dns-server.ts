/**
 * A local DNS server for the DCV pre-check: `dns2`'s UDP server on 127.0.0.1, answering TXT, CAA
 * and MX from a table (dns2 3.0.0 encodes all three). A name in the table with no record of the
 * asked type answers NOERROR with no records (NODATA); a name not in it answers NXDOMAIN, as a
 * real authoritative server would. A name listed as `silent` (and every name below it) is never
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
  /** Names never answered, nor any name below them (the question is still counted). */
  readonly silent?: readonly string[];
}

const NXDOMAIN = 3;

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
    const name = question.name.toLowerCase().replace(/\.$/, '');
    const type = Object.entries(Packet.TYPE).find(([, code]) => code === question.type)?.[0] ?? '?';
    this.queries.push(`${type} ${name}`);
    const zone = this.#zone;
    if (zone.silent?.some((silent) => name === silent || name.endsWith(`.${silent}`))) return undefined;
    const known = [zone.txt, zone.caa, zone.mx].some(
      (table) => table !== undefined && Object.hasOwn(table, name),
    );
    if (!known) {
      response.header.rcode = NXDOMAIN;
      return response;
    }
    const base = { name: question.name, class: Packet.CLASS.IN, ttl: 60 };
    if (question.type === Packet.TYPE.TXT) {
      for (const data of zone.txt?.[name] ?? []) {
        response.answers.push({ ...base, type: Packet.TYPE.TXT, data: [...data] } as Resource);
      }
    } else if (question.type === Packet.TYPE.CAA) {
      for (const { tag, value, flags } of zone.caa?.[name] ?? []) {
        response.answers.push({ ...base, type: Packet.TYPE.CAA, flags: flags ?? 0, tag, value } as Resource);
      }
    } else if (question.type === Packet.TYPE.MX) {
      for (const [i, exchange] of (zone.mx?.[name] ?? []).entries()) {
        response.answers.push({
          ...base,
          type: Packet.TYPE.MX,
          exchange,
          priority: 10 * (i + 1),
        } as Resource);
      }
    }
    return response;
  }
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
