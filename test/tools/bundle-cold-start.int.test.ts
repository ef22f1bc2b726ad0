/**
 * What the build does for cold start (tools/bundle-options.ts), checked on the built bundle: Node's
 * built-ins come through `require` (no ES module facade, `tools/bundle-builtins.ts`), and the file is
 * ASCII (licence comments beside it), so V8 holds it as a one-byte string.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
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
/** Every JavaScript file of the bundle: the entry and any chunks beside it. */
let files: string[];

beforeAll(async () => {
  outdir = await mkdtemp(join(tmpdir(), 'dcv-bundle-cold-'));
  await build(esbuildOptions({ projectRoot: ROOT, outdir }));
  files = (await readdir(outdir)).filter((file) => file.endsWith('.mjs'));
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
  it('imports no Node built-in as an ES module, so no facade runs their lazy getters', async () => {
    expect(files).toContain(BUNDLE_FILE);
    for (const file of files) {
      const code = await readFile(join(outdir, file), 'utf8');
      // The banner's `module` import is the one allowed: it is what provides `require`.
      expect(
        esmBuiltinImports(code).filter((specifier) => specifier !== 'module'),
        file,
      ).toEqual([]);
    }
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

  it('is ASCII only, its licence comments kept in files beside it', async () => {
    for (const file of files) {
      const bytes = await readFile(join(outdir, file));
      expect(
        bytes.findIndex((byte) => byte > 0x7f),
        file,
      ).toBe(-1);
      expect(bytes.toString('utf8'), file).not.toMatch(/\/\*!|@license|@preserve/);
    }
  });
});
