/**
 * The DigiCert and Secrets Manager clients import undici's `Pool` by its file path
 * (`undici/lib/dispatcher/pool.js`), typed by hand in `functions/lib/undici-deep.d.ts`,
 * to keep the rest of undici out of the bundle. Nothing in undici promises that path, so these tests
 * fail as soon as an upgrade moves or changes it: before a bundle that type-checks but breaks at run
 * time. (`http-exchange.test.ts` covers the exchanges themselves.)
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { Pool as PublicPool } from 'undici';
import Pool from 'undici/lib/dispatcher/pool.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exchange } from '../../functions/lib/http-exchange.js';

const require = createRequire(import.meta.url);

function readJson(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
}

const ourPackage = readJson(new URL('../../package.json', import.meta.url).pathname);
// Found through the package's main file: `undici/package.json` itself is not importable under an exports map.
const undiciPackage = readJson(join(dirname(require.resolve('undici')), 'package.json'));

let server: Server;
let origin: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    res.writeHead(req.url === '/rejected' ? 404 : 204, { 'content-type': 'application/json' });
    res.end(req.url === '/rejected' ? '{"errors":[{"code":"not_found|order","message":"no"}]}' : undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe("undici's internal module the clients import", () => {
  it('are those of the exact undici version package.json pins', () => {
    const pinned = (ourPackage.dependencies as Record<string, unknown> | undefined)?.undici;

    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/);
    expect(undiciPackage.version).toBe(pinned);
  });

  it('stay importable by path: undici declares no exports map', () => {
    expect(undiciPackage).not.toHaveProperty('exports');
  });

  it("is the very Pool class of undici's public API, with its documented dispatch", () => {
    expect(Pool).toBe(PublicPool);
    expect(typeof Pool.prototype.dispatch).toBe('function');
  });

  it('send a request through the handler interface and give back status, headers and body', async () => {
    const pool = new Pool(origin, { connections: 1 });
    try {
      const sent = await exchange(pool, {
        method: 'PUT',
        path: '/sent',
        headers: {},
        body: '{}',
        timeoutMs: 5_000,
        maxBodyBytes: 1024,
      });
      const rejected = await exchange(pool, {
        method: 'PUT',
        path: '/rejected',
        headers: {},
        body: '{}',
        timeoutMs: 5_000,
        maxBodyBytes: 1024,
      });

      expect(sent).toMatchObject({ kind: 'answered', status: 204, text: '' });
      expect(rejected).toMatchObject({
        kind: 'answered',
        status: 404,
        headers: { 'content-type': 'application/json' },
      });
      expect(rejected.kind === 'answered' && rejected.text).toContain('not_found|order');
    } finally {
      await pool.close();
    }
  });
});
