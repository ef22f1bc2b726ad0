/**
 * What the build does for cold start (tools/bundle-options.ts), checked on the built bundle: Node's
 * built-ins come through `require` (no ES module facade, `tools/bundle-builtins.ts`), and the file is
 * ASCII (licence comments beside it), so V8 holds it as a one-byte string.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLED_BUILTINS } from '../../tools/bundle-builtins.js';
import { BUNDLE_FILE, esbuildOptions } from '../../tools/bundle-options.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

let outdir: string;
let code: string;

beforeAll(async () => {
  outdir = await mkdtemp(join(tmpdir(), 'dcv-bundle-cold-'));
  await build(esbuildOptions({ projectRoot: ROOT, outdir }));
  code = await readFile(join(outdir, BUNDLE_FILE), 'utf8');
}, 60_000);
afterAll(async () => {
  await rm(outdir, { recursive: true, force: true });
});

/** Every `import … from "<built-in>"` and `import("<built-in>")` the bundle still holds. */
function esmBuiltinImports(text: string): string[] {
  const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
  const specifiers = [
    ...text.matchAll(/\bfrom\s*["']([^"']+)["']/g),
    ...text.matchAll(/\bimport\s*\(\s*["']([^"']+)["']\s*\)/g),
  ].map((match) => match[1] ?? '');
  return [...new Set(specifiers.filter((specifier) => builtins.has(specifier)))];
}

describe('the bundle a cold start compiles', () => {
  it('imports no Node built-in as an ES module, so no facade runs their lazy getters', () => {
    // The banner's `module` import is the one allowed: it is what provides `require`.
    expect(esmBuiltinImports(code).filter((specifier) => specifier !== 'module')).toEqual([]);
  });

  it('has a require shim for every built-in it names, each loading that built-in', async () => {
    for (const name of BUNDLED_BUILTINS) {
      const shim = await readFile(
        join(ROOT, 'tools', 'bundle-builtins', `${name.replace('/', '-')}.cjs`),
        'utf8',
      );
      expect(shim).toContain(`process.getBuiltinModule('node:${name}')`);
    }
  });

  it('is ASCII only, with the licence comments in a file beside it', async () => {
    const bytes = await readFile(join(outdir, BUNDLE_FILE));
    expect(bytes.findIndex((byte) => byte > 0x7f)).toBe(-1);
    await expect(readFile(join(outdir, `${BUNDLE_FILE}.LEGAL.txt`), 'utf8')).resolves.toContain('MIT');
  });
});
