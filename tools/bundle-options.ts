/**
 * How the deployable bundle is built: ONE definition, read by the benchmark (`npm run bench`), the
 * tests that run the bundle, and the CDK function construct (`infra/constructs/resend-function.ts`,
 * whose asset is built by `tools/build-bundle.ts` with these options), so that what is measured and
 * tested is what is deployed.
 *
 * The bundle is a directory: `index.mjs` (the entry, exporting `handler`) and `chunk-*.mjs` files
 * beside it, each with its source map. What only some deliveries need (the SQS client) and SDK code
 * this function never runs sit in chunks that are `import()`ed when needed, or never, so a cold
 * start neither reads nor compiles them. The state table's code (the shared budget on its signed
 * client) is its own chunk, which the entry imports with the container when `STATE_TABLE_NAME` is
 * set, as every deployed container has (docs/design/rate-budget.md, "Why it is built eagerly"); the
 * DynamoDB client and Powertools idempotency are chunks it imports on their first use.
 * `npm run bench -- --only=size` reports what a cold HTTP resend loads, `--only=cold-state` the
 * deployed cold start.
 */
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { BuildOptions, Plugin } from 'esbuild';
import { BUNDLE_BANNER } from '../functions/app/contract.js';
import { BUILTIN_ALIAS } from './bundle-builtins.js';

/** The Lambda entry, relative to the repository root. */
export const LAMBDA_ENTRY = 'functions/resend-dcv-emails/handler.ts';

/** The entry file of the bundle directory (and the handler is `index.handler`). */
export const BUNDLE_FILE = 'index.mjs';

/** Every other JavaScript file of the bundle is named `chunk-<content hash>.mjs`. */
export const BUNDLE_CHUNK_PATTERN = /^chunk-[A-Z0-9]+\.mjs$/;

/** esbuild target for the nodejs24.x runtime. */
export const BUNDLE_TARGET = 'node24';

/** Prefer ES module builds of dependencies: they tree-shake (zod, the SDK's `dist-es`). */
export const BUNDLE_MAIN_FIELDS: readonly string[] = ['module', 'main'];

/**
 * The AWS SDK is bundled (and pinned in package-lock.json) instead of taken from the Lambda runtime,
 * so that what runs is what was tested and measured. One file is left out on purpose: undici ships
 * its HTTP parser twice, as base64 WebAssembly with SIMD and without, and loads the plain one only
 * where SIMD cannot compile (ppc64 before Node 24.12, or `UNDICI_NO_WASM_SIMD=1`). Lambda's x86_64
 * and arm64 runtimes compile the SIMD build, so the fallback is bundle (and parse time) that never
 * runs; left out, its `require` would fail only where SIMD is missing.
 * `test/tools/bundle.int.test.ts` builds the bundle and sends a request through it.
 */
export const BUNDLE_EXTERNALS: readonly string[] = ['*/llhttp-wasm.js'];

/**
 * undici also loads the non-SIMD parser whenever `JEST_WORKER_ID` is set (a Jest worker running the
 * bundle): fixed to `undefined` at build time, so the bundle behaves the same under any test runner.
 */
export const BUNDLE_DEFINE: Readonly<Record<string, string>> = { 'process.env.JEST_WORKER_ID': 'undefined' };

/**
 * Packages replaced in the bundle. Lambda hands credentials in the environment: the SDK's default
 * credential chain becomes the environment alone (`functions/aws/lambda-credentials.ts`). Paths are relative to the repository root, where every build runs.
 */
export const BUNDLE_ALIAS: Readonly<Record<string, string>> = {
  '@aws-sdk/credential-provider-node': './functions/aws/lambda-credentials.ts',
  // Node built-ins through `require`, not ES module facades: tools/bundle-builtins.ts (cold start).
  ...BUILTIN_ALIAS,
};

/**
 * Licence comments go to `index.mjs.LEGAL.txt` beside the bundle, not into it: one of them (undici's
 * formdata-polyfill credit) holds a non-ASCII letter, and a single non-ASCII byte makes V8 hold the
 * whole source as a two-byte string, slower to decode and to scan at every cold start. With them out the bundle is ASCII (esbuild escapes
 * non-ASCII in code); `test/tools/bundle-cold-start.int.test.ts` keeps it so.
 */
export const BUNDLE_LEGAL_COMMENTS = 'external';

/** A module of a dependency that the bundle replaces with a few lines, and why that is safe. */
export interface BundleStub {
  /** The file, relative to `node_modules/`, with `/` separators. */
  readonly module: string;
  /** The stub's CommonJS source: it exports the same names, and throws a clear error if ever called. */
  readonly contents: string;
}

const unreachable = (what: string, why: string) =>
  `function left out of the dcv-resend bundle (tools/bundle-options.ts, BUNDLE_STUBS): ${what} is never used here: ${why}`;

/**
 * undici modules the DigiCert client (`functions/digicert/client.ts`: a `Pool`'s
 * `dispatch` over HTTP/1.1 with string bodies, `http-exchange.ts`) never runs, though `require`s
 * pull them in:
 *
 * - `dispatcher/client-h2.js`: HTTP/2, used only when TLS negotiates `h2`, which undici
 *   offers only with `allowH2: true`; the pool never sets it. If it were ever reached, `client.js`
 *   catches the throw and fails the connection with this message.
 * - `web/fetch/body.js` (with what only it pulls in: fetch's util, webidl, FormData and its
 *   parser, data: URLs, infra): `client-h1.js` requires it only to encode a `FormData` request body;
 *   the client sends JSON strings.
 *
 * `test/tools/bundle.int.test.ts` resends through the bundle over undici (HTTP/1.1 to the DigiCert
 * simulator) and checks the stubs are what the bundle holds.
 */
export const BUNDLE_STUBS: readonly BundleStub[] = [
  {
    module: 'undici/lib/dispatcher/client-h2.js',
    contents: `module.exports = function connectH2() { throw new Error(${JSON.stringify(
      unreachable('HTTP/2 (undici connectH2)', 'the DigiCert pool never sets allowH2'),
    )}); };`,
  },
  {
    module: 'undici/lib/web/fetch/body.js',
    contents: `module.exports = { extractBody() { throw new Error(${JSON.stringify(
      unreachable('a FormData request body (undici extractBody)', 'DigiCert requests carry JSON strings'),
    )}); } };`,
  },
];

/** The esbuild plugin that puts `BUNDLE_STUBS` in place of the files they replace. */
export function stubPlugin(stubs: readonly BundleStub[] = BUNDLE_STUBS): Plugin {
  const byModule = new Map(stubs.map((stub) => [stub.module, stub.contents]));
  return {
    name: 'dcv-resend-stubs',
    setup(build) {
      build.onLoad({ filter: /[\\/]node_modules[\\/]/ }, (args) => {
        const module = args.path.replaceAll('\\', '/').split('/node_modules/').at(-1);
        const contents = module === undefined ? undefined : byModule.get(module);
        return contents === undefined ? undefined : { contents, loader: 'js' };
      });
    },
  };
}

/**
 * The AWS SDK's protocol barrels, `@aws-sdk/core/protocols` and `@smithy/core/protocols`: one
 * module re-exporting every protocol (JSON, XML, Query, CBOR). esbuild places a file in every chunk
 * whose entry reaches it, and a barrel reaches all of them: once the lazily loaded Route 53 (REST-XML)
 * and STS (Query) clients use the XML and Query code, the DynamoDB client's import of the barrel put
 * that code in a chunk every cold start loads (about 30 KB, `npm run bench -- --only=size`).
 */
export const SDK_PROTOCOL_BARRELS: readonly string[] = ['@aws-sdk/core/protocols', '@smithy/core/protocols'];

/** The names an importer takes from `specifier` (`import {a, b as c}` and `export {a}`), or `undefined` for `*`. */
function namesTakenFrom(source: string, specifier: string): string[] | undefined {
  const quoted = specifier.replaceAll('/', '\\/');
  if (new RegExp(`(import|export)\\s*\\*[^;]*?from\\s*["']${quoted}["']`).test(source)) return undefined;
  const names = new Set<string>();
  for (const match of source.matchAll(
    new RegExp(`(?:import|export)\\s*\\{([^}]*)\\}\\s*from\\s*["']${quoted}["']`, 'g'),
  )) {
    for (const part of (match[1] ?? '').split(',')) {
      const name = part
        .trim()
        .split(/\s+as\s+/)[0]
        ?.trim();
      if (name) names.add(name);
    }
  }
  return names.size === 0 ? undefined : [...names].sort();
}

/** A barrel's `export { a, b as c } from "./x"` lines: exported name -> [specifier, name there]. */
function barrelExports(source: string): Map<string, readonly [string, string]> | undefined {
  if (/export\s*\*/.test(source)) return undefined;
  const map = new Map<string, readonly [string, string]>();
  for (const match of source.matchAll(/export\s*\{([^}]*)\}\s*from\s*["']([^"']+)["']/g)) {
    for (const part of (match[1] ?? '').split(',')) {
      const [original, alias] = part
        .trim()
        .split(/\s+as\s+/)
        .map((word) => word.trim());
      if (original) map.set(alias ?? original, [match[2] ?? '', original]);
    }
  }
  return map;
}

/**
 * Each import of a protocol barrel becomes a module that re-exports only the names that importer
 * takes, from the files that define them, so that a file is reached only by the clients that use it
 * and the XML and Query code stays in the lazy chunks of the clients that need it. An import that
 * takes `*`, or a name the barrel does not list as a plain re-export, keeps the barrel.
 */
export function sdkBarrelPlugin(barrels: readonly string[] = SDK_PROTOCOL_BARRELS): Plugin {
  const filter = new RegExp(`^(${barrels.map((b) => b.replaceAll('/', '\\/')).join('|')})$`);
  return {
    name: 'dcv-resend-sdk-barrels',
    setup(build) {
      // The modules this plugin wrote, by path: they import the next barrel in turn.
      const written = new Map<string, string>();
      build.onResolve({ filter }, async (args) => {
        if (args.pluginData === 'barrel' || args.importer === '') return undefined;
        const source = written.get(args.importer) ?? readFileSync(args.importer, 'utf8');
        const names = namesTakenFrom(source, args.path);
        if (names === undefined) return undefined;
        const barrel = await build.resolve(args.path, {
          kind: args.kind,
          resolveDir: args.resolveDir,
          pluginData: 'barrel',
        });
        if (barrel.errors.length > 0) return undefined;
        const exported = barrelExports(readFileSync(barrel.path, 'utf8'));
        const picked = names.map((name) => [name, exported?.get(name)] as const);
        if (picked.some(([, from]) => from === undefined)) return undefined;
        const contents = picked
          .map(([name, from]) => `export { ${from?.[1]} as ${name} } from ${JSON.stringify(from?.[0])};`)
          .join('\n');
        const path = `${barrel.path}?${names.join(',')}`;
        written.set(path, contents);
        return {
          path,
          namespace: 'sdk-barrel',
          pluginData: { contents, resolveDir: dirname(barrel.path) },
        };
      });
      build.onLoad({ filter: /.*/, namespace: 'sdk-barrel' }, (args) => {
        const { contents, resolveDir } = args.pluginData as { contents: string; resolveDir: string };
        return { contents, resolveDir, loader: 'js' };
      });
    },
  };
}

/**
 * The build as esbuild options, writing `<outdir>/index.mjs` and its chunks (each with a `.map`).
 * It holds a plugin, so it needs esbuild's asynchronous `build` (`tools/build-bundle.ts` runs it for
 * the CDK construct, whose bundling hook is synchronous).
 */
export function esbuildOptions(options: {
  readonly projectRoot: string;
  readonly outdir: string;
  /** @default LAMBDA_ENTRY */
  readonly entry?: string;
}): BuildOptions {
  return {
    absWorkingDir: options.projectRoot,
    entryPoints: { index: options.entry ?? LAMBDA_ENTRY },
    outdir: options.outdir,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunk-[hash]',
    // Code only some deliveries need is `import()`ed: as separate files it is neither read nor
    // compiled until then. Lazy chunks now: the SQS client (queue consumers writing refusals), the
    // Secrets Manager client (off Lambda), and SDK code for browsers and event streams this function
    // never runs.
    splitting: true,
    bundle: true,
    platform: 'node',
    target: BUNDLE_TARGET,
    format: 'esm',
    minify: true,
    sourcemap: true,
    /** Maps without the sources: a smaller asset, and less for `--enable-source-maps` to read. */
    sourcesContent: false,
    mainFields: [...BUNDLE_MAIN_FIELDS],
    // Every file gets it: a chunk holding CommonJS code (undici, parts of the SDK) calls `require`.
    banner: { js: BUNDLE_BANNER },
    external: [...BUNDLE_EXTERNALS],
    define: { ...BUNDLE_DEFINE },
    alias: { ...BUNDLE_ALIAS },
    plugins: [stubPlugin(), sdkBarrelPlugin()],
    legalComments: BUNDLE_LEGAL_COMMENTS,
    logLevel: 'warning',
  };
}
