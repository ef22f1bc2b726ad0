/**
 * `dcv-resend dns-dcv --order N` as an operator runs it: the built CLI spawned with `node`, locally
 * (the embedded simulator, the Route 53 stand-in's demo zone example.com, the workflow in the CLI's
 * process), or invoking a function through the Lambda stand-in (the `dns-dcv` action).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LambdaInvokeStandIn } from '../../dev/lambda-invoke-standin.js';
import { DEMO_ZONE } from '../../dev/local-backend.js';
import { StepFunctionsStandIn } from '../../dev/step-functions-standin.js';
import { createHandler } from '../../functions/resend-dcv-emails/handler.js';
import { ALLOWED_ZONE, type DnsDcvRig, startDnsDcvRig } from '../support/dns-dcv.js';
import { type ChildRun, runChild } from '../support/run-child.js';

vi.setConfig({ testTimeout: 60_000 });

const PACKAGE = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  bin: Record<string, string>;
};
const BIN = PACKAGE.bin['dcv-resend'] ?? '';
const dir = mkdtempSync(join(tmpdir(), 'dcv-cli-dns-dcv-'));
const NO_AWS_FILES = {
  AWS_CONFIG_FILE: join(dir, 'no-aws-config'),
  AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-aws-credentials'),
  AWS_EC2_METADATA_DISABLED: 'true',
};

beforeAll(async () => {
  // The launcher bundles the sources on its first run after a change: once, here.
  await cli(['--help']);
}, 120_000);

function cli(args: string[], env: Record<string, string> = {}): Promise<ChildRun> {
  return runChild(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', ...NO_AWS_FILES, ...env },
    timeoutMs: 50_000,
  });
}

describe('dcv-resend dns-dcv (local, the embedded simulator)', () => {
  it('publishes the demo order in the demo zone, follows the workflow and says it was validated', async () => {
    const run = await cli(['dns-dcv', '--order', '1001', '--follow', '--json']);

    expect(run.code).toBe(0);
    const answer = JSON.parse(run.stdout.trim()) as { random_value: string };
    expect(answer).toMatchObject({
      order_id: 1001,
      method: 'dns-txt-token',
      records: [
        { name: 'example.com', type: 'TXT', hosted_zone_id: DEMO_ZONE.id, published: true },
        { name: 'www.example.com', type: 'TXT', hosted_zone_id: DEMO_ZONE.id, published: true },
      ],
      outcome: { status: 'SUCCEEDED', validated: true, checks: 1 },
    });
  });

  it('prints what to publish by hand for a name outside the allowed zones', async () => {
    const run = await cli(['dns-dcv', '--order', '1003']);

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^order 1003: moved to dns-txt-token; random value [0-9a-z]{32}/);
    expect(run.stdout).toMatch(
      /TXT legacy\.example\.org "[0-9a-z]{32}": NOT published: no allowed hosted zone holds it; publish it by hand/,
    );
    expect(run.stdout).toContain('use --follow');
  });

  it.each([
    [['dns-dcv'], 2, /--order is required/],
    [['dns-dcv', '--order', 'x'], 3, /order_id: must be a positive integer/],
    [
      ['dns-dcv', '--order', '1001', '--method', 'http-token'],
      3,
      /method: must be one of "dns-txt-token", "dns-cname-token"/,
    ],
  ])('refuses %j with exit %i', async (args, code, message) => {
    const run = await cli(args);

    expect(run.code).toBe(code);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toContain('note: using');
  });
});

describe('dcv-resend dns-dcv --function-name', () => {
  let rig: DnsDcvRig;
  let lambda: LambdaInvokeStandIn;

  beforeAll(async () => {
    rig = await startDnsDcvRig({
      simulator: {
        orders: [
          {
            id: 8201,
            status: 'pending',
            dnsNames: ['cli.example.com'],
            dcvMethod: 'email',
            createdAt: Date.now(),
          },
        ],
      },
    });
    const { handler } = rig.start();
    lambda = await LambdaInvokeStandIn.start({ functions: { 'dcv-resend': handler } });
  });
  afterAll(async () => {
    await lambda.close();
    await rig.close();
  });

  it('invokes the function with the dns-dcv action and prints the records and the execution', async () => {
    const run = await cli(
      ['dns-dcv', '--order', '8201', '--method', 'dns-cname-token', '--function-name', 'dcv-resend'],
      {
        AWS_ENDPOINT_URL_LAMBDA: lambda.endpoint,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'AKIDLOCAL',
        AWS_SECRET_ACCESS_KEY: 'local',
      },
    );

    expect(run.code).toBe(0);
    expect(lambda.invocations[0]?.payload).toEqual({
      action: 'dns-dcv',
      order_id: 8201,
      method: 'dns-cname-token',
    });
    expect(run.stdout).toMatch(
      new RegExp(
        `CNAME _dnsauth\\.cli\\.example\\.com "[0-9a-z]{32}\\.dcv\\.digicert\\.com": published by the workflow in hosted zone ${ALLOWED_ZONE.id}`,
      ),
    );
    expect(run.stdout).toMatch(/^execution arn:aws:states:/m);
  });
});

describe('dcv-resend dns-dcv --function-name --follow', () => {
  const STATE_MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:DnsDcv';
  let rig: DnsDcvRig;
  let lambda: LambdaInvokeStandIn;
  let sfn: StepFunctionsStandIn;

  beforeAll(async () => {
    sfn = await StepFunctionsStandIn.start();
    process.env.AWS_ENDPOINT_URL_SFN = sfn.endpoint;
    rig = await startDnsDcvRig({
      simulator: {
        orders: [
          {
            id: 8202,
            status: 'pending',
            dnsNames: ['f.example.com'],
            dcvMethod: 'email',
            createdAt: Date.now(),
          },
        ],
      },
    });
    // The function as deployed: its workflow is the state machine (here the stand-in).
    const handler = createHandler(() => rig.h.runtime({ DNS_DCV_STATE_MACHINE_ARN: STATE_MACHINE }));
    lambda = await LambdaInvokeStandIn.start({ functions: { 'dcv-resend': handler } });
  });
  afterAll(async () => {
    await lambda.close();
    await rig.close();
    await sfn.close();
  });

  const aws = () => ({
    AWS_ENDPOINT_URL_LAMBDA: lambda.endpoint,
    AWS_ENDPOINT_URL_SFN: sfn.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDLOCAL',
    AWS_SECRET_ACCESS_KEY: 'local',
  });

  it('reads the Step Functions execution until it ends, and exits 0 when it succeeded', async () => {
    sfn.onStart((execution) =>
      Object.assign(execution, {
        status: 'SUCCEEDED',
        output: JSON.stringify({ validated: true, checks: 3 }),
      }),
    );

    const run = await cli(['dns-dcv', '--order', '8202', '--function-name', 'dcv-resend', '--follow'], aws());

    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      '✓ order 8202: validated by DigiCert after 3 checks; the records were removed',
    );
    expect(sfn.operations).toEqual(['StartExecution', 'DescribeExecution']);
  });

  it('exits 1 and says why when the execution failed', async () => {
    sfn.operations.splice(0);
    sfn.onStart((execution) =>
      Object.assign(execution, {
        status: 'FAILED',
        error: 'DnsDcvNotValidated',
        cause: 'the random value expired',
      }),
    );
    rig.h.simulator.addOrders([
      { id: 8203, status: 'pending', dnsNames: ['g.example.com'], dcvMethod: 'email', createdAt: Date.now() },
    ]);

    const run = await cli(
      ['dns-dcv', '--order', '8203', '--function-name', 'dcv-resend', '--follow', '--json'],
      aws(),
    );

    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({
      order_id: 8203,
      outcome: {
        status: 'FAILED',
        validated: false,
        error: 'DnsDcvNotValidated',
        cause: 'the random value expired',
      },
    });
  });
});
