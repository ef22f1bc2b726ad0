#!/usr/bin/env node
// The `dcv-resend` executable (package.json "bin"). It runs the CLI's TypeScript sources
// (`cli/main.ts` and what it imports) as one ESM bundle that esbuild, a production dependency,
// builds on the first run and again whenever a source, package.json or the installed dependencies
// change. The bundle lives in node_modules/.cache/dcv-resend/, never in git; nothing but
// `npm ci --omit=dev` is needed. One bundled file starts in about a third of the CPU time of the
// same sources loaded file by file through tsx (docs/cli.md, "How the command is built").
import { createHash } from 'node:crypto';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

// The AWS SDK prints a nine-line notice on every run under Node 20 that its future releases need
// Node 22. The SDK is pinned here, so the notice is nothing a CLI user can act on. Set before the
// SDK is loaded (by the bundle), and only when the user has not chosen for themselves.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CACHE = join(ROOT, 'node_modules', '.cache', 'dcv-resend');
const STAMP = join(CACHE, 'inputs.json');
/**
 * Inputs besides the sources esbuild reads: npm rewrites node_modules/.package-lock.json on every
 * install, so it stands for the ~1,100 dependency files; this launcher holds the build options.
 */
const ALWAYS = ['node_modules/.package-lock.json', 'package.json', 'cli/bin/dcv-resend.mjs'];

/** `[path, mtime, size]` of each path relative to the package root (`-1` for a missing file). */
function stamp(paths) {
  return paths.map((path) => {
    try {
      const { mtimeMs, size } = statSync(join(ROOT, path));
      return [path, mtimeMs, size];
    } catch {
      return [path, -1, -1];
    }
  });
}

/** The cached bundle, when it was built from exactly the files now on disk. */
function cachedBundle() {
  try {
    const saved = JSON.parse(readFileSync(STAMP, 'utf8'));
    const bundle = join(CACHE, saved.bundle);
    statSync(bundle);
    const now = stamp(saved.inputs.map(([path]) => path));
    return JSON.stringify(now) === JSON.stringify(saved.inputs) ? bundle : undefined;
  } catch {
    return undefined;
  }
}

/** Bundles the sources; the stamp is written only when no input changed while esbuild read it. */
async function build() {
  const started = Date.now();
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: ['cli/main.ts'],
    outfile: join(CACHE, 'cli.mjs'),
    bundle: true,
    platform: 'node',
    // package.json "engines": the CLI runs wherever the package installs.
    target: 'node20.19',
    format: 'esm',
    minify: true,
    // ES module builds of dependencies tree-shake (zod, the SDK's dist-es), as in the Lambda bundle.
    mainFields: ['module', 'main'],
    // CommonJS dependencies (undici, parts of the SDK) call `require`.
    banner: { js: "import { createRequire } from 'module';const require=createRequire(import.meta.url);" },
    write: false,
    metafile: true,
    logLevel: 'warning',
  });
  const [output] = result.outputFiles;
  const sources = Object.keys(result.metafile.inputs).filter((path) => !path.includes('node_modules/'));
  const inputs = stamp([...ALWAYS, ...sources]);
  let dir = CACHE;
  try {
    mkdirSync(CACHE, { recursive: true });
  } catch {
    dir = mkdtempSync(join(tmpdir(), 'dcv-resend-'));
  }
  // Named by its content and written through a rename: concurrent runs never see a half-written file.
  const name = `cli-${createHash('sha256').update(output.contents).digest('hex').slice(0, 16)}.mjs`;
  writeFileSync(join(dir, `${name}.${process.pid}`), output.contents);
  renameSync(join(dir, `${name}.${process.pid}`), join(dir, name));
  if (dir === CACHE && inputs.every(([, mtime]) => mtime < started)) {
    writeFileSync(`${STAMP}.${process.pid}`, JSON.stringify({ bundle: name, inputs }));
    renameSync(`${STAMP}.${process.pid}`, STAMP);
    // Bundles of older sources, once no run that started before this one can still be loading them.
    for (const old of readdirSync(CACHE)) {
      const path = join(CACHE, old);
      if (old !== name && old.startsWith('cli-') && statSync(path).mtimeMs < started - 60_000) rmSync(path);
    }
  }
  return join(dir, name);
}

const bundle = cachedBundle() ?? (await build());
const { main } = await import(pathToFileURL(bundle).href);
process.exitCode = await main(process.argv.slice(2));
