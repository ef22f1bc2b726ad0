/** The builds the benchmark measures with: the deployable bundle, the child probe, and the peers. */
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { BUNDLE_BANNER } from '../../functions/shared/contract.js';
import { BUNDLE_FILE, BUNDLE_MAIN_FIELDS, BUNDLE_TARGET, esbuildOptions } from '../bundle-options.js';

/** Builds the bundle exactly as the stack does (`tools/bundle-options.ts`) into `<out>/dist`. */
export async function buildBundle(
  root: string,
  out: string,
): Promise<{ bundle: string; bytes: number; metafile: Metafile }> {
  const outdir = join(out, 'dist');
  await rm(outdir, { recursive: true, force: true });
  const result = await build({ ...esbuildOptions({ projectRoot: root, outdir }), metafile: true });
  const bundle = join(outdir, BUNDLE_FILE);
  const output = Object.entries(result.metafile.outputs).find(([path]) => path.endsWith(BUNDLE_FILE));
  if (!output) throw new Error('esbuild wrote no bundle');
  await writeFile(join(outdir, 'meta.json'), JSON.stringify(result.metafile));
  return { bundle, bytes: output[1].bytes, metafile: result.metafile };
}

/** Bytes in the bundle per package (our own code per folder), largest first. */
export function contributors(metafile: Metafile): { name: string; bytes: number }[] {
  const output = Object.entries(metafile.outputs).find(([path]) => path.endsWith(BUNDLE_FILE))?.[1];
  const totals = new Map<string, number>();
  for (const [path, { bytesInOutput }] of Object.entries(output?.inputs ?? {})) {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1];
    const name = pkg ?? path.split('/').slice(0, 3).join('/');
    totals.set(name, (totals.get(name) ?? 0) + bytesInOutput);
  }
  return [...totals].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes);
}

/** Bundles `probe.ts` (dependencies external: it only imports the bundle and Node). */
export async function buildProbe(root: string, out: string): Promise<string> {
  const outfile = join(out, 'probe.mjs');
  await build({
    absWorkingDir: root,
    entryPoints: ['tools/bench/probe.ts'],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    packages: 'external',
    logLevel: 'warning',
  });
  return outfile;
}

/** The comparison functions in `peers/`, one file each. */
export const PEERS = ['naive', 'powertools'] as const;
export type PeerName = (typeof PEERS)[number];

/**
 * Bundles one peer (`peers/<name>.ts`) into `<out>/peers/<name>/index.mjs` the way a team bundles a
 * Lambda without tuning it: esbuild, ESM, minified, the node24 target, the AWS SDK bundled, ES module
 * builds preferred, and the `require` shim every ESM bundle of CommonJS packages needs. None of our
 * own build's tricks (alias, externals, define, splitting): those are what the row measures.
 * Its size is every JavaScript file esbuild wrote (one, without splitting).
 */
export async function buildPeer(
  root: string,
  out: string,
  name: PeerName,
): Promise<{ bundle: string; bytes: number }> {
  const outdir = join(out, 'peers', name);
  await rm(outdir, { recursive: true, force: true });
  const result = await build({
    absWorkingDir: root,
    entryPoints: [`tools/bench/peers/${name}.ts`],
    outfile: join(outdir, BUNDLE_FILE),
    bundle: true,
    platform: 'node',
    target: BUNDLE_TARGET,
    format: 'esm',
    minify: true,
    mainFields: [...BUNDLE_MAIN_FIELDS],
    banner: { js: BUNDLE_BANNER },
    metafile: true,
    logLevel: 'warning',
  });
  const bytes = Object.entries(result.metafile.outputs)
    .filter(([path]) => path.endsWith('.mjs') || path.endsWith('.js'))
    .reduce((sum, [, output]) => sum + output.bytes, 0);
  return { bundle: join(outdir, BUNDLE_FILE), bytes };
}
