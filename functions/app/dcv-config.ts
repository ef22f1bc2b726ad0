/**
 * The pre-check's part of the environment (docs/contract.md §4, §9): `DCV_PRECHECK` and
 * `DNS_SERVERS`, parsed once with the rest of the configuration; a bad value is a
 * `ConfigurationError` naming the variable.
 */
import { isIP } from 'node:net';
import { ConfigurationError } from '../lib/errors.js';
import type { Env } from './config.js';
import { DCV_PRECHECK_MODES, type DcvPrecheckMode } from './contract.js';

export interface DcvConfig {
  /** What the pre-check does on a resend. @default 'warn' */
  readonly precheck: DcvPrecheckMode;
  /** Resolvers as `Resolver.setServers` takes them; `undefined` for the system's. */
  readonly dnsServers: readonly string[] | undefined;
}

function invalid(variable: string, rule: string): ConfigurationError {
  return new ConfigurationError('invalid_configuration', `${variable} ${rule}`);
}

/** Parses `DCV_PRECHECK` and `DNS_SERVERS`; throws `ConfigurationError` naming the bad one. */
export function loadDcvConfig(env: Env): DcvConfig {
  const raw = env.DCV_PRECHECK?.trim().toLowerCase();
  let precheck: DcvPrecheckMode = 'warn';
  if (raw !== undefined && raw !== '') {
    const mode = DCV_PRECHECK_MODES.find((m) => m === raw);
    if (mode === undefined) throw invalid('DCV_PRECHECK', `must be one of ${DCV_PRECHECK_MODES.join(', ')}`);
    precheck = mode;
  }
  return { precheck, dnsServers: parseDnsServers(env.DNS_SERVERS) };
}

/**
 * `DNS_SERVERS`: comma-separated `host[:port]`, where host is an IPv4 address or a bracketed IPv6
 * one (`[::1]:53`); a resolver is reached before any name can be, so names are not accepted.
 */
export function parseDnsServers(raw: string | undefined): string[] | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const servers = raw.split(',').map((s) => s.trim());
  for (const server of servers) {
    const match = /^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+)|([0-9a-fA-F:]+))(?::([0-9]{1,5}))?$/.exec(server);
    const host = match?.[1] ?? match?.[2] ?? match?.[3];
    const port = match?.[4] === undefined ? 53 : Number(match[4]);
    const bareV6WithPort = match?.[3] !== undefined && match[4] !== undefined;
    if (host === undefined || isIP(host) === 0 || port < 1 || port > 65_535 || bareV6WithPort) {
      throw invalid(
        'DNS_SERVERS',
        'must be comma-separated IP addresses with an optional port, such as 10.0.0.2 or 127.0.0.1:5353 or [::1]:53',
      );
    }
  }
  return servers;
}
