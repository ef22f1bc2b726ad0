/**
 * The deployable bundle, built exactly as the stack builds it (`tools/bundle-options.ts`), imported
 * and invoked: what the build leaves out (undici's non-SIMD parser, see `BUNDLE_EXTERNALS`; the
 * undici modules `BUNDLE_STUBS` replaces) must not be needed on the path a resend takes, and the
 * bundle must work with nothing but its own files (`index.mjs` and its chunks).
 * `bundle-loading.test.ts` checks which of its files each kind of delivery loads.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeContext, httpV2Event } from '../../dev/lambda-events.js';
import type { Handler } from '../../functions/resend-dcv-emails/handler.js';
import { BUNDLE_FILE, BUNDLE_STUBS, esbuildOptions } from '../../tools/bundle-options.js';
import { type Harness, startHarness } from '../support/harness.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

let h: Harness;
let outdir: string;
let handler: Handler;
let metafile: Metafile;

/** Every JavaScript file of the bundle directory, concatenated. */
async function bundleText(): Promise<string> {
  const files = (await readdir(outdir)).filter((name) => name.endsWith('.mjs'));
  return (await Promise.all(files.map((name) => readFile(join(outdir, name), 'utf8')))).join('\n');
}

beforeAll(async () => {
  h = await startHarness();
  // A Jest worker sets it, and undici then reads the parser the bundle leaves out (BUNDLE_DEFINE).
  Object.assign(process.env, h.env, { JEST_WORKER_ID: '1' });
  outdir = await mkdtemp(join(tmpdir(), 'dcv-bundle-'));
  ({ metafile } = await build({ ...esbuildOptions({ projectRoot: ROOT, outdir }), metafile: true }));
  ({ handler } = (await import(pathToFileURL(join(outdir, BUNDLE_FILE)).href)) as { handler: Handler });
}, 60_000);
afterAll(async () => {
  delete process.env.JEST_WORKER_ID;
  await h.close();
  await rm(outdir, { recursive: true, force: true });
});

describe('the deployable bundle', () => {
  it('leaves undici’s non-SIMD parser out and keeps the SIMD one', async () => {
    const text = await bundleText();
    expect(text).toContain('llhttp-wasm.js');
    expect(text).not.toMatch(/require\(["'][^"']*llhttp_simd-wasm\.js["']\)/);
  });

  it('takes AWS credentials from the environment alone, as Lambda hands them (BUNDLE_ALIAS)', async () => {
    const text = await bundleText();
    // The default chain's other sources are not in the bundle: no SSO, no shared config files.
    expect(text).not.toContain('sso_start_url');
    expect(text).not.toContain('AWS_WEB_IDENTITY_TOKEN_FILE');
    expect(text).toContain('AWS_SECRET_ACCESS_KEY');
  });

  it('holds undici’s HTTP/1.1 client, and stubs in place of HTTP/2 and fetch’s body encoding (BUNDLE_STUBS)', () => {
    const bundled = Object.values(metafile.outputs).flatMap((output) => Object.entries(output.inputs));
    const undici = (file: string) =>
      bundled.find(([path]) => path.endsWith(`node_modules/undici/lib/${file}`));

    expect(undici('dispatcher/client-h1.js')?.[1].bytesInOutput).toBeGreaterThan(10_000);
    for (const stub of BUNDLE_STUBS) {
      const [, input] = bundled.find(([path]) => path.endsWith(`node_modules/${stub.module}`)) ?? [];
      expect(input?.bytesInOutput, stub.module).toBeLessThan(400);
    }
    // What only fetch's body encoding pulled in is gone with it.
    const stubbed = new Set(BUNDLE_STUBS.map((stub) => `node_modules/${stub.module}`));
    // Reached only from where BUNDLE_STUBS says: an undici upgrade that requires them elsewhere fails here.
    const importers = Object.entries(metafile.inputs).flatMap(([path, input]) =>
      input.imports.filter((i) => stubbed.has(i.path)).map((i) => `${path} -> ${i.path}`),
    );
    expect(importers.sort()).toEqual([
      'node_modules/undici/lib/dispatcher/client-h1.js -> node_modules/undici/lib/web/fetch/body.js',
      'node_modules/undici/lib/dispatcher/client.js -> node_modules/undici/lib/dispatcher/client-h2.js',
    ]);
    const web = bundled.filter(
      ([path]) => path.includes('node_modules/undici/lib/web/') && !stubbed.has(path),
    );
    expect(web.map(([path]) => path)).toEqual([]);
  });

  it('resends over HTTP and directly through the real DigiCert client', async () => {
    const http = await handler(httpV2Event({ orderId: '71' }), fakeContext());
    expect(http).toMatchObject({ statusCode: 204 });
    await expect(handler({ order_id: 72 }, fakeContext())).resolves.toEqual({ order_id: 72, status: 'sent' });
    expect(h.simulator.requestsFor(71)).toHaveLength(1);
    expect(h.simulator.requestsFor(72)).toHaveLength(1);
  });
});
