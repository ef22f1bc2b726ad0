/**
 * `dcv-resend check` in-process against a loopback DNS server, and the sunset notice of the CLI.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/cli.js';
import { EXAMPLE_ZONE, LocalDnsServer } from '../support/dns-server.js';

let dns: LocalDnsServer;

beforeAll(async () => {
  dns = await LocalDnsServer.start(EXAMPLE_ZONE);
});
afterAll(async () => {
  await dns.close();
});

async function cli(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    env: { DNS_SERVERS: dns.address },
    readStdin: () => Promise.resolve(''),
    interactive: false,
  });
  return { code, stdout, stderr };
}

describe('dcv-resend check', () => {
  it('lists the allowed addresses and confirms a constructed one at a parent', async () => {
    const run = await cli(['check', '--domain', 'shop.example.com', '--email', 'Admin@example.com']);

    expect(run.code).toBe(0);
    expect(run.stdout).toContain('admin@shop.example.com');
    expect(run.stdout).toContain('DNS TXT contacts:   dcv-contact@example.com');
    expect(run.stdout).toContain('CAA contactemail:   pki@example.com');
    expect(run.stdout).toMatch(/✓ Admin@example\.com can approve shop\.example\.com \(constructed\)/);
  });

  it('exits 3 for an address that cannot approve, and says so in JSON without the notice', async () => {
    const run = await cli(['check', '--domain', 'shop.example.com', '--email', 'bob@example.com', '--json']);

    expect(run.code).toBe(3);
    expect(JSON.parse(run.stdout)).toMatchObject({ email: 'bob@example.com', matches: false, has_mx: false });
    expect(run.stderr).toBe('');
  });

  it('prints the email-DCV sunset notice once, on stderr', async () => {
    const run = await cli(['check', '--domain', 'example.com']);

    expect(run.stderr.match(/SC-090/g)).toHaveLength(1);
    expect(run.stderr).toMatch(/DNS TXT, DNS CNAME or HTTP/);
    expect(run.stdout).not.toContain('SC-090');
  });

  it('exits 2 without --domain and 3 naming the field for a bad domain', async () => {
    expect((await cli(['check'])).code).toBe(2);
    const bad = await cli(['check', '--domain', 'not a domain']);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toContain('domain:');
  });
});
