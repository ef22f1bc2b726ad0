/**
 * Node built-ins reach the bundle through `require`, not `import`: part of the build definition
 * (`tools/bundle-options.ts` spreads `BUILTIN_ALIAS` into its aliases).
 *
 * Why: an ES module `import … from 'node:fs'` (esbuild keeps the SDK's and our own that way in an ESM
 * bundle) makes Node build an ES module facade of the built-in, and building it reads every export,
 * which runs each lazy getter. On Node 24 that loads code nothing here uses: `fs.ReadStream` loads
 * the streams, `process`'s facade reads every property of `process`, and the SDK's `import('node:http')`
 * (for a plain-http endpoint: the stand-ins) loads Node's bundled undici (fetch, WebSocket) through
 * `http.WebSocket`: tens of milliseconds of a cold start ("Cold start profile" in docs/performance.md). Through these aliases esbuild turns each import into a `require` of a one-line
 * CommonJS file (`tools/bundle-builtins/*.cjs`), and its interop reads a named export only where the
 * code uses it. `process.getBuiltinModule` (Node 20.16+) and not `require('node:fs')`, which esbuild
 * would send back through the alias.
 *
 * `test/tools/bundle-cold-start.int.test.ts` fails when the bundle imports a built-in missing here.
 */

/** The built-ins the bundle's code imports, each with its file in `tools/bundle-builtins/`. */
export const BUNDLED_BUILTINS = [
  'async_hooks',
  'crypto',
  'dns/promises',
  'events',
  'fs',
  'fs/promises',
  'http',
  'https',
  'net',
  'os',
  'path',
  'process',
  'stream',
  'url',
  'zlib',
] as const;

/** esbuild aliases, both spellings of each built-in, relative to the repository root. */
export const BUILTIN_ALIAS: Readonly<Record<string, string>> = Object.fromEntries(
  BUNDLED_BUILTINS.flatMap((name) => {
    const file = `./tools/bundle-builtins/${name.replace('/', '-')}.cjs`;
    return [
      [name, file],
      [`node:${name}`, file],
    ];
  }),
);
