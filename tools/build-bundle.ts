/**
 * `tsx tools/build-bundle.ts <outdir> [entry]`: builds the deployable bundle (`tools/bundle-options.ts`)
 * into `<outdir>`. The CDK construct runs it from its synchronous bundling hook, in a child process,
 * because the build uses an esbuild plugin and esbuild runs plugins in its asynchronous API only.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { esbuildOptions, LAMBDA_ENTRY } from './bundle-options.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Builds the bundle into `outdir`; `entry` is relative to the repository root or absolute. */
export async function buildDeployableBundle(outdir: string, entry: string = LAMBDA_ENTRY): Promise<void> {
  await build(esbuildOptions({ projectRoot: ROOT, outdir: path.resolve(outdir), entry }));
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [outdir, entry] = process.argv.slice(2);
  if (outdir === undefined) {
    process.stderr.write('usage: tsx tools/build-bundle.ts <outdir> [entry]\n');
    process.exit(2);
  }
  await buildDeployableBundle(outdir, entry);
}
