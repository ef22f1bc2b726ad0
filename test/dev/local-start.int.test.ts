/**
 * `npm start` and `npm run start:lambda` with a bad environment or a busy port, as a user meets
 * them: one line on standard error naming the variable and the fix, no stack trace, exit code 1,
 * and the process gone (nothing left listening keeps it alive).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChildRun, runChild } from '../support/run-child.js';

/** Runs `command` to its end with the local variables cleared (`undefined` unsets one); a hang is killed after 30 s. */
function run(command: string, args: string[], env: Record<string, string | undefined>): Promise<ChildRun> {
  return runChild(command, args, {
    env: { ...process.env, DIGICERT_API_KEY: '', DIGICERT_API_KEY_SECRET_ID: '', PORT: '0', ...env },
  });
}

const localServer = (env: Record<string, string | undefined>) =>
  run(process.execPath, ['--import', 'tsx', 'dev/local-server.ts'], env);
const localLambda = (env: Record<string, string>) =>
  run(process.execPath, ['--import', 'tsx', 'dev/local-lambda.ts'], env);

function expectOneLine(result: ChildRun, prefix: string, pattern: RegExp): void {
  expect(result.code).toBe(1);
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]?.startsWith(`${prefix}: `), result.stderr).toBe(true);
  expect(lines[0]).toMatch(pattern);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

let busy: Server;
let busyPort = 0;

beforeAll(async () => {
  busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', () => resolve()));
  const address = busy.address();
  busyPort = typeof address === 'object' && address ? address.port : 0;
});

afterAll(async () => {
  await new Promise<void>((resolve) => busy.close(() => resolve()));
});

describe('npm start with a bad environment', () => {
  it.each([
    ['LOG_LEVEL', { LOG_LEVEL: 'verbose' }, /^npm start: LOG_LEVEL must be one of debug, info, warn, error/],
    [
      'DIGICERT_BASE_URL (refused in simulator mode too)',
      { DIGICERT_BASE_URL: 'foo' },
      /DIGICERT_BASE_URL must be "us", "eu"/,
    ],
    ['DIGICERT_TIMEOUT_MS', { DIGICERT_TIMEOUT_MS: 'soon' }, /DIGICERT_TIMEOUT_MS must be a whole number/],
    [
      'PORT that is not a number',
      { PORT: 'abc' },
      /PORT must be a port number from 0 to 65535.*PORT=3005 npm start/,
    ],
    ['PORT out of range', { PORT: '70000' }, /PORT must be a port number/],
  ])('exits 1 with one line naming %s', async (_name, env, pattern) => {
    expectOneLine(await localServer(env), 'npm start', pattern);
  });

  it('exits 1 with one line naming PORT when the port is in use', async () => {
    const result = await localServer({ PORT: String(busyPort) });
    expectOneLine(
      result,
      'npm start',
      new RegExp(`PORT ${busyPort} is in use by another process.*set PORT to a free port`),
    );
  });

  it('says the same through npm itself', async () => {
    const result = await run('npm', ['start', '--silent'], { LOG_LEVEL: 'verbose' });
    expectOneLine(result, 'npm start', /LOG_LEVEL must be one of/);
  });
});

describe('npm run start:lambda with a bad environment', () => {
  it('exits 1 with one line naming PORT when the port is in use', async () => {
    const result = await localLambda({ PORT: String(busyPort) });
    expectOneLine(result, 'npm run start:lambda', new RegExp(`PORT ${busyPort} is in use`));
  });

  it('exits 1 with one line naming a bad variable', async () => {
    expectOneLine(await localLambda({ LOG_LEVEL: 'verbose' }), 'npm run start:lambda', /LOG_LEVEL must be/);
  });
});

describe('npm start with DIGICERT_API_KEY_SECRET_ID', () => {
  it('exits 1 with one line naming AWS_REGION when no region is set, instead of answering every request 503', async () => {
    const result = await localServer({
      DIGICERT_API_KEY_SECRET_ID: 'dcv-resend/digicert-api-key',
      AWS_REGION: undefined,
      AWS_CONFIG_FILE: join(tmpdir(), 'dcv-resend-no-such-aws-config'),
    });
    expectOneLine(
      result,
      'npm start',
      /^npm start: cannot read the secret DIGICERT_API_KEY_SECRET_ID names: no AWS region is set: set AWS_REGION \(e\.g\. AWS_REGION=us-east-1\), or a region in your AWS profile$/,
    );
  });

  it("starts when the region is the AWS profile's, as the SDK finds it", async () => {
    const { startLocalServer } = await import('../../dev/local-server.js');
    const config = join(mkdtempSync(join(tmpdir(), 'dcv-resend-aws-')), 'config');
    writeFileSync(config, '[default]\nregion = eu-west-1\n');
    const saved = { region: process.env.AWS_REGION, config: process.env.AWS_CONFIG_FILE };
    delete process.env.AWS_REGION;
    process.env.AWS_CONFIG_FILE = config;
    try {
      const server = await startLocalServer(0, () => undefined, {
        DIGICERT_API_KEY: '',
        DIGICERT_API_KEY_SECRET_ID: 'dcv-resend/digicert-api-key',
      });
      await server.close();
      expect(server.mode).toBe('digicert-secret');
    } finally {
      if (saved.region === undefined) delete process.env.AWS_REGION;
      else process.env.AWS_REGION = saved.region;
      if (saved.config === undefined) delete process.env.AWS_CONFIG_FILE;
      else process.env.AWS_CONFIG_FILE = saved.config;
    }
  });
});
