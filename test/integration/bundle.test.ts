/**
 * The deployable bundle, built exactly as the stack builds it (`tools/bundle-options.ts`), imported
 * and invoked: what the build leaves out (undici's non-SIMD parser, see `BUNDLE_EXTERNALS`) must not
 * be needed on the path a resend takes, and the bundle must work with nothing but its own file.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeContext, httpV2Event } from '../../dev/lambda-events.js';
import type { Handler } from '../../functions/shared/entry.js';
import { BUNDLE_FILE, esbuildOptions } from '../../tools/bundle-options.js';
import { type Harness, startHarness } from '../support/harness.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

let h: Harness;
let outdir: string;
let handler: Handler;

beforeAll(async () => {
  h = await startHarness();
  // A Jest worker sets it, and undici then reads the parser the bundle leaves out (BUNDLE_DEFINE).
  Object.assign(process.env, h.env, { JEST_WORKER_ID: '1' });
  outdir = await mkdtemp(join(tmpdir(), 'dcv-bundle-'));
  await build(esbuildOptions({ projectRoot: ROOT, outdir }));
  ({ handler } = (await import(pathToFileURL(join(outdir, BUNDLE_FILE)).href)) as { handler: Handler });
}, 60_000);
afterAll(async () => {
  delete process.env.JEST_WORKER_ID;
  await h.close();
  await rm(outdir, { recursive: true, force: true });
});

describe('the deployable bundle', () => {
  it('leaves undici’s non-SIMD parser out and keeps the SIMD one', async () => {
    const text = await readFile(join(outdir, BUNDLE_FILE), 'utf8');
    expect(text).toContain('llhttp-wasm.js');
    expect(text).not.toMatch(/require\(["'][^"']*llhttp_simd-wasm\.js["']\)/);
  });

  it('takes AWS credentials from the environment alone, as Lambda hands them (BUNDLE_ALIAS)', async () => {
    const text = await readFile(join(outdir, BUNDLE_FILE), 'utf8');
    // The default chain's other sources are not in the bundle: no SSO, no shared config files.
    expect(text).not.toContain('sso_start_url');
    expect(text).not.toContain('AWS_WEB_IDENTITY_TOKEN_FILE');
    expect(text).toContain('AWS_SECRET_ACCESS_KEY');
  });

  it('resends over HTTP and directly through the real DigiCert client', async () => {
    const http = await handler(httpV2Event({ orderId: '71' }), fakeContext());
    expect(http).toMatchObject({ statusCode: 204 });
    await expect(handler({ order_id: 72 }, fakeContext())).resolves.toEqual({ order_id: 72, status: 'sent' });
    expect(h.simulator.requestsFor(71)).toHaveLength(1);
    expect(h.simulator.requestsFor(72)).toHaveLength(1);
  });
});
