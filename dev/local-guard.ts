/**
 * What `npm start` lets in. A page in a browser can reach 127.0.0.1 through DNS rebinding (its own
 * name re-pointed at 127.0.0.1), so the local server answers only requests addressed to itself by
 * `Host`; and when it talks to the real DigiCert, where a request resends real emails, only
 * requests carrying the token it printed at start-up.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export interface LocalGuardOptions {
  /** The port the server listens on. */
  readonly port: number;
  /** Required on every request when set (real-DigiCert mode). */
  readonly token?: string | undefined;
}

/** A refusal: status, code and message for the DigiCert-shaped error envelope. */
export interface Refusal {
  readonly status: 401 | 421;
  readonly code: string;
  readonly message: string;
}

/** A fresh token for one server run: 32 random bytes, URL-safe. */
export function newLocalToken(): string {
  return randomBytes(32).toString('base64url');
}

/** The `Host` values that name this server: 127.0.0.1, localhost or [::1] with its port. */
export function allowedHosts(port: number): string[] {
  return [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`];
}

/** `undefined` when the request may go on; otherwise why it is refused. */
export function checkLocalRequest(
  headers: IncomingHttpHeaders,
  options: LocalGuardOptions,
): Refusal | undefined {
  const hosts = allowedHosts(options.port);
  const host = (headers.host ?? '').toLowerCase();
  if (!hosts.includes(host)) {
    return {
      status: 421,
      code: 'misdirected_request',
      message: `This local server answers only requests addressed to it (Host: ${hosts.join(', ')}); other host names are refused to keep web pages from reaching it through DNS rebinding`,
    };
  }
  if (options.token === undefined) return undefined;
  const given = bearer(headers.authorization) ?? single(headers['x-local-token']);
  if (given === undefined || !sameToken(given, options.token)) {
    return {
      status: 401,
      code: 'local_token_required',
      message:
        'This local server talks to the real DigiCert: send the token it printed at start-up, as "Authorization: Bearer <token>" or "x-local-token: <token>"',
    };
  }
  return undefined;
}

function bearer(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

function single(header: string | string[] | undefined): string | undefined {
  return Array.isArray(header) ? header[0] : header;
}

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
