/**
 * `npm run build:cli`: bundles the user CLI (`cli/bin.ts` and everything it imports, the AWS SDK,
 * undici, zod and the embedded simulator included) into one ESM file, `cli/bin/dcv-resend.mjs`,
 * which package.json "bin" points at. The bundle is committed, so `dcv-resend` runs on plain
 * `node` with no `node_modules`: Node 20 cannot run TypeScript, and tsx is only a devDependency.
 * A test fails when the committed bundle is stale: run this after changing the CLI or the code
 * it bundles (functions/, dev/).
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, build } from 'esbuild';
import { BUNDLE_BANNER } from '../functions/app/contract.js';
import { BUNDLE_MAIN_FIELDS } from './bundle-options.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The committed bundle, relative to the repository root (package.json "bin"). */
export const CLI_BUNDLE = 'cli/bin/dcv-resend.mjs';

/** The bundle's absolute path. */
export const CLI_BUNDLE_PATH = fileURLToPath(new URL(`../${CLI_BUNDLE}`, import.meta.url));

/** esbuild options for the CLI: the Lambda bundle's settings, but for the oldest Node the package supports. */
export function cliBuildOptions(): BuildOptions {
  return {
    absWorkingDir: ROOT,
    entryPoints: ['cli/bin.ts'],
    outfile: CLI_BUNDLE,
    bundle: true,
    platform: 'node',
    // package.json "engines": the CLI runs wherever the package installs.
    target: 'node20.19',
    format: 'esm',
    minify: true,
    mainFields: [...BUNDLE_MAIN_FIELDS],
    banner: { js: BUNDLE_BANNER },
    logLevel: 'warning',
  };
}

/** The bundle's text as `npm run build:cli` would write it. */
export async function renderCliBundle(): Promise<string> {
  const result = await build({ ...cliBuildOptions(), write: false });
  const [file] = result.outputFiles;
  if (!file) throw new Error('esbuild wrote no CLI bundle');
  return file.text;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  writeFileSync(CLI_BUNDLE_PATH, await renderCliBundle());
  chmodSync(CLI_BUNDLE_PATH, 0o755);
  process.stdout.write(`wrote ${CLI_BUNDLE}\n`);
}
