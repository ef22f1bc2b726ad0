/**
 * How the deployable bundle is built: ONE definition, read by the benchmark (`npm run bench`), the
 * tests that run the bundle, and the CDK function construct (`infra/constructs/resend-function.ts`,
 * whose asset is built by `tools/build-bundle.ts` with these options), so that what is measured and
 * tested is what is deployed.
 *
 * The bundle is a directory: `index.mjs` (the entry, exporting `handler`) and `chunk-*.mjs` files
 * beside it, each with its source map. What only some deliveries need (the SQS client) and SDK code
 * this function never runs sit in chunks that are `import()`ed when needed, or never, so a cold
 * start neither reads nor compiles them. The state table's code (the DynamoDB client, the shared
 * budget, Powertools idempotency) is its own chunk, which the entry imports with the container when
 * `STATE_TABLE_NAME` is set, as every deployed container has (docs/design/rate-budget.md, "Why it is
 * built eagerly").
 * `npm run bench -- --only=size` reports what a cold HTTP resend loads, `--only=cold-state` the
 * deployed cold start.
 */
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
    plugins: [stubPlugin()],
    legalComments: BUNDLE_LEGAL_COMMENTS,
    logLevel: 'warning',
  };
}
