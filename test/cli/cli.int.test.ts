/**
 * The CLI as an operator runs it: `dcv-resend` (package.json "bin") spawned with `node`, in
 * --local mode, talking to the DigiCert simulator (standing in for the real DigiCert) with a key
 * from the environment, or invoking a function through the Lambda stand-in.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DigiCertSimulator } from '../../dev/digicert-simulator.js';
import { LambdaInvokeStandIn } from '../../dev/lambda-invoke-standin.js';
import { createHandler } from '../../functions/resend-dcv-emails/handler.js';
import { CANARY_KEY, type Harness, startHarness } from '../support/harness.js';

// Room for the 30 s guard below: each test spawns the CLI once or more.
vi.setConfig({ testTimeout: 60_000 });

let digicert: DigiCertSimulator;
const dir = mkdtempSync(join(tmpdir(), 'dcv-cli-'));
const PACKAGE = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  bin: Record<string, string>;
};
const BIN = PACKAGE.bin['dcv-resend'] ?? '';
/** No AWS configuration from this machine: no profile files, no instance metadata. */
const NO_AWS_FILES = {
  AWS_CONFIG_FILE: join(dir, 'no-aws-config'),
  AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-aws-credentials'),
  AWS_EC2_METADATA_DISABLED: 'true',
};

beforeAll(async () => {
  digicert = await DigiCertSimulator.start({ validKeys: [CANARY_KEY] });
  // The launcher bundles the sources on its first run after a change: once, here, rather than in
  // each of the concurrent runs below (each would build the same bundle at the same time).
  await cli(['--help']);
}, 120_000);
afterAll(async () => {
  await digicert.close();
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: Record<string, string> = {}, stdin?: string, bin = BIN): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env: {
        PATH: process.env.PATH ?? '',
        ...NO_AWS_FILES,
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
    // A CLI that hangs is killed (code null): every path must exit by itself, well within this
    // (a second when the machine is idle; the margin is for a machine busy with other suites).
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
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
    [['resend', '--order', '1', '--bogus'], /unknown option '--bogus' \(see dcv-resend resend --help\)/],
    [
      ['resend', '--order', '1', '--emial', 'a@example.com'],
      /unknown option '--emial'; did you mean --email\?/,
    ],
    [['batch', '--fiel', 'x.json'], /did you mean --file\? \(see dcv-resend batch --help\)/],
    [['resend', '--order', '1', '--order', '2'], /--order was given 2 times; .*dcv-resend batch --file/],
    [['resend', '--order', '1', '--locale', 'en', '--locale', 'de'], /--locale was given 2 times/],
    [['resend', '--order', '1', '--domain', 'example.com'], /in pairs/],
    [['resend', '--order', '1', '--local', '--function-name', 'f'], /one target/],
    [['frobnicate'], /unknown command/],
    [['rsend', '--order', '1'], /did you mean "resend"\?/],
  ])('exits 2 with a usage message for %j', async (args, message) => {
    const run = await cli(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });

  it('explains every command with --help on stdout, exiting 0', async () => {
    for (const args of [['--help'], ['resend', '--help'], ['batch', '--help']]) {
      const run = await cli(args);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/Usage:/);
    }
  });

  it('prints the help to stderr and exits 2 when given no command', async () => {
    const run = await cli([]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/Usage:/);
  });

  it("names DigiCert's code once in the line of a refused order", async () => {
    digicert.script(13, { kind: 'not_found' });
    const run = await cli(['resend', '--order', '13']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('✗ order 13: DigiCertRequestError: ');
    expect(run.stderr.split('not_found|order')).toHaveLength(2);
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
    expect(run.stdout).toMatch(/order 202: DigiCertRequestError: .*\(not_found\|order\)/);
    expect(run.stdout).toContain('2 sent, 1 failed');
    // Locally without a state table nothing is recorded: a re-run would send order 201 again.
    expect(run.stderr).toContain(
      'no state table (STATE_TABLE_NAME): running the same file again sends every order again',
    );
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
    const path = file('bad.json', JSON.stringify([{ order_id: 401 }, { order_id: '12a' }], null, 2));
    const run = await cli(['batch', '--file', path]);
    expect(run.code).toBe(3);
    // The second element of the pretty-printed array starts on line 5, column 3.
    expect(run.stderr).toContain(`${path}:5:3: order_id: `);
    expect(digicert.requestsFor(401)).toHaveLength(0);
  });

  it('names the NDJSON line of an invalid order, as it does for a syntax error', async () => {
    const path = file(
      'invalid-line.ndjson',
      '{"order_id":411}\n{"order_id":412,"domain_approval_emails":[{"domain":"example.com","email":"nope"}]}\n',
    );
    const run = await cli(['batch', '--file', path, '--json']);
    expect(run.code).toBe(3);
    const issues = (JSON.parse(run.stdout) as { error: { issues: { field: string }[] } }).error.issues;
    expect(issues.map((i) => i.field)).toEqual([`${path}:2: domain_approval_emails.0.email`]);
    expect(digicert.requestsFor(411)).toHaveLength(0);
  });

  it('locates orders inside {"orders": [...]} read from standard input', async () => {
    const run = await cli(
      ['batch', '--file', '-'],
      {},
      '{"orders": [\n  {"order_id": 421},\n  {"order_id": 0}\n]}\n',
    );
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('stdin:3:3: order_id: ');
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
    // The SDK's "future releases need Node 22" notice is not for CLI users of a pinned SDK.
    expect(run.stderr).not.toMatch(/NodeVersionSupportWarning|AWS SDK for JavaScript/);
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

/**
 * Every way the CLI can fail ends the process with its documented code, by itself: nothing it
 * opened (the embedded simulator, the Secrets Manager stand-in, SDK clients) keeps it alive.
 */
describe.concurrent('dcv-resend failure paths', () => {
  const simulatorMode = { DIGICERT_API_KEY: '' };
  const unreachable = 'http://127.0.0.1:1';
  const withCredentials = { AWS_ACCESS_KEY_ID: 'AKIDLOCAL', AWS_SECRET_ACCESS_KEY: 'local' };
  const cases: [string, string[], Record<string, string>, number, RegExp][] = [
    ['a usage error', ['resend', '--bogus'], {}, 2, /unknown option/],
    ['an unreadable file', ['batch', '--file', join(dir, 'nope.ndjson')], {}, 2, /cannot read/],
    ['an invalid request', ['resend', '--order', 'x'], {}, 3, /order_id/],
    [
      'a bad variable in simulator mode (resend)',
      ['resend', '--order', '601'],
      { ...simulatorMode, DIGICERT_TIMEOUT_MS: 'soon' },
      4,
      /DIGICERT_TIMEOUT_MS/,
    ],
    [
      'a bad variable in simulator mode (batch)',
      ['batch', '--file', '-'],
      { ...simulatorMode, DIGICERT_MAX_ATTEMPTS: '0' },
      4,
      /DIGICERT_MAX_ATTEMPTS/,
    ],
    [
      'an unknown LOG_LEVEL',
      ['resend', '--order', '608'],
      { ...simulatorMode, LOG_LEVEL: 'verbose' },
      4,
      /LOG_LEVEL must be one of/,
    ],
    [
      'a bad DIGICERT_BASE_URL in simulator mode, where it is not used',
      ['resend', '--order', '609'],
      { ...simulatorMode, DIGICERT_BASE_URL: 'foo' },
      4,
      /DIGICERT_BASE_URL must be "us", "eu"/,
    ],
    [
      'a bad variable with a key',
      ['resend', '--order', '602'],
      { DIGICERT_MAX_ATTEMPTS: 'many' },
      4,
      /DIGICERT_MAX_ATTEMPTS/,
    ],
    [
      'a secret without a region',
      ['resend', '--order', '603'],
      { DIGICERT_API_KEY: '', DIGICERT_API_KEY_SECRET_ID: 'dcv/key', ...withCredentials },
      4,
      /secret dcv\/key: no AWS region is set: set AWS_REGION/,
    ],
    [
      'a secret without credentials',
      ['resend', '--order', '604'],
      { DIGICERT_API_KEY: '', DIGICERT_API_KEY_SECRET_ID: 'dcv/key', AWS_REGION: 'us-east-1' },
      4,
      /no AWS credentials were found: set AWS_PROFILE/,
    ],
    [
      'a secret behind an unreachable endpoint',
      ['resend', '--order', '605'],
      {
        DIGICERT_API_KEY: '',
        DIGICERT_API_KEY_SECRET_ID: 'dcv/key',
        AWS_REGION: 'us-east-1',
        AWS_ENDPOINT_URL_SECRETS_MANAGER: unreachable,
        ...withCredentials,
      },
      4,
      /Secrets Manager endpoint cannot be reached \(.*ECONNREFUSED.*\).*AWS_ENDPOINT_URL_SECRETS_MANAGER/,
    ],
    [
      'a function without a region',
      ['resend', '--order', '606', '--function-name', 'dcv-resend'],
      { DIGICERT_API_KEY: '', ...withCredentials },
      4,
      /no AWS region is set: set AWS_REGION/,
    ],
    [
      'a function without credentials',
      ['resend', '--order', '607', '--function-name', 'dcv-resend'],
      { DIGICERT_API_KEY: '', AWS_REGION: 'us-east-1' },
      4,
      /no AWS credentials were found/,
    ],
    [
      'a function behind an unreachable endpoint',
      ['batch', '--file', '-', '--function-name', 'dcv-resend'],
      {
        DIGICERT_API_KEY: '',
        AWS_REGION: 'us-east-1',
        AWS_ENDPOINT_URL_LAMBDA: unreachable,
        ...withCredentials,
      },
      4,
      /Lambda endpoint cannot be reached/,
    ],
  ];

  it.each(cases)('exits by itself with its code after %s', async (_name, args, env, code, message) => {
    const run = await cli(args, env, '{"order_id":611}\n{"order_id":612}\n');
    expect(run.code).toBe(code);
    expect(run.stderr).toMatch(message);
  });
});
