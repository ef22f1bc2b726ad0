/**
 * How the deployable bundle is built: ONE definition, read by the benchmark (`npm run bench`, which
 * calls esbuild directly) and by the CDK function construct (`NodejsFunction`, which runs esbuild
 * with the same settings through its `bundling` props), so that what is measured is what is deployed.
 *
 * In the construct:
 * ```ts
 * import { OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
 * import { LAMBDA_ENTRY, NODEJS_FUNCTION_BUNDLING } from '../../tools/bundle-options.js';
 * new NodejsFunction(this, 'Fn', {
 *   entry: LAMBDA_ENTRY, runtime: Runtime.NODEJS_24_X,
 *   bundling: { ...NODEJS_FUNCTION_BUNDLING, format: OutputFormat.ESM },
 * });
 * ```
 * (`format` is the one setting the construct has to spell itself: it is a CDK enum, and importing
 * aws-cdk-lib's values here would cost the benchmark a second of start-up; its types are free.)
 */
import type { BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions } from 'esbuild';
import { BUNDLE_BANNER } from '../functions/shared/contract.js';
import { BUILTIN_ALIAS } from './bundle-builtins.js';

/** The Lambda entry, relative to the repository root. */
export const LAMBDA_ENTRY = 'functions/resend-dcv-emails/handler.ts';

/** The file name NodejsFunction gives an ESM bundle (and the handler is `index.handler`). */
export const BUNDLE_FILE = 'index.mjs';

/** esbuild target for the nodejs24.x runtime. */
export const BUNDLE_TARGET = 'node24';

/** Prefer ES module builds of dependencies: they tree-shake (zod, the SDK's `dist-es`). */
export const BUNDLE_MAIN_FIELDS: readonly string[] = ['module', 'main'];

/**
 * The AWS SDK is bundled (and pinned in package-lock.json) instead of taken from the Lambda runtime,
 * so that what runs is what was tested and measured. One file is left out on purpose: undici ships
 * its HTTP parser twice, as base64 WebAssembly with SIMD and without, and loads the plain one only
 * where SIMD cannot compile (ppc64 before Node 24.12, or `UNDICI_NO_WASM_SIMD=1`). Lambda's x86_64
 * and arm64 runtimes compile the SIMD build, so the fallback is 72 KB of bundle (and parse time)
 * that never runs; left out, its `require` would fail only where SIMD is missing.
 * `test/integration/bundle.test.ts` builds the bundle and sends a request through it.
 */
export const BUNDLE_EXTERNALS: readonly string[] = ['*/llhttp-wasm.js'];

/**
 * undici also loads the non-SIMD parser whenever `JEST_WORKER_ID` is set (a Jest worker running the
 * bundle): fixed to `undefined` at build time, so the bundle behaves the same under any test runner.
 */
export const BUNDLE_DEFINE: Readonly<Record<string, string>> = { 'process.env.JEST_WORKER_ID': 'undefined' };

/**
 * Packages replaced in the bundle. Lambda hands credentials in the environment: the SDK's default
 * credential chain becomes the environment alone (`functions/shared/adapters/lambda-credentials.ts`,
 * 60 KB less). Paths are relative to the repository root, where both builds run.
 */
export const BUNDLE_ALIAS: Readonly<Record<string, string>> = {
  '@aws-sdk/credential-provider-node': './functions/shared/adapters/lambda-credentials.ts',
  // Node built-ins through `require`, not ES module facades: tools/bundle-builtins.ts (cold start).
  ...BUILTIN_ALIAS,
};

/**
 * Licence comments go to `index.mjs.LEGAL.txt` beside the bundle, not into it: one of them (undici's
 * formdata-polyfill credit) holds a non-ASCII letter, and a single non-ASCII byte makes V8 hold the
 * whole 700 KB source as a two-byte string, slower to decode and to scan at every cold start (see
 * "Cold start profile" in docs/operations.md). With them out the bundle is ASCII (esbuild escapes
 * non-ASCII in code); `test/integration/bundle-cold-start.test.ts` keeps it so.
 */
export const BUNDLE_LEGAL_COMMENTS = 'external';

/** The `bundling` props of `NodejsFunction`, except `format` (add `format: OutputFormat.ESM`). */
export const NODEJS_FUNCTION_BUNDLING = {
  minify: true,
  sourceMap: true,
  /** Maps without the sources: a smaller asset, and less for `--enable-source-maps` to read. */
  sourcesContent: false,
  target: BUNDLE_TARGET,
  mainFields: [...BUNDLE_MAIN_FIELDS],
  banner: BUNDLE_BANNER,
  externalModules: [...BUNDLE_EXTERNALS],
  define: { ...BUNDLE_DEFINE },
  esbuildArgs: {
    ...Object.fromEntries(Object.entries(BUNDLE_ALIAS).map(([from, to]) => [`--alias:${from}`, to])),
    '--legal-comments': BUNDLE_LEGAL_COMMENTS,
  },
  bundleAwsSDK: true,
} satisfies Omit<BundlingOptions, 'format'>;

/** The same build as esbuild options, writing `<outdir>/index.mjs` (+ `.map`). */
export function esbuildOptions(options: {
  readonly projectRoot: string;
  readonly outdir: string;
}): BuildOptions {
  return {
    absWorkingDir: options.projectRoot,
    entryPoints: [LAMBDA_ENTRY],
    outfile: `${options.outdir}/${BUNDLE_FILE}`,
    bundle: true,
    platform: 'node',
    target: BUNDLE_TARGET,
    format: 'esm',
    minify: NODEJS_FUNCTION_BUNDLING.minify,
    sourcemap: NODEJS_FUNCTION_BUNDLING.sourceMap,
    sourcesContent: NODEJS_FUNCTION_BUNDLING.sourcesContent,
    mainFields: [...BUNDLE_MAIN_FIELDS],
    banner: { js: BUNDLE_BANNER },
    external: [...BUNDLE_EXTERNALS],
    define: { ...BUNDLE_DEFINE },
    alias: { ...BUNDLE_ALIAS },
    legalComments: BUNDLE_LEGAL_COMMENTS,
    logLevel: 'warning',
  };
}
