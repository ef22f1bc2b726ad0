/**
 * `dcv-resend status --order N` as an operator runs it: the built CLI spawned with `node`, locally
 * against the DigiCert simulator's order book with a key from the environment, or invoking a
 * function through the Lambda stand-in (the `dcv-status` action).
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
const dir = mkdtempSync(join(tmpdir(), 'dcv-cli-status-'));
const NO_AWS_FILES = {
  AWS_CONFIG_FILE: join(dir, 'no-aws-config'),
  AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-aws-credentials'),
  AWS_EC2_METADATA_DISABLED: 'true',
};

const ORDER: SimulatedOrder = {
  id: 8001,
  status: 'pending',
  dnsNames: ['example.com', 'www.example.com'],
  dcvMethod: 'email',
  createdAt: Date.now() - 50 * 3_600_000,
};

let digicert: DigiCertSimulator;

beforeAll(async () => {
  digicert = await DigiCertSimulator.start({ validKeys: [CANARY_KEY], orders: [ORDER] });
  // The launcher bundles the sources on its first run after a change: once, here.
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
      DIGICERT_TIMEOUT_MS: '500',
      ...env,
    },
    timeoutMs: 50_000,
  });
}

describe('dcv-resend status (local)', () => {
  it('prints one JSON document on stdout with --json: the API answer', async () => {
    const run = await cli(['status', '--order', '8001', '--json']);

    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({
      order_id: 8001,
      order_status: 'pending',
      dcv_method: 'email',
      pending_hours: 50,
      domains: [
        { name: 'example.com', status: 'pending', method: 'email' },
        { name: 'www.example.com', status: 'pending', method: 'email' },
      ],
      email_dcv_sunset: '2028-03-15',
    });
  });

  it('says how long the order is pending and lists each domain without --json', async () => {
    const run = await cli(['status', '--order', '8001']);

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^order 8001: pending for 50 hours \(2\.1 days\), DCV method email/);
    expect(run.stdout).toMatch(/ {2}www\.example\.com {2}pending \(email\)/);
  });

  it('exits 1 with order_not_found for an order DigiCert does not know', async () => {
    const run = await cli(['status', '--order', '8999', '--json']);

    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ error: { type: 'DigiCertRequestError' } });
    expect(run.stdout).toContain('order_not_found');
  });

  it.each([
    [['status'], 2, /--order is required/],
    [['status', '--order', 'x'], 3, /order_id: must be a positive integer/],
  ])('refuses %j with exit %i', async (args, code, message) => {
    const before = digicert.received;

    const run = await cli(args);

    expect(run.code).toBe(code);
    expect(run.stderr).toMatch(message);
    expect(digicert.received).toBe(before);
  });
});

describe('dcv-resend status --function-name', () => {
  let h: Harness;
  let lambda: LambdaInvokeStandIn;

  beforeAll(async () => {
    h = await startHarness({ simulator: { orders: [ORDER] } });
    const runtime = h.runtime();
    lambda = await LambdaInvokeStandIn.start({ functions: { 'dcv-resend': createHandler(() => runtime) } });
  });
  afterAll(async () => {
    await lambda.close();
    await h.close();
  });

  it('invokes the function with the dcv-status action and prints its answer', async () => {
    const run = await cli(['status', '--order', '8001', '--function-name', 'dcv-resend', '--json'], {
      DIGICERT_API_KEY: '',
      AWS_ENDPOINT_URL_LAMBDA: lambda.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDLOCAL',
      AWS_SECRET_ACCESS_KEY: 'local',
    });

    expect(run.code).toBe(0);
    expect(lambda.invocations[0]?.payload).toEqual({ action: 'dcv-status', order_id: 8001 });
    expect(JSON.parse(run.stdout)).toMatchObject({ order_id: 8001, order_status: 'pending' });
  });
});
