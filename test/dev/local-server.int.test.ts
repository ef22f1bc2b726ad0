/**
 * `npm start` as a user meets it: a process that listens on 127.0.0.1, says how to call it, and
 * answers real HTTP requests through the handler, the simulator and the Secrets stand-in.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let child: ChildProcess;
let url: string;
let banner = '';

function put(path: string, body?: string, headers: Record<string, string> = {}, base = url, method = 'PUT') {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>(
    (resolve, reject) => {
      const req = request(`${base}${path}`, { method, headers, timeout: 10_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      });
      req.on('error', reject);
      req.end(body);
    },
  );
}

beforeAll(async () => {
  child = spawn(process.execPath, ['--import', 'tsx', 'dev/local-server.ts'], {
    env: { ...process.env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner in 15 s: ${banner}`)), 15_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      banner += chunk.toString('utf8');
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(banner);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code}: ${banner}`)));
  });
});

afterAll(() => {
  child.kill('SIGTERM');
});

describe('npm start', () => {
  it('says where it listens, that it uses the simulator, and how to call it', () => {
    expect(banner).toMatch(/simulator/);
    expect(banner).toMatch(
      /curl -i -X PUT http:\/\/127\.0\.0\.1:\d+\/order\/certificate\/123\/resend-emails/,
    );
  });

  it('resends for a valid request with 204 and an x-request-id', async () => {
    const response = await put(
      '/order/certificate/123/resend-emails',
      JSON.stringify({
        domain_approval_emails: [{ domain: 'example.com', email: 'admin@example.com' }],
        locale: 'en',
      }),
      { 'content-type': 'application/json' },
    );
    expect(response.status).toBe(204);
    expect(response.headers['x-request-id']).toEqual(expect.any(String));
  });

  it('answers like DigiCert for the demo order ids', async () => {
    const response = await put('/order/certificate/404/resend-emails');
    expect(response.status).toBe(404);
    expect(JSON.parse(response.body)).toEqual({
      errors: [{ code: 'not_found|order', message: 'The order could not be found.' }],
    });
  });

  it('refuses a Host other than its own address with 421 and says why (DNS rebinding)', async () => {
    const port = new URL(url).port;
    for (const host of [`attacker.example:${port}`, `127.0.0.1.nip.io:${port}`, '127.0.0.1', `127.0.0.1:1`]) {
      const response = await put('/order/certificate/123/resend-emails', undefined, { host });
      expect(response.status, host).toBe(421);
      expect(JSON.parse(response.body).errors[0]).toMatchObject({ code: 'misdirected_request' });
      expect(JSON.parse(response.body).errors[0].message).toMatch(/Host: 127\.0\.0\.1:\d+, localhost:\d+/);
    }
    for (const host of [`localhost:${port}`, `LOCALHOST:${port}`, `127.0.0.1:${port}`]) {
      const response = await put('/order/certificate/124/resend-emails', undefined, { host });
      expect(response.status, host).toBe(204);
    }
  });

  it('asks for no token with the simulator', () => {
    expect(banner).not.toMatch(/Bearer/);
  });

  it('rejects a bad request and keeps serving', async () => {
    const bad = await put('/order/certificate/12a/resend-emails');
    expect(bad.status).toBe(400);
    const big = await put('/order/certificate/1/resend-emails', 'x'.repeat(1024 * 1024), {
      'content-type': 'application/json',
    });
    expect(big.status).toBe(413);
    expect(JSON.parse(big.body).errors[0].message).toBe(
      'Request body must be at most 128 KiB (131072 bytes)',
    );
    const good = await put('/order/certificate/124/resend-emails');
    expect(good.status).toBe(204);
  });

  it('lists the DCV addresses of a domain, with DigiCert answering 200 or 403', async () => {
    const listed = await fetch(`${url}/domain/shop.example.com/dcv/emails`);
    expect(listed.status).toBe(200);
    expect(await listed.json()).toMatchObject({
      domain: 'shop.example.com',
      base_domain: 'example.com',
      constructed_emails: expect.arrayContaining(['admin@example.com']),
      digicert: { status: 200, emails: { name_scope: 'shop.example.com' } },
    });

    const forbidden = await fetch(`${url}/domain/forbidden.example.com/dcv/emails`);
    expect(await forbidden.json()).toMatchObject({ digicert: { status: 403 } });
  });

  it.each([
    ['a prefix before the route', 'PUT', '/foo/bar/order/certificate/123/resend-emails'],
    ['a trailing slash', 'PUT', '/order/certificate/123/resend-emails/'],
    ['a prefix and a trailing slash', 'PUT', '/foo/bar/order/certificate/123/resend-emails/'],
    ['another method on the route', 'POST', '/order/certificate/123/resend-emails'],
    ['an empty order id segment', 'PUT', '/order/certificate//resend-emails'],
  ])("answers API Gateway's own 404 for %s, as the deployed API does", async (_name, method, path) => {
    const response = await put(path, undefined, {}, url, method);
    expect(response.status).toBe(404);
    expect(JSON.parse(response.body)).toEqual({ message: 'Not Found' });
  });

  it('writes the JSON log lines to standard output when it is not a terminal', () => {
    const lines = banner.split('\n').filter((line) => line.startsWith('{'));
    expect(lines.some((line) => JSON.parse(line).orderId === 123)).toBe(true);
  });
});

describe('npm start on a terminal', () => {
  it('reports one readable line per request: method, path, status, order id, outcome, time', async () => {
    const { formatRequestLine, startLocalServer } = await import('../../dev/local-server.js');
    const { createLogger } = await import('../../functions/observability/logger.js');
    const logs: string[] = [];
    const summaries: string[] = [];
    const server = await startLocalServer(
      0,
      () => undefined,
      { DIGICERT_API_KEY: '', DIGICERT_API_KEY_SECRET_ID: '' },
      {
        logger: createLogger({ write: (line) => logs.push(line) }),
        onRequest: (summary) => summaries.push(formatRequestLine({ ...summary, ms: 7 })),
      },
    );
    try {
      await put('/order/certificate/123/resend-emails', undefined, {}, server.url);
      await put('/order/certificate/404/resend-emails', undefined, {}, server.url);
      await put('/nowhere', undefined, {}, server.url);
      expect(summaries).toEqual([
        'PUT /order/certificate/123/resend-emails 204 order 123 sent 7 ms',
        'PUT /order/certificate/404/resend-emails 404 order 404 not_found|order 7 ms',
        'PUT /nowhere 404 not_found 7 ms',
      ]);
      // The function's JSON lines went to the logger given, not to standard output.
      expect(logs.some((line) => JSON.parse(line).orderId === 404)).toBe(true);
    } finally {
      await server.close();
    }
  });

  it('says that DIGICERT_BASE_URL is not used with the simulator', async () => {
    const { startLocalServer } = await import('../../dev/local-server.js');
    const server = await startLocalServer(0, () => undefined, {
      DIGICERT_API_KEY: '',
      DIGICERT_API_KEY_SECRET_ID: '',
      DIGICERT_BASE_URL: 'eu',
      LOG_LEVEL: 'error',
    });
    try {
      expect(server.description).toMatch(/DIGICERT_BASE_URL is not used with the simulator/);
    } finally {
      await server.close();
    }
  });
});

describe('npm start against a real DigiCert', () => {
  it('uses DIGICERT_API_KEY and DIGICERT_BASE_URL instead of the simulator, and says so', async () => {
    const { DigiCertSimulator } = await import('../../dev/digicert-simulator.js');
    const { startLocalServer } = await import('../../dev/local-server.js');
    const digicert = await DigiCertSimulator.start({ validKeys: ['real-looking-key-123'] });
    const server = await startLocalServer(0, () => undefined, {
      DIGICERT_API_KEY: 'real-looking-key-123',
      DIGICERT_BASE_URL: digicert.baseUrl,
    });
    try {
      expect(server.mode).toBe('digicert-key');
      expect(server.description).toMatch(/REAL DigiCert at http:\/\/127\.0\.0\.1/);
      expect(server.description).not.toContain('real-looking-key-123');
      const response = await put(
        '/order/certificate/77/resend-emails',
        undefined,
        { authorization: `Bearer ${server.token}` },
        server.url,
      );
      expect(response.status).toBe(204);
      expect(digicert.requestsFor(77)[0]?.headers['x-dc-devkey']).toBe('real-looking-key-123');
    } finally {
      await server.close();
      await digicert.close();
    }
  });

  it('requires the token it made at start-up, as a bearer token or x-local-token, before any real resend', async () => {
    const { DigiCertSimulator } = await import('../../dev/digicert-simulator.js');
    const { startLocalServer } = await import('../../dev/local-server.js');
    const digicert = await DigiCertSimulator.start({ validKeys: ['real-looking-key-123'] });
    const server = await startLocalServer(0, () => undefined, {
      DIGICERT_API_KEY: 'real-looking-key-123',
      DIGICERT_BASE_URL: digicert.baseUrl,
    });
    try {
      expect(server.token).toMatch(/^[A-Za-z0-9_-]{40,}$/);
      const path = '/order/certificate/78/resend-emails';
      for (const headers of [
        {} as Record<string, string>,
        { authorization: 'Bearer wrong-token' },
        { authorization: `Basic ${server.token}` },
        { 'x-local-token': `${server.token}x` },
      ]) {
        const refused = await put(path, undefined, headers, server.url);
        expect(refused.status, JSON.stringify(headers)).toBe(401);
        expect(JSON.parse(refused.body).errors[0]).toMatchObject({ code: 'local_token_required' });
      }
      expect(digicert.requestsFor(78)).toHaveLength(0);
      const bearer = await put(path, undefined, { authorization: `bearer ${server.token}` }, server.url);
      expect(bearer.status).toBe(204);
      const header = await put(path, undefined, { 'x-local-token': server.token ?? '' }, server.url);
      expect(header.status).toBe(204);
      expect(digicert.requestsFor(78)).toHaveLength(2);
      // The token does not help a request addressed to another host.
      const rebound = await put(
        path,
        undefined,
        { host: 'attacker.example', authorization: `Bearer ${server.token}` },
        server.url,
      );
      expect(rebound.status).toBe(421);
    } finally {
      await server.close();
      await digicert.close();
    }
  });

  it('prints the token and a ready curl that carries it', async () => {
    const { DigiCertSimulator } = await import('../../dev/digicert-simulator.js');
    const digicert = await DigiCertSimulator.start({ validKeys: ['real-looking-key-123'] });
    const real = spawn(process.execPath, ['--import', 'tsx', 'dev/local-server.ts'], {
      env: {
        ...process.env,
        PORT: '0',
        DIGICERT_API_KEY: 'real-looking-key-123',
        DIGICERT_API_KEY_SECRET_ID: '',
        DIGICERT_BASE_URL: digicert.baseUrl,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let text = '';
      const curl = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no banner in 15 s: ${text}`)), 15_000);
        real.stdout?.on('data', (chunk: Buffer) => {
          text += chunk.toString('utf8');
          const match = /(curl -i -X PUT .*)\n/.exec(text);
          if (match?.[1]) {
            clearTimeout(timer);
            resolve(match[1]);
          }
        });
        real.once('exit', (code) => reject(new Error(`exited with ${code}: ${text}`)));
      });
      expect(text).toMatch(/REAL DigiCert/);
      const token = /Authorization: Bearer (\S+)/.exec(text)?.[1] ?? '';
      expect(token.length).toBeGreaterThanOrEqual(40);
      expect(curl).toContain(`-H 'authorization: Bearer ${token}'`);
      expect(text).not.toContain('real-looking-key-123');
      const base = /(http:\/\/127\.0\.0\.1:\d+)/.exec(curl)?.[1] ?? '';
      const response = await put(
        '/order/certificate/79/resend-emails',
        undefined,
        { authorization: `Bearer ${token}` },
        base,
      );
      expect(response.status).toBe(204);
    } finally {
      real.kill('SIGTERM');
      await digicert.close();
    }
  });
});
