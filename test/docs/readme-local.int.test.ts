/**
 * README's commands (and those of docs/cli.md and docs/callers.md) run for real against the local
 * servers they start: curl lines, aws lambda invoke through the invoke stand-in, the CLI.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commands, flags, PACKAGE, README, ROOT, words } from '../support/docs.js';

describe('README commands, run locally', () => {
  let server: ChildProcess;
  let base = '';
  let banner = '';

  beforeAll(async () => {
    // `npm start` exactly as written, in its own process group so that stopping it stops all of it.
    server = spawn('npm', ['start', '--silent'], {
      cwd: ROOT,
      env: { ...process.env, PORT: '0', DIGICERT_API_KEY: '', DIGICERT_API_KEY_SECRET_ID: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    base = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`npm start printed no address in 20 s: ${banner}`)),
        20_000,
      );
      server.stdout?.on('data', (chunk: Buffer) => {
        banner += chunk.toString('utf8');
        const found = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(banner);
        if (found?.[1]) {
          clearTimeout(timer);
          resolve(found[1]);
        }
      });
      server.once('exit', (code) => reject(new Error(`npm start exited with ${code}: ${banner}`)));
    });
  });

  afterAll(() => {
    if (server.pid) process.kill(-server.pid, 'SIGTERM');
  });

  /** Sends what a README `curl` line sends (every `-H` of it); resolves with the status and headers. */
  function curl(line: string): Promise<{ status: number; headers: Record<string, unknown> }> {
    const args = words(line).slice(1);
    const { values, rest } = flags(args);
    const url = (rest.find((a) => a.startsWith('http://127.0.0.1:3000')) ?? '').replace(
      'http://127.0.0.1:3000',
      base,
    );
    const headers: Record<string, string> = {};
    args.forEach((arg, i) => {
      if (arg !== '-H') return;
      const [name = '', ...value] = (args[i + 1] ?? '').split(':');
      headers[name.trim()] = value.join(':').trim();
    });
    return new Promise((resolve, reject) => {
      const req = request(url, { method: values.get('-X') ?? 'GET', headers, timeout: 10_000 }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
      });
      req.on('error', reject);
      req.end(values.get('-d'));
    });
  }

  it('npm start says where it listens, in front of the simulator', () => {
    expect(banner).toMatch(/simulator/);
  });

  it('aws lambda invoke against npm run start:lambda: the same request through the SDK answers as Lambda would', async () => {
    const { InvokeCommand, LambdaClient } = await import('@aws-sdk/client-lambda');
    const { startLocalLambda } = await import('../../dev/local-lambda.js');
    const line = commands().find((l) => l.includes('--endpoint-url http://127.0.0.1:3001')) ?? '';
    const { values } = flags(words(line).filter((w) => !/^[A-Z_]+=/.test(w)));
    const local = await startLocalLambda(0, {
      ...process.env,
      DIGICERT_API_KEY: '',
      DIGICERT_API_KEY_SECRET_ID: '',
    });
    try {
      const lambda = new LambdaClient({
        region: values.get('--region') ?? '',
        endpoint: local.endpoint,
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      });
      const response = await lambda.send(
        new InvokeCommand({
          FunctionName: values.get('--function-name'),
          Payload: new TextEncoder().encode(values.get('--payload')),
        }),
      );
      // The README's batch holds order 404, which the simulator does not know.
      expect(response.FunctionError).toBe('Unhandled');
      const payload = JSON.parse(response.Payload?.transformToString() ?? '') as {
        errorType: string;
        errorMessage: string;
      };
      expect(payload.errorType).toBe('BatchError');
      expect(JSON.parse(payload.errorMessage)).toMatchObject({ sent: 1, failed: 1 });
    } finally {
      await local.close();
    }
  });

  it('curl: the example request answers 204, the demo order 404, the DCV address list and a stuck order status 200', async () => {
    const curls = commands().filter((l) => l.startsWith('curl') && !/Idempotency-Key/i.test(l));
    expect(curls).toHaveLength(4);
    expect((await curl(curls[0] ?? '')).status).toBe(204);
    expect((await curl(curls[1] ?? '')).status).toBe(404);
    expect((await curl(curls[2] ?? '')).status).toBe(200);
    expect((await curl(curls[3] ?? '')).status).toBe(200);
  });

  it('curl: the same Idempotency-Key twice answers 204, the second time with idempotent-replayed: true (the embedded state table)', async () => {
    const keyed = commands().filter((l) => l.startsWith('curl') && /Idempotency-Key/i.test(l));
    expect(keyed).toHaveLength(2);
    expect(keyed[1]).toBe(keyed[0]);
    expect(banner).toMatch(/^State table: embedded/m);

    const first = await curl(keyed[0] ?? '');
    const second = await curl(keyed[1] ?? '');

    expect(first.status).toBe(204);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(second.status).toBe(204);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(README).toMatch(/`204`\s+with\s+`idempotent-replayed: true`:\n\n```sh\ncurl .*Idempotency-Key/);
  });

  it('the CLI commands exit as documented on the embedded simulator', async () => {
    // A command substitution needs a deployed stack (submit's --queue-url from its outputs).
    const lines = commands().filter((l) => l.startsWith('npx dcv-resend') && !l.includes('$('));
    expect(lines.length).toBeGreaterThanOrEqual(4);
    const bin = join(ROOT, PACKAGE.bin['dcv-resend'] ?? '');
    for (const line of lines) {
      const args = words(line).slice(2);
      const code = await new Promise<number | null>((resolve, reject) => {
        const child = spawn(process.execPath, [bin, ...args], {
          cwd: ROOT,
          env: {
            PATH: process.env.PATH ?? '',
            AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
            // The pre-check's DNS stays on loopback (nothing listens: lookups fail at once).
            DNS_SERVERS: '127.0.0.1:9',
            // A loaded machine (CI runs two test workers beside these children) can hold the
            // simulator's answers past the local default of 3 s; what is tested is the exit code.
            DIGICERT_TIMEOUT_MS: '10000',
          },
          stdio: 'ignore',
        });
        const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
        child.on('error', reject);
        child.on('close', (exit) => {
          clearTimeout(timer);
          resolve(exit);
        });
      });
      // The example batch holds order 404, which the simulator does not know: exit 1, as documented.
      expect(code, line).toBe(
        line.includes('docs/examples/orders.ndjson') && !line.includes('--dry-run') ? 1 : 0,
      );
    }
    // One process per README line, one after another: a budget per line, not for all of them.
  }, 180_000);
});
