/**
 * `exchange` (functions/lib/http-exchange.ts), the one HTTP exchange behind the DigiCert
 * and Secrets Manager clients, against a real server on 127.0.0.1 through undici's `Pool`: answers
 * read whole, bodies cut at their cap, its own time limit, and a request that waited past its time
 * for a connection never sent.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Pool from 'undici/lib/dispatcher/pool.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ExchangeRequest, exchange } from '../../functions/lib/http-exchange.js';

type Route = (req: IncomingMessage, res: ServerResponse) => void;

let server: Server;
let origin: string;
const routes = new Map<string, Route>();
/** Paths the server saw, in order. */
const seen: string[] = [];
/** Answers held back (the time-limit tests), released after each test. */
const held: ServerResponse[] = [];
/** Connections the server saw closed by the client. */
let closedByClient = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req.url ?? '');
    req.resume();
    req.on('end', () => {
      const route = routes.get(req.url ?? '');
      if (route) route(req, res);
      else res.writeHead(404).end();
    });
  });
  server.on('connection', (socket) => socket.on('close', () => (closedByClient += 1)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  routes.set('/empty', (_req, res) => res.writeHead(204).end());
  routes.set('/json', (_req, res) =>
    res
      .writeHead(429, { 'content-type': 'application/json', 'retry-after': '7' })
      .end('{"errors":[{"code":"rate_limited","message":"slow down"}]}'),
  );
  routes.set('/echo', (req, res) => res.writeHead(200).end(JSON.stringify(req.headers)));
  routes.set('/large', (_req, res) => res.writeHead(500).end('x'.repeat(200_000)));
  routes.set('/hang', (_req, res) => {
    held.push(res);
  });
  routes.set('/trickle', (_req, res) => {
    res.writeHead(500);
    res.write('{"errors":');
    held.push(res);
  });
});

afterEach(() => {
  for (const res of held.splice(0)) res.destroy();
  seen.length = 0;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function put(path: string, overrides: Partial<ExchangeRequest> = {}): ExchangeRequest {
  return {
    method: 'PUT',
    path,
    headers: {},
    body: '{}',
    timeoutMs: 5_000,
    maxBodyBytes: 64 * 1024,
    ...overrides,
  };
}

describe('exchange', () => {
  it('gives back the status, the headers and an empty text for an answer without a body', async () => {
    const pool = new Pool(origin, { connections: 1 });
    try {
      expect(await exchange(pool, put('/empty'))).toMatchObject({ kind: 'answered', status: 204, text: '' });
    } finally {
      await pool.close();
    }
  });

  it('gives back the whole body as text and the headers by lower-case name', async () => {
    const pool = new Pool(origin, { connections: 1 });
    try {
      const result = await exchange(pool, put('/json'));

      expect(result).toEqual({
        kind: 'answered',
        status: 429,
        headers: expect.objectContaining({ 'retry-after': '7', 'content-type': 'application/json' }),
        text: '{"errors":[{"code":"rate_limited","message":"slow down"}]}',
      });
    } finally {
      await pool.close();
    }
  });

  it('sends the method, the headers and the body it is given', async () => {
    const pool = new Pool(origin, { connections: 1 });
    try {
      const result = await exchange(pool, put('/echo', { headers: { 'x-probe': 'yes' }, body: '{"a":1}' }));

      expect(result.kind).toBe('answered');
      const headers = JSON.parse(result.kind === 'answered' ? result.text : '{}') as Record<string, string>;
      expect(headers['x-probe']).toBe('yes');
      expect(headers['content-length']).toBe('7');
    } finally {
      await pool.close();
    }
  });

  it('cuts a body at its cap and closes that connection instead of reading the rest', async () => {
    const pool = new Pool(origin, { connections: 1 });
    try {
      const closedBefore = closedByClient;
      const result = await exchange(pool, put('/large', { maxBodyBytes: 1_000 }));

      expect(result).toMatchObject({ kind: 'answered', status: 500, text: 'x'.repeat(1_000) });
      await expect.poll(() => closedByClient).toBeGreaterThan(closedBefore);
      // The pool is still usable after the cut.
      expect(await exchange(pool, put('/empty'))).toMatchObject({ kind: 'answered', status: 204 });
    } finally {
      await pool.close();
    }
  });

  it('fails as timed out when no headers come within its time, and closes the connection', async () => {
    const pool = new Pool(origin, { connections: 1 });
    try {
      const closedBefore = closedByClient;
      const result = await exchange(pool, put('/hang', { timeoutMs: 100 }));

      expect(result).toMatchObject({ kind: 'failed', timedOut: true, status: undefined });
      await expect.poll(() => closedByClient).toBeGreaterThan(closedBefore);
    } finally {
      await pool.destroy();
    }
  });

  it('fails as timed out, with the status, when the body stops coming', async () => {
    const pool = new Pool(origin, { connections: 1 });
    try {
      expect(await exchange(pool, put('/trickle', { timeoutMs: 100 }))).toMatchObject({
        kind: 'failed',
        timedOut: true,
        status: 500,
      });
    } finally {
      await pool.destroy();
    }
  });

  it('never sends a request whose time ran out while it waited for a free connection', async () => {
    const pool = new Pool(origin, { connections: 1 });
    try {
      const blocking = exchange(pool, put('/hang', { timeoutMs: 300 }));
      const queued = await exchange(pool, put('/empty', { timeoutMs: 50 }));

      expect(queued).toMatchObject({ kind: 'failed', timedOut: true });
      expect(await blocking).toMatchObject({ kind: 'failed', timedOut: true });
      // Give the pool the chance to (wrongly) start the queued request on the freed connection.
      expect(await exchange(pool, put('/empty'))).toMatchObject({ kind: 'answered', status: 204 });
      expect(seen).toEqual(['/hang', '/empty']);
    } finally {
      await pool.destroy();
    }
  });

  it('fails with the transport error when nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 1 });
    try {
      const result = await exchange(pool, put('/empty'));

      expect(result).toMatchObject({ kind: 'failed', timedOut: false, error: { code: 'ECONNREFUSED' } });
    } finally {
      await pool.destroy();
    }
  });

  it('fails, not throws, on a closed pool', async () => {
    const pool = new Pool(origin, { connections: 1 });
    await pool.close();

    expect(await exchange(pool, put('/empty'))).toMatchObject({ kind: 'failed', timedOut: false });
  });
});
