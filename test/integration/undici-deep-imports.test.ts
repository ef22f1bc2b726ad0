/**
 * The DigiCert client imports two undici modules by their file paths (`undici/lib/...`), typed by
 * hand in `functions/shared/adapters/undici-deep.d.ts`, to keep the rest of undici out of the
 * bundle. Nothing in undici promises those paths or shapes, so these tests fail as soon as an
 * upgrade moves or changes them: before a bundle that type-checks but breaks at run time.
 */
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { Dispatcher as PublicDispatcher, Pool as PublicPool } from 'undici';
import request from 'undici/lib/api/api-request.js';
import Pool from 'undici/lib/dispatcher/pool.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);

function readJson(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
}

const ourPackage = readJson(new URL('../../package.json', import.meta.url).pathname);
// Found through the package's main file: `undici/package.json` itself is not importable under an exports map.
const undiciPackage = readJson(join(dirname(require.resolve('undici')), 'package.json'));

let server: Server;
let origin: string;
/** Requests the server holds without answering (the abort test), released at the end. */
const held: (() => void)[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/hang') {
      held.push(() => res.end());
      return;
    }
    res.writeHead(req.url === '/rejected' ? 404 : 204, { 'content-type': 'application/json' });
    res.end(req.url === '/rejected' ? '{"errors":[{"code":"not_found|order","message":"no"}]}' : undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const release of held) release();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe("undici's internal modules the DigiCert client imports", () => {
  it('are those of the exact undici version package.json pins', () => {
    const pinned = (ourPackage.dependencies as Record<string, unknown> | undefined)?.undici;

    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/);
    expect(undiciPackage.version).toBe(pinned);
  });

  it('stay importable by path: undici declares no exports map', () => {
    expect(undiciPackage).not.toHaveProperty('exports');
  });

  it("are the very Pool class and request function of undici's public API", () => {
    expect(Pool).toBe(PublicPool);
    // undici installs `lib/api`'s functions on every dispatcher: the public `pool.request` is this one.
    expect(request).toBe(PublicDispatcher.prototype.request);
  });

  it('send a request through a Pool and give back status, headers and a body that can be read or dumped', async () => {
    const pool = new Pool(origin, { connections: 1 });
    try {
      const sent = await request.call(pool, { method: 'PUT', path: '/sent', body: '{}' });
      await sent.body.dump();
      const rejected = await request.call(pool, { method: 'PUT', path: '/rejected', body: '{}' });
      const chunks: Buffer[] = [];
      for await (const chunk of rejected.body) chunks.push(chunk as Buffer);

      expect(sent.statusCode).toBe(204);
      expect(rejected.statusCode).toBe(404);
      expect(rejected.headers['content-type']).toBe('application/json');
      expect(Buffer.concat(chunks).toString('utf8')).toContain('not_found|order');
    } finally {
      await pool.close();
    }
  });

  it("stop a request when an EventEmitter signal emits 'abort' (the client's attempt timeout)", async () => {
    const pool = new Pool(origin, { connections: 1 });
    const signal = new EventEmitter();
    try {
      const pending = request.call(pool, { method: 'PUT', path: '/hang', body: '{}', signal });
      signal.emit('abort');

      await expect(pending).rejects.toMatchObject({ code: 'UND_ERR_ABORTED' });
    } finally {
      await pool.destroy();
    }
  });
});
