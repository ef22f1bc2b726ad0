/**
 * `dcv-resend check` in-process against a loopback DNS server, and the sunset notice of the CLI.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.js';
import { EMAIL_DCV_SUNSET_NOTICE } from '../../cli/sunset-notice.js';
import { EXAMPLE_ZONE, LocalDnsServer } from '../support/dns-server.js';

let dns: LocalDnsServer;

beforeAll(async () => {
  dns = await LocalDnsServer.start(EXAMPLE_ZONE);
});
afterAll(async () => {
  await dns.close();
});

async function cli(args: string[], env: Record<string, string> = {}, stdin = '') {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    env: { DNS_SERVERS: dns.address, ...env },
    readStdin: () => Promise.resolve(stdin),
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

  it.each([
    ['a usage error', ['check', '--bogus']],
    ['an unknown command', ['chekc', '--domain', 'example.com']],
    ['--help', ['check', '--help']],
  ])('does not print the sunset notice after %s', async (_name, args) => {
    const run = await cli(args);

    expect(run.stderr + run.stdout).not.toContain('SC-090');
  });

  it('points the sunset notice at a README section that exists', () => {
    const anchor = /README\.md#([a-z0-9-]+)/.exec(EMAIL_DCV_SUNSET_NOTICE)?.[1];
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    // GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens.
    const anchors = [...readme.matchAll(/^#+ (.+)$/gm)].map((m) =>
      (m[1] ?? '')
        .toLowerCase()
        .replace(/[^a-z0-9 -]/g, '')
        .replace(/ /g, '-'),
    );

    expect(anchor).toBeDefined();
    expect(anchors).toContain(anchor);
  });

  it('exits 2 without --domain and 3 naming the field for a bad domain', async () => {
    expect((await cli(['check'])).code).toBe(2);
    const bad = await cli(['check', '--domain', 'not a domain']);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toContain('domain:');
  });
});

describe('--dry-run pre-checks the addresses', () => {
  const bob = ['--domain', 'shop.example.com', '--email', 'bob@example.com', '--dry-run'];

  it('names an address that cannot approve, and still exits 0 under warn', async () => {
    const run = await cli(['resend', '--order', '1', ...bob]);

    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      '! order 1 domain_approval_emails.0.email bob@example.com: cannot approve shop.example.com',
    );
  });

  it('exits 3 for it under DCV_PRECHECK=enforce, as the function would refuse it', async () => {
    const run = await cli(['resend', '--order', '1', ...bob, '--json'], { DCV_PRECHECK: 'enforce' });

    expect(run.code).toBe(3);
    expect(JSON.parse(run.stdout)).toMatchObject({ precheck: [{ verdict: 'not_allowed', order_id: 1 }] });
  });

  it('checks every order of a batch', async () => {
    const orders = [
      { order_id: 1, domain_approval_emails: [{ domain: 'example.com', email: 'admin@example.com' }] },
      {
        order_id: 2,
        domain_approval_emails: [{ domain: 'nomail.example.org', email: 'admin@nomail.example.org' }],
      },
      { order_id: 3, domain_approval_emails: [{ domain: 'example.com', email: 'root@example.com' }] },
    ];
    const run = await cli(['batch', '--file', '-', '--dry-run', '--json'], {}, JSON.stringify({ orders }));

    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      valid: 3,
      precheck: [
        { order_id: 2, verdict: 'no_mx' },
        { order_id: 3, verdict: 'not_allowed' },
      ],
    });
  });
});
