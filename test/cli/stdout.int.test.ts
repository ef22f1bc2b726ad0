/**
 * Standard output is the CLI's result: with `--json`, exactly one JSON document, whatever the
 * function logs on the way (the pre-check's warnings, its metric documents). The built
 * `dcv-resend` is spawned on plain `node`, in --local mode against the DigiCert simulator, with a
 * loopback DNS server where nomail.example.org has no MX and bob@ cannot approve it.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DigiCertSimulator } from '../../dev/digicert-simulator.js';
import { EXAMPLE_ZONE, LocalDnsServer } from '../support/dns-server.js';
import { CANARY_KEY } from '../support/harness.js';
import { type ChildRun, runChild } from '../support/run-child.js';

vi.setConfig({ testTimeout: 60_000 });

const PACKAGE = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  bin: Record<string, string>;
};
const BIN = PACKAGE.bin['dcv-resend'] ?? '';
const dir = mkdtempSync(join(tmpdir(), 'dcv-cli-stdout-'));
let digicert: DigiCertSimulator;
let dns: LocalDnsServer;

beforeAll(async () => {
  [digicert, dns] = await Promise.all([
    DigiCertSimulator.start({ validKeys: [CANARY_KEY] }),
    LocalDnsServer.start(EXAMPLE_ZONE),
  ]);
});
afterAll(async () => {
  await Promise.all([digicert.close(), dns.close()]);
});

function cli(args: string[]): Promise<ChildRun> {
  return runChild(process.execPath, [BIN, ...args], {
    env: {
      PATH: process.env.PATH ?? '',
      DIGICERT_API_KEY: CANARY_KEY,
      DIGICERT_BASE_URL: digicert.baseUrl,
      DNS_SERVERS: dns.address,
      // warn: the address that cannot approve is sent anyway, with a warning and a metric document.
      DCV_PRECHECK: 'warn',
    },
  });
}

/** An address the pre-check warns about twice: its domain has no MX, and bob@ cannot approve it. */
const WARNED = ['--domain', 'nomail.example.org', '--email', 'bob@nomail.example.org'];
const WARNED_ORDER = { domain: 'nomail.example.org', email: 'bob@nomail.example.org' };

function ordersFile(name: string, ids: readonly number[]): string {
  const path = join(dir, name);
  const lines = ids.map((id) => JSON.stringify({ order_id: id, domain_approval_emails: [WARNED_ORDER] }));
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

describe.concurrent('dcv-resend --json on a domain the pre-check warns about', () => {
  it.each([
    ['resend', () => ['resend', '--order', '901', ...WARNED, '--json']],
    ['batch', () => ['batch', '--file', ordersFile('warned.ndjson', [911, 912]), '--json']],
    ['check', () => ['check', ...WARNED, '--json']],
    [
      'submit --dry-run',
      () => ['submit', '--file', ordersFile('submit.ndjson', [921]), '--dry-run', '--json'],
    ],
    ['resend --dry-run', () => ['resend', '--order', '931', ...WARNED, '--dry-run', '--json']],
  ])('%s prints exactly one JSON document on stdout', async (_name, args) => {
    const run = await cli(args());

    expect(run.code).not.toBeNull();
    expect(() => JSON.parse(run.stdout), run.stdout).not.toThrow();
    expect(run.stdout.trim().split('\n')).toHaveLength(1);
  });

  it("writes the function's log lines and metric documents to stderr with --verbose, never to stdout", async () => {
    const run = await cli(['resend', '--order', '941', ...WARNED, '--json', '--verbose']);

    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ order_id: 941, status: 'sent' });
    expect(run.stderr).toContain('"level":"WARN","message":"dcv pre-check: the address cannot approve');
    expect(run.stderr).toContain('"DcvPrecheckMismatches":1');
  });

  it("prints the function's log lines nowhere without --verbose, and a readable line on stdout", async () => {
    const run = await cli(['resend', '--order', '951', ...WARNED]);

    expect(run.code).toBe(0);
    expect(run.stdout).toBe('✓ order 951: DCV emails resent\n');
    expect(run.stderr).not.toContain('dcv pre-check');
    expect(run.stderr).not.toContain('CloudWatchMetrics');
  });
});
