/**
 * `dcv-resend sweep` as an operator runs it: the built CLI spawned with `node`, locally against the
 * DigiCert simulator's order book with a key from the environment, or invoking a function through
 * the Lambda stand-in (the `sweep` action).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DigiCertSimulator, type SimulatedOrder } from '../../dev/digicert-simulator.js';
import { LambdaInvokeStandIn } from '../../dev/lambda-invoke-standin.js';
import { createHandler } from '../../functions/resend-dcv-emails/handler.js';
import { CANARY_KEY, type Harness, startHarness } from '../support/harness.js';
import { type ChildRun, runChild } from '../support/run-child.js';

vi.setConfig({ testTimeout: 60_000 });

const PACKAGE = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  bin: Record<string, string>;
};
const BIN = PACKAGE.bin['dcv-resend'] ?? '';
const dir = mkdtempSync(join(tmpdir(), 'dcv-cli-sweep-'));
const NO_AWS_FILES = {
  AWS_CONFIG_FILE: join(dir, 'no-aws-config'),
  AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-aws-credentials'),
  AWS_EC2_METADATA_DISABLED: 'true',
};
const HOUR = 3_600_000;

const ORDERS: SimulatedOrder[] = [
  {
    id: 8101,
    status: 'pending',
    dnsNames: ['example.com'],
    dcvMethod: 'email',
    createdAt: Date.now() - 50 * HOUR,
  },
  {
    id: 8102,
    status: 'pending',
    dnsNames: ['shop.example.com'],
    dcvMethod: 'dns-txt-token',
    createdAt: Date.now() - 5 * HOUR,
    randomValue: { value: 'fdy6m0wy5lq063sz4h0r6qmdt722gyfc', expiresAt: Date.now() + 2 * 24 * HOUR },
  },
];

let digicert: DigiCertSimulator;

beforeAll(async () => {
  digicert = await DigiCertSimulator.start({ validKeys: [CANARY_KEY], orders: ORDERS });
  await cli(['--help']);
}, 120_000);
afterAll(async () => {
  await digicert.close();
});

function cli(args: string[], env: Record<string, string> = {}): Promise<ChildRun> {
  return runChild(process.execPath, [BIN, ...args], {
    env: {
      PATH: process.env.PATH ?? '',
      ...NO_AWS_FILES,
      DIGICERT_API_KEY: CANARY_KEY,
      DIGICERT_BASE_URL: digicert.baseUrl,
      DIGICERT_TIMEOUT_MS: '2000',
      ...env,
    },
    timeoutMs: 50_000,
  });
}

const puts = () => digicert.requests.filter((r) => r.method === 'PUT').length;

describe('dcv-resend sweep (local)', () => {
  it('prints what a resend sweep would do to each order, and why, sending nothing', async () => {
    const run = await cli(['sweep', '--dry-run', '--policy', 'resend']);

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^order 8101 {2}email +50 h {2}resend +email DCV pending 50 h, at least 24 h$/m,
    );
    expect(run.stdout).toMatch(
      /^order 8102 .* none .*DNS or HTTP DCV \(dns-txt-token\): no email to resend$/m,
    );
    expect(run.stdout).toContain('2 pending order(s) (email 1, dns-txt-token 1)');
    expect(run.stdout).toContain('1 random value(s) expiring within 7 days');
    expect(run.stdout).toContain('policy resend: 1 would be resent');
    expect(puts()).toBe(0);
  });

  it('prints one JSON document with --json: the function’s answer', async () => {
    const run = await cli(['sweep', '--dry-run', '--json']);

    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({
      sweep_id: null,
      policy: 'report',
      dry_run: true,
      complete: true,
      orders: [
        { order_id: 8101, action: 'none' },
        { order_id: 8102, action: 'none' },
      ],
      summary: { pending_orders: 2, by_dcv_method: { email: 1, 'dns-txt-token': 1 } },
    });
  });

  it.each([
    [['sweep', '--policy', 'resend'], 2, /--policy needs --dry-run/],
    [['sweep', '--dry-run', '--policy', 'fix'], 3, /policy: must be one of "report", "resend", "migrate"/],
  ])('refuses %j with exit %i before asking DigiCert', async (args, code, message) => {
    const before = digicert.received;

    const run = await cli(args);

    expect(run.code).toBe(code);
    expect(run.stderr).toMatch(message);
    expect(digicert.received).toBe(before);
  });
});

describe('dcv-resend sweep --function-name', () => {
  let h: Harness;
  let lambda: LambdaInvokeStandIn;

  beforeAll(async () => {
    h = await startHarness({ simulator: { orders: ORDERS } });
    const runtime = h.runtime({ DCV_SWEEP_POLICY: 'resend' });
    lambda = await LambdaInvokeStandIn.start({ functions: { 'dcv-resend': createHandler(() => runtime) } });
  });
  afterAll(async () => {
    await lambda.close();
    await h.close();
  });

  const aws = {
    DIGICERT_API_KEY: '',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDLOCAL',
    AWS_SECRET_ACCESS_KEY: 'local',
  };

  it('asks the function for the plan with the sweep action and prints it', async () => {
    const run = await cli(['sweep', '--dry-run', '--function-name', 'dcv-resend', '--json'], {
      ...aws,
      AWS_ENDPOINT_URL_LAMBDA: lambda.endpoint,
    });

    expect(run.code).toBe(0);
    expect(lambda.invocations[0]?.payload).toEqual({ action: 'sweep', dry_run: true, offset: 0 });
    expect(JSON.parse(run.stdout)).toMatchObject({
      policy: 'resend',
      orders: [{ order_id: 8101, action: 'resend' }, {}],
    });
  });

  it('starts a sweep on the function', async () => {
    const run = await cli(['sweep', '--function-name', 'dcv-resend'], {
      ...aws,
      AWS_ENDPOINT_URL_LAMBDA: lambda.endpoint,
    });

    expect(run.code).toBe(0);
    expect(lambda.invocations.at(-1)?.payload).toEqual({ action: 'sweep' });
    expect(run.stdout).toMatch(/^sweep sweep-\S+\n1 pending|^sweep sweep-/);
    expect(h.simulator.requests.filter((r) => r.method === 'PUT').map((r) => r.orderId)).toEqual([8101]);
  });
});
