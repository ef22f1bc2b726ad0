/**
 * `batch` resumes: the built `dcv-resend`, spawned on plain `node`, interrupted with Ctrl-C
 * (SIGINT) mid-run and run again on the same file, in --local mode with a state table (dynalite)
 * and against a function with one (the Lambda invoke stand-in). The DigiCert simulator counts
 * every order it is sent.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RunReport } from '../../cli/batch-run.js';
import { DigiCertSimulator } from '../../dev/digicert-simulator.js';
import { LambdaInvokeStandIn } from '../../dev/lambda-invoke-standin.js';
import { createHandler } from '../../functions/resend-dcv-emails/handler.js';
import { type Dynalite, startDynaliteForSdk } from '../support/dynalite.js';
import { CANARY_KEY, type Harness, startHarness } from '../support/harness.js';
import { type ChildRun, runChild } from '../support/run-child.js';

vi.setConfig({ testTimeout: 120_000 });

const PACKAGE = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  bin: Record<string, string>;
};
const BIN = PACKAGE.bin['dcv-resend'] ?? '';
const dir = mkdtempSync(join(tmpdir(), 'dcv-cli-resume-'));
/** AWS set-up for dynalite and the invoke stand-in, and none from this machine's profile. */
const AWS_LOCAL = {
  AWS_CONFIG_FILE: join(dir, 'no-aws-config'),
  AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-aws-credentials'),
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKIDLOCAL',
  AWS_SECRET_ACCESS_KEY: 'local',
};

let dynamo: Dynalite;

beforeAll(async () => {
  dynamo = await startDynaliteForSdk();
});
afterAll(async () => {
  await dynamo.close();
});

function ordersFile(name: string, ids: readonly number[]): string {
  const path = join(dir, name);
  writeFileSync(path, `${ids.map((order_id) => JSON.stringify({ order_id })).join('\n')}\n`);
  return path;
}

function requestCounts(simulator: DigiCertSimulator): Map<number | undefined, number> {
  const counts = new Map<number | undefined, number>();
  for (const r of simulator.requests) counts.set(r.orderId, (counts.get(r.orderId) ?? 0) + 1);
  return counts;
}

/** Spawns the CLI; resolves when it exits, after `interrupt` once `lines` progress lines are on stderr. */
function interruptedRun(args: string[], env: Record<string, string>, lines: number): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [BIN, ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
    });
    let stdout = '';
    let stderr = '';
    let interrupted = false;
    const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      if (!interrupted && (stderr.match(/^\[\d+\/\d+\] /gm) ?? []).length >= lines) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(guard);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end();
  });
}

describe('dcv-resend batch --local with a state table', () => {
  let simulator: DigiCertSimulator;

  beforeAll(async () => {
    // Each answer takes 50 ms: the run lasts long enough to be interrupted midway.
    simulator = await DigiCertSimulator.start({ validKeys: [CANARY_KEY], latencyMs: 50 });
  });
  afterAll(async () => {
    await simulator.close();
  });

  it('reports on Ctrl-C which orders were sent and not attempted, exits 130, and a re-run sends only the rest', async () => {
    const ids = Array.from({ length: 150 }, (_, i) => 1_000 + i);
    const file = ordersFile('interrupted.ndjson', ids);
    const reportFile = join(dir, 'interrupted.report.json');
    const env = {
      ...AWS_LOCAL,
      DIGICERT_API_KEY: CANARY_KEY,
      DIGICERT_BASE_URL: simulator.baseUrl,
      DNS_SERVERS: '127.0.0.1:9',
      STATE_TABLE_NAME: dynamo.tableName,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    };
    const args = ['batch', '--file', file, '--json', '--report', reportFile];

    // Two progress lines (a line per 10%): at least 30 orders answered.
    const first = await interruptedRun(args, env, 2);

    expect(first.code, first.stderr).toBe(130);
    const report = JSON.parse(first.stdout) as RunReport;
    expect(JSON.parse(readFileSync(reportFile, 'utf8'))).toEqual(report);
    expect(report).toMatchObject({
      interrupted: true,
      resumable: true,
      in_flight: [],
      refused: [],
      failed: [],
    });
    expect(report.sent.length).toBeGreaterThanOrEqual(30);
    expect(report.not_attempted.length).toBeGreaterThan(0);
    expect([...report.sent, ...report.not_attempted].sort()).toEqual(ids);
    const afterFirst = requestCounts(simulator);
    expect(report.sent.every((id) => afterFirst.get(id) === 1)).toBe(true);
    expect(report.not_attempted.some((id) => afterFirst.has(id))).toBe(false);

    const second = await runChild(process.execPath, [BIN, 'batch', '--file', file, '--json'], {
      env: { PATH: process.env.PATH ?? '', ...env },
      timeoutMs: 60_000,
    });

    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ sent: ids.length, failed: 0 });
    const counts = requestCounts(simulator);
    expect([...counts.keys()].sort()).toEqual(ids);
    expect([...counts.values()].every((count) => count === 1)).toBe(true);
  });
});

describe('dcv-resend batch --function-name, against a function with a state table', () => {
  let h: Harness;
  let lambda: LambdaInvokeStandIn;

  beforeAll(async () => {
    h = await startHarness();
    const runtime = h.runtime({ STATE_TABLE_NAME: dynamo.tableName, DIGICERT_MAX_ATTEMPTS: '1' });
    lambda = await LambdaInvokeStandIn.start({ functions: { 'dcv-resend': createHandler(() => runtime) } });
  });
  afterAll(async () => {
    await lambda.close();
    await h.close();
  });

  it('sends on a re-run of the same file only the orders that were not sent', async () => {
    // Order 823 finds DigiCert in maintenance the first time, and is sent the second.
    h.simulator.script(823, { kind: 'maintenance' }, { kind: 'sent' });
    const ids = [821, 822, 823, 824, 825];
    const file = ordersFile('remote.ndjson', ids);
    const run = () =>
      runChild(process.execPath, [BIN, 'batch', '--file', file, '--function-name', 'dcv-resend', '--json'], {
        env: {
          PATH: process.env.PATH ?? '',
          ...AWS_LOCAL,
          AWS_ENDPOINT_URL_LAMBDA: lambda.endpoint,
        },
      });

    const first = await run();
    const second = await run();

    expect(first.code, first.stderr).toBe(1);
    expect(JSON.parse(first.stdout)).toMatchObject({ sent: 4, failed: 1 });
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ sent: 5, failed: 0 });
    const counts = requestCounts(h.simulator);
    expect(ids.map((id) => counts.get(id))).toEqual([1, 1, 2, 1, 1]);
    const keys = lambda.invocations.map((i) => (i.payload as { idempotency_key?: string }).idempotency_key);
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatch(/^dcv-resend-batch-[0-9a-f]{64}$/);
    expect(keys[1]).toBe(keys[0]);
  });
});
