/**
 * The local servers' embedded state table (issue 23), as a user meets it: `npm start` and
 * `npm run start:lambda` in their own processes remember deliveries as the deployed stack does,
 * with no AWS setup. They talk to a simulator this test owns (the `DIGICERT_API_KEY` mode), so
 * that what DigiCert received can be counted, and run with an AWS profile that does not exist and
 * no region: the table must be reached with its own dummy credentials, never the user's.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DigiCertSimulator } from '../../dev/digicert-simulator.js';
import { LOCAL_FUNCTION_NAME } from '../../dev/local-lambda.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const KEY = 'local-state-test-key-0123456789';
const BODY = JSON.stringify({
  domain_approval_emails: [{ domain: 'example.com', email: 'admin@example.com' }],
  locale: 'en',
});

/** A user's shell with no AWS set-up at all, a profile that does not exist, and the SDK's Node notice not silenced. */
function userEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of [
    'AWS_REGION',
    'AWS_DEFAULT_REGION',
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_SESSION_TOKEN',
    'AWS_ENDPOINT_URL_DYNAMODB',
    'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED',
    'STATE_TABLE_NAME',
  ]) {
    delete env[name];
  }
  return {
    ...env,
    AWS_PROFILE: 'dcv-resend-test-no-such-profile',
    AWS_CONFIG_FILE: join(ROOT, 'no-such-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(ROOT, 'no-such-aws-credentials'),
    DIGICERT_API_KEY_SECRET_ID: '',
    PORT: '0',
    ...extra,
  };
}

interface Started {
  readonly child: ChildProcess;
  /** The first URL the banner names. */
  readonly url: string;
  readonly stdout: () => string;
  readonly stderr: () => string;
}

/** Starts `script` under tsx and waits (at most 45 s: the machine may be loaded) for its banner. */
async function start(script: string, env: NodeJS.ProcessEnv, ready: RegExp): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner in 45 s: ${stdout}${stderr}`)), 45_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      const found = ready.exec(stdout)?.[1];
      if (found && /Press Ctrl\+C/.test(stdout)) {
        clearTimeout(timer);
        resolve(found);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code}: ${stdout}${stderr}`));
    });
  });
  return { child, url, stdout: () => stdout, stderr: () => stderr };
}

let digicert: DigiCertSimulator;
const children: ChildProcess[] = [];

beforeAll(async () => {
  digicert = await DigiCertSimulator.start({ validKeys: [KEY] });
});

afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGTERM');
});

afterAll(async () => {
  await digicert.close();
});

describe('npm start with the embedded state table', () => {
  let server: Started;
  let token = '';

  beforeAll(async () => {
    server = await start(
      'dev/local-server.ts',
      userEnv({ DIGICERT_API_KEY: KEY, DIGICERT_BASE_URL: digicert.baseUrl }),
      /listening on (http:\/\/127\.0\.0\.1:\d+)/,
    );
    token = /Authorization: Bearer (\S+)/.exec(server.stdout())?.[1] ?? '';
  }, 60_000);

  afterAll(() => {
    server.child.kill('SIGTERM');
  });

  function put(orderId: number, key: string, body = BODY): Promise<Response> {
    return fetch(`${server.url}/order/certificate/${orderId}/resend-emails`, {
      method: 'PUT',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        'idempotency-key': key,
      },
      body,
      signal: AbortSignal.timeout(30_000),
    });
  }

  it('says on start-up that its state table is embedded', () => {
    expect(server.stdout()).toMatch(/^State table: embedded \(dynalite on http:\/\/127\.0\.0\.1:\d+/m);
  });

  it('answers a repeated Idempotency-Key with the first answer, marked idempotent-replayed, and calls DigiCert once', async () => {
    const first = await put(9101, 'demo-1');
    const second = await put(9101, 'demo-1');

    expect(first.status).toBe(204);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(second.status).toBe(204);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(digicert.requestsFor(9101)).toHaveLength(1);
  });

  it('refuses the same Idempotency-Key with another body with 422 idempotency_key_reused, sending nothing', async () => {
    await put(9102, 'demo-2');

    const reused = await put(9102, 'demo-2', JSON.stringify({ locale: 'de' }));

    expect(reused.status).toBe(422);
    expect((await reused.json()) as unknown).toMatchObject({
      errors: [{ code: 'idempotency_key_reused', field: 'Idempotency-Key' }],
    });
    expect(digicert.requestsFor(9102)).toHaveLength(1);
  });

  it('answers 409 request_in_progress with Retry-After while the first request with the key is still running', async () => {
    digicert.script(9103, { kind: 'slow', delayMs: 3_000 });
    const first = put(9103, 'demo-3');
    for (let i = 0; i < 200 && digicert.requestsFor(9103).length === 0; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    const repeat = await put(9103, 'demo-3');

    expect(repeat.status).toBe(409);
    expect(repeat.headers.get('retry-after')).toMatch(/^\d+$/);
    expect((await repeat.json()) as unknown).toMatchObject({ errors: [{ code: 'request_in_progress' }] });
    expect((await first).status).toBe(204);
    expect(digicert.requestsFor(9103)).toHaveLength(1);
  });

  it("prints no AWS SDK notice about Node versions, though the user's shell does not silence it", () => {
    expect(server.stderr()).not.toMatch(/NodeVersionSupportWarning/);
  });
});

describe('npm run start:lambda with the embedded state table', () => {
  it('answers a repeated idempotency_key with the first result and calls DigiCert once; another payload with it is refused', async () => {
    const local = await start(
      'dev/local-lambda.ts',
      userEnv({ DIGICERT_API_KEY: KEY, DIGICERT_BASE_URL: digicert.baseUrl }),
      /on (http:\/\/127\.0\.0\.1:\d+)/,
    );
    children.push(local.child);
    const lambda = new LambdaClient({
      region: 'us-east-1',
      endpoint: local.url,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const invoke = async (payload: unknown) => {
      const response = await lambda.send(
        new InvokeCommand({
          FunctionName: LOCAL_FUNCTION_NAME,
          Payload: new TextEncoder().encode(JSON.stringify(payload)),
        }),
      );
      return {
        error: response.FunctionError,
        payload: JSON.parse(response.Payload?.transformToString() ?? ''),
      };
    };

    const first = await invoke({ idempotency_key: 'direct-1', order_id: 9201 });
    const second = await invoke({ idempotency_key: 'direct-1', order_id: 9201 });
    const reused = await invoke({ idempotency_key: 'direct-1', order_id: 9202 });
    lambda.destroy();

    expect(local.stdout()).toMatch(/^State table: embedded/m);
    expect(first).toEqual({ error: undefined, payload: { order_id: 9201, status: 'sent' } });
    expect(second).toEqual(first);
    expect(digicert.requestsFor(9201)).toHaveLength(1);
    expect(reused.error).toBe('Unhandled');
    expect(reused.payload).toMatchObject({ errorType: 'ValidationError' });
    expect(reused.payload.errorMessage).toContain('idempotency_key_reused');
    expect(digicert.requestsFor(9202)).toHaveLength(0);
    expect(local.stderr()).not.toMatch(/NodeVersionSupportWarning/);
  }, 90_000);
});

describe('npm run start:queue', () => {
  it('embeds the state table too, and prints no AWS SDK notice about Node versions', async () => {
    const queue = await start(
      'dev/local-queue.ts',
      userEnv({ DIGICERT_API_KEY: '' }),
      /bulk queue on (http:\/\/127\.0\.0\.1:\d+)/,
    );
    children.push(queue.child);

    expect(queue.stdout()).toMatch(/^State table: embedded/m);
    expect(queue.stderr()).not.toMatch(/NodeVersionSupportWarning/);
  }, 60_000);
});

describe('a state table of your own', () => {
  it('is used instead of the embedded one when STATE_TABLE_NAME names it', async () => {
    const { startLocalServer } = await import('../../dev/local-server.js');
    const server = await startLocalServer(0, () => undefined, {
      DIGICERT_API_KEY: KEY,
      DIGICERT_BASE_URL: digicert.baseUrl,
      STATE_TABLE_NAME: 'my-own-state-table',
    });
    try {
      expect(server.stateDescription).toMatch(/^my-own-state-table \(STATE_TABLE_NAME\)/);
      expect(server.stateDescription).not.toMatch(/embedded/);
    } finally {
      await server.close();
    }
  });
});

describe('the embedded table on a fresh install', () => {
  it("runs on classic-level's prebuilt binding: its install script (a native build) stays denied, and npm ci says nothing about it", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      allowScripts: Record<string, boolean>;
    };

    expect(pkg.allowScripts['classic-level']).toBe(false);
    // Nothing was compiled: dynalite (above) ran on the binding the package ships for this platform.
    expect(existsSync(join(ROOT, 'node_modules/classic-level/build'))).toBe(false);
    expect(
      existsSync(join(ROOT, `node_modules/classic-level/prebuilds/${process.platform}-${process.arch}`)),
    ).toBe(true);
  });
});
