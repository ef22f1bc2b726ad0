/** The builds the benchmark measures with: the deployable bundle, the child probe, and the peers. */
import { readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { BUNDLE_BANNER } from '../../functions/app/contract.js';
import { BUNDLE_FILE, BUNDLE_MAIN_FIELDS, BUNDLE_TARGET, esbuildOptions } from '../bundle-options.js';

/** The metafile of the last build, beside the bundle (`<out>/dist/meta.json`). */
export const METAFILE = 'meta.json';

/**
 * Builds the bundle exactly as the stack does (`tools/bundle-options.ts`) into `<out>/dist`.
 * `bytes` is what a cold HTTP resend loads ({@link bundleLayout}), not the whole directory.
 */
export async function buildBundle(
  root: string,
  out: string,
): Promise<{ bundle: string; bytes: number; metafile: Metafile }> {
  const outdir = join(out, 'dist');
  await rm(outdir, { recursive: true, force: true });
  const result = await build({ ...esbuildOptions({ projectRoot: root, outdir }), metafile: true });
  await writeFile(join(outdir, METAFILE), JSON.stringify(result.metafile));
  const { loaded } = bundleLayout(result.metafile);
  return {
    bundle: join(outdir, BUNDLE_FILE),
    bytes: loaded.reduce((sum, file) => sum + file.bytes, 0),
    metafile: result.metafile,
  };
}

/** One JavaScript file of the bundle directory. */
export interface BundleFile {
  readonly name: string;
  readonly bytes: number;
  /** Bytes per package in it (our own code per folder), largest first. */
  readonly contributors: readonly { readonly name: string; readonly bytes: number }[];
}

/** The module the entry imports with the container when it has a state table. */
export const STATE_ENTRY = 'functions/app/state.ts';

/** The bundle's files, split by when they are loaded. */
export interface BundleLayout {
  /**
   * What a deployed container (with its state table) loads at import, so what a cold HTTP resend
   * loads: `index.mjs`, every chunk it imports statically, and the state table's code, which the
   * entry imports with the container when `STATE_TABLE_NAME` is set (`STATE_ENTRY`).
   * `test/tools/bundle-loading.int.test.ts` runs the bundle in a child with the deployed
   * configuration and checks that these are exactly the files it reads.
   */
  readonly loaded: readonly BundleFile[];
  /** Of `loaded`, what a container without a state table loads (local runs, the peers row). */
  readonly withoutTable: readonly BundleFile[];
  /** Chunks loaded only by the deliveries that need them (or never): not in `loaded`. */
  readonly lazy: readonly BundleFile[];
}

/** Splits the build's outputs into what the entry loads statically and what it loads on demand. */
export function bundleLayout(metafile: Metafile): BundleLayout {
  const outputs = Object.entries(metafile.outputs).filter(([path]) => path.endsWith('.mjs'));
  const byPath = new Map(outputs);
  const entry = outputs.find(([path]) => basename(path) === BUNDLE_FILE)?.[0];
  if (entry === undefined) throw new Error(`esbuild wrote no ${BUNDLE_FILE}`);
  const loaded = new Set<string>();
  const visit = (path: string) => {
    if (loaded.has(path)) return;
    loaded.add(path);
    for (const imported of byPath.get(path)?.imports ?? []) {
      if (imported.kind === 'import-statement' && !imported.external) visit(imported.path);
    }
  };
  visit(entry);
  const withoutTable = new Set(loaded);
  for (const [path, output] of outputs) {
    if (output.entryPoint?.endsWith(STATE_ENTRY)) visit(path);
  }
  const file = ([path, output]: (typeof outputs)[number]): BundleFile => ({
    name: basename(path),
    bytes: output.bytes,
    contributors: packageTotals(Object.entries(output.inputs)),
  });
  const bySize = (a: BundleFile, b: BundleFile) => b.bytes - a.bytes;
  const pick = (keep: (path: string) => boolean) =>
    outputs
      .filter(([path]) => keep(path))
      .map(file)
      .sort(bySize);
  return {
    loaded: pick((path) => loaded.has(path)),
    withoutTable: pick((path) => withoutTable.has(path)),
    lazy: pick((path) => !loaded.has(path)),
  };
}

/** The layout of the bundle `buildBundle` wrote at `bundle` (from the metafile beside it). */
export function readBundleLayout(bundle: string): BundleLayout {
  return bundleLayout(JSON.parse(readFileSync(join(dirname(bundle), METAFILE), 'utf8')) as Metafile);
}

/** Bytes per package in what a cold HTTP resend loads (our own code per folder), largest first. */
export function contributors(metafile: Metafile): { name: string; bytes: number }[] {
  const totals = new Map<string, number>();
  for (const file of bundleLayout(metafile).loaded) {
    for (const { name, bytes } of file.contributors) totals.set(name, (totals.get(name) ?? 0) + bytes);
  }
  return [...totals].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes);
}

function packageTotals(
  inputs: readonly (readonly [string, { readonly bytesInOutput: number }])[],
): { name: string; bytes: number }[] {
  const totals = new Map<string, number>();
  for (const [path, { bytesInOutput }] of inputs) {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1];
    const name = pkg ?? path.split('/').slice(0, 3).join('/');
    totals.set(name, (totals.get(name) ?? 0) + bytesInOutput);
  }
  return [...totals]
    .map(([name, bytes]) => ({ name, bytes }))
    .filter((entry) => entry.bytes > 0)
    .sort((a, b) => b.bytes - a.bytes);
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
