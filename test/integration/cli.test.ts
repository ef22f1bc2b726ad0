/**
 * The CLI as an operator runs it: a spawned `dcv-resend` process, in --local mode, talking to the
 * DigiCert simulator (standing in for the real DigiCert) with a key from the environment.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DigiCertSimulator } from '../../dev/digicert-simulator.js';
import { LambdaInvokeStandIn } from '../../dev/lambda-invoke-standin.js';
import { createHandler } from '../../functions/shared/entry.js';
import { CANARY_KEY, type Harness, startHarness } from '../support/harness.js';

let digicert: DigiCertSimulator;
const dir = mkdtempSync(join(tmpdir(), 'dcv-cli-'));

beforeAll(async () => {
  digicert = await DigiCertSimulator.start({ validKeys: [CANARY_KEY] });
});
afterAll(async () => {
  await digicert.close();
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: Record<string, string> = {}, stdin?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['cli/dcv-resend.mjs', ...args], {
      env: {
        PATH: process.env.PATH ?? '',
        DIGICERT_API_KEY: CANARY_KEY,
        DIGICERT_BASE_URL: digicert.baseUrl,
        DIGICERT_TIMEOUT_MS: '500',
        // The pre-check's DNS stays on loopback (nothing listens: lookups fail at once).
        DNS_SERVERS: '127.0.0.1:9',
        ...env,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString('utf8');
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(stdin);
  });
}

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

// Each test uses its own order ids, so the spawned processes can run side by side.
describe.concurrent('dcv-resend resend', () => {
  it('resends for one order and exits 0', async () => {
    const run = await cli([
      'resend',
      '--order',
      '123',
      '--domain',
      'Example.com',
      '--email',
      'admin@example.com',
      '--locale',
      'en',
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('order 123: DCV emails resent');
    expect(digicert.requestsFor(123)[0]?.body).toEqual({
      domain_approval_emails: [{ domain: 'example.com', email: 'admin@example.com' }],
      locale: 'en',
    });
  });

  it('pairs repeated --domain/--email/--email-domain by position', async () => {
    const run = await cli([
      'resend',
      '--order',
      '5',
      '--domain',
      'a.example.com',
      '--email',
      'admin@example.com',
      '--email-domain',
      'example.com',
      '--domain',
      'b.example.org',
      '--email',
      'admin@b.example.org',
      '--email-domain',
      'b.example.org',
    ]);
    expect(run.code).toBe(0);
    expect(digicert.requestsFor(5)[0]?.body).toEqual({
      domain_approval_emails: [
        { domain: 'a.example.com', email: 'admin@example.com', email_domain: 'example.com' },
        { domain: 'b.example.org', email: 'admin@b.example.org', email_domain: 'b.example.org' },
      ],
    });
  });

  it('prints one JSON document with --json', async () => {
    const run = await cli(['resend', '--order', '7', '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ order_id: 7, status: 'sent' });
  });

  it('exits 3 and names the field for an invalid request, without calling DigiCert', async () => {
    const run = await cli(['resend', '--order', '8', '--domain', 'example.com', '--email', 'not-an-address']);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('domain_approval_emails.0.email');
    expect(digicert.requestsFor(8)).toHaveLength(0);
  });

  it("exits 1 with DigiCert's code when DigiCert refuses", async () => {
    digicert.script(9, { kind: 'not_found' });
    const run = await cli(['resend', '--order', '9', '--json']);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({
      order_id: 9,
      status: 'failed',
      error_type: 'DigiCertRequestError',
      code: 'not_found|order',
    });
  });

  it('exits 4 when DigiCert rejects the key', async () => {
    const run = await cli(['resend', '--order', '10'], { DIGICERT_API_KEY: 'wrong-key-0123456789' });
    expect(run.code).toBe(4);
    expect(run.stderr).toContain('upstream_auth_failed');
    expect(run.stderr + run.stdout).not.toContain('wrong-key-0123456789');
  });

  it('validates without sending with --dry-run', async () => {
    const run = await cli(['resend', '--order', '11', '--dry-run']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('valid (dry run');
    expect(digicert.requestsFor(11)).toHaveLength(0);
  });

  it.each([
    [['resend'], /--order is required/],
    [['resend', '--order', '1', '--bogus'], /Unknown option '--bogus'/],
    [['resend', '--order', '1', '--domain', 'example.com'], /in pairs/],
    [['resend', '--order', '1', '--local', '--function-name', 'f'], /one target/],
    [['frobnicate'], /unknown command/],
  ])('exits 2 with a usage message for %j', async (args, message) => {
    const run = await cli(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });

  it('explains every command with --help', async () => {
    for (const args of [['--help'], ['resend', '--help'], ['batch', '--help']]) {
      const run = await cli(args);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/Usage:/);
    }
  });

  it('never prints the key', async () => {
    digicert.script(12, { kind: 'maintenance' });
    const run = await cli(['resend', '--order', '12']);
    expect(run.stdout + run.stderr).not.toContain(CANARY_KEY);
  });
});

describe.concurrent('dcv-resend batch', () => {
  it('resends an NDJSON file with progress and a per-order report, exiting 1 when one failed', async () => {
    digicert.script(202, { kind: 'not_found' });
    const path = file(
      'orders.ndjson',
      '{"order_id":201}\n\n{"order_id":202}\n{"order_id":203,"locale":"en"}\n',
    );
    const run = await cli(['batch', '--file', path]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/\[3\/3\] 2 sent, 1 failed/);
    expect(run.stdout).toContain('order 201: DCV emails resent');
    expect(run.stdout).toMatch(/order 202: DigiCertRequestError \(not_found\|order\)/);
    expect(run.stdout).toContain('2 sent, 1 failed');
  });

  it('reads {"orders": [...]} from standard input and reports JSON with --json', async () => {
    const run = await cli(
      ['batch', '--file', '-', '--json'],
      {},
      JSON.stringify({ orders: [{ order_id: 301 }, { order_id: 302 }] }),
    );
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ sent: 2, failed: 0 });
  });

  it('rejects the whole file before sending anything when one order is invalid', async () => {
    const path = file('bad.json', JSON.stringify([{ order_id: 401 }, { order_id: '12a' }]));
    const run = await cli(['batch', '--file', path]);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('orders.1.order_id');
    expect(digicert.requestsFor(401)).toHaveLength(0);
  });

  it('names the line of an NDJSON syntax error', async () => {
    const path = file('broken.ndjson', '{"order_id":1}\n{"order_id":\n');
    const run = await cli(['batch', '--file', path]);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('broken.ndjson:2');
  });

  it('exits 2 for a file that cannot be read', async () => {
    const run = await cli(['batch', '--file', join(dir, 'missing.json')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/cannot read/);
  });
});

describe('dcv-resend with --function-name', () => {
  let h: Harness;
  let lambda: LambdaInvokeStandIn;
  let env: Record<string, string>;

  beforeAll(async () => {
    h = await startHarness();
    const runtime = h.runtime();
    lambda = await LambdaInvokeStandIn.start({ functions: { 'dcv-resend': createHandler(() => runtime) } });
    // The CLI holds no DigiCert key in this mode: only AWS credentials to invoke the function.
    env = {
      DIGICERT_API_KEY: '',
      AWS_ENDPOINT_URL_LAMBDA: lambda.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDLOCAL',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
  });
  afterAll(async () => {
    await lambda.close();
    await h.close();
  });

  it('invokes the deployed function for one order', async () => {
    const run = await cli(['resend', '--order', '501', '--function-name', 'dcv-resend', '--json'], env);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ order_id: 501, status: 'sent' });
    expect(lambda.invocations[0]?.payload).toEqual({ order_id: 501 });
    expect(h.simulator.requestsFor(501)).toHaveLength(1);
  });

  it("reports the function's DigiCert error for one order with exit 1", async () => {
    h.simulator.script(502, { kind: 'forbidden' });
    const run = await cli(['resend', '--order', '502', '--function-name', 'dcv-resend'], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('access_denied|missing_permission');
  });

  it('invokes the function once for a batch and reports each order', async () => {
    h.simulator.script(512, { kind: 'not_found' });
    const path = file('remote.ndjson', '{"order_id":511}\n{"order_id":512}\n');
    const run = await cli(['batch', '--file', path, '--function-name', 'dcv-resend', '--json'], env);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({
      sent: 1,
      failed: 1,
      results: [
        { order_id: 511, status: 'sent' },
        { order_id: 512, status: 'failed', error_type: 'DigiCertRequestError' },
      ],
    });
  });

  it("exits 4 with the SDK's message when the function does not exist", async () => {
    const run = await cli(['resend', '--order', '520', '--function-name', 'no-such-function'], env);
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/ResourceNotFoundException|not found/i);
  });
});
