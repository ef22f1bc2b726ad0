/** The two builds the benchmark measures with: the deployable bundle, and the child probe. */
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { BUNDLE_FILE, esbuildOptions } from '../bundle-options.js';

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
