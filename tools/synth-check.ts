/**
 * The one real synth (`npm run synth:check`, for CI): runs `cdk synth` exactly as a user would,
 * offline, with the local esbuild and cdk-nag, then proves the bundled function works on its own:
 *
 * 1. `cdk synth` exits 0 (no unacknowledged cdk-nag finding, valid settings);
 * 2. the asset is an ESM bundle, `index.mjs` and the `chunk-*.mjs` files it imports, each with the
 *    createRequire banner and a source map, importing only Node.js built-ins and each other (the
 *    AWS SDK and every other dependency are inside it);
 * 3. copied outside the repository (so nothing resolves from node_modules), it imports in a fresh
 *    Node.js process and exports a `handler` function that rejects a bad direct payload with
 *    `ValidationError` and answers a malformed HTTP body with 400 `invalid_json`;
 * 4. `cdk synth` with a bad setting fails and names that setting.
 *
 * Exits non-zero with a reason on the first failure.
 */
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import {
  BUNDLE_BANNER,
  ERROR_TYPES,
  HTTP_ERROR_STATUS,
  RESEND_ROUTE,
  RESEND_ROUTE_KEY,
  resendPath,
} from '../functions/app/contract.js';
import { BUNDLE_CHUNK_PATTERN, BUNDLE_FILE } from './bundle-options.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const CDK = path.join(ROOT, 'node_modules', '.bin', 'cdk');
const BUILTINS = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

interface Step {
  readonly name: string;
  readonly ms: number;
}
const steps: Step[] = [];

function fail(message: string): never {
  process.stderr.write(`synth-check: FAILED: ${message}\n`);
  process.exit(1);
}

function timed<T>(name: string, run: () => T): T {
  const started = performance.now();
  const result = run();
  steps.push({ name, ms: Math.round(performance.now() - started) });
  return result;
}

function cdkSynth(outdir: string, context: readonly string[]) {
  return spawnSync(CDK, ['synth', '--quiet', '--output', outdir, ...context.flatMap((c) => ['-c', c])], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1', CI: 'true' },
    timeout: 300_000,
  });
}

interface Manifest {
  readonly artifacts: Record<
    string,
    { readonly type: string; readonly properties?: { readonly templateFile?: string } }
  >;
}
interface Template {
  readonly Resources: Record<
    string,
    {
      readonly Type: string;
      readonly Properties?: Record<string, unknown>;
      readonly Metadata?: Record<string, unknown>;
    }
  >;
}

/** Finds the bundled function's asset directory through the template's asset metadata. */
function findFunctionAsset(outdir: string): string {
  const manifest = JSON.parse(readFileSync(path.join(outdir, 'manifest.json'), 'utf8')) as Manifest;
  const stacks = Object.values(manifest.artifacts).filter((a) => a.type === 'aws:cloudformation:stack');
  for (const stack of stacks) {
    const templateFile = stack.properties?.templateFile;
    if (!templateFile) continue;
    const template = JSON.parse(readFileSync(path.join(outdir, templateFile), 'utf8')) as Template;
    for (const resource of Object.values(template.Resources)) {
      if (resource.Type !== 'AWS::Lambda::Function') continue;
      if (resource.Properties?.Runtime !== 'nodejs24.x') continue;
      const assetPath = resource.Metadata?.['aws:asset:path'];
      if (typeof assetPath === 'string') return path.join(outdir, assetPath);
    }
  }
  return fail('no nodejs24.x function with an asset found in the cloud assembly');
}

/**
 * Module specifiers the bundle loads at run time (imports, dynamic imports, `require` calls), as
 * esbuild's parser sees them: strings that merely mention a package do not count.
 */
async function loadedModules(bundlePath: string): Promise<string[]> {
  const result = await build({
    entryPoints: [bundlePath],
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    external: ['*'],
    logLevel: 'silent',
  });
  const imports = Object.values(result.metafile.inputs).flatMap((input) => input.imports);
  return [...new Set(imports.map((i) => i.path))];
}

const PROBE = `
const fakeContext = {
  awsRequestId: 'synth-check', functionName: 'synth-check', getRemainingTimeInMillis: () => 30000,
};
const mod = await import('./index.mjs');
const result = { handlerType: typeof mod.handler };
try {
  await mod.handler({ order_id: 'not-a-number' }, fakeContext);
  result.direct = 'resolved';
} catch (error) {
  result.direct = error?.name;
}
const response = await mod.handler({
  version: '2.0', routeKey: ${JSON.stringify(RESEND_ROUTE_KEY)},
  rawPath: ${JSON.stringify(resendPath(123))}, rawQueryString: '',
  headers: { 'content-type': 'application/json' }, pathParameters: { order_id: '123' },
  requestContext: { http: { method: ${JSON.stringify(RESEND_ROUTE.method)}, path: ${JSON.stringify(resendPath(123))} }, requestId: 'req-1' },
  body: '{not json', isBase64Encoded: false,
}, fakeContext);
result.httpStatus = response?.statusCode;
result.httpCode = JSON.parse(response?.body ?? '{}').errors?.[0]?.code;
process.stdout.write(JSON.stringify(result));
`;

async function main(): Promise<void> {
  const work = mkdtempSync(path.join(tmpdir(), 'dcv-resend-synth-check-'));
  try {
    const outdir = path.join(work, 'cdk.out');
    const synth = timed('cdk synth (esbuild + cdk-nag + CloudFormation validator)', () =>
      cdkSynth(outdir, []),
    );
    if (synth.status !== 0) fail(`cdk synth exited ${synth.status}\n${synth.stdout}\n${synth.stderr}`);

    const assetDir = findFunctionAsset(outdir);
    const bundlePath = path.join(assetDir, BUNDLE_FILE);
    if (!existsSync(bundlePath)) fail(`${bundlePath} is missing: the bundle is not ESM (index.mjs)`);
    const files = readdirSync(assetDir).filter((name) => name.endsWith('.mjs'));
    const chunks = files.filter((name) => name !== BUNDLE_FILE);
    const strays = chunks.filter((name) => !BUNDLE_CHUNK_PATTERN.test(name));
    if (strays.length > 0)
      fail(`the asset holds files that are neither index.mjs nor chunks: ${strays.join(', ')}`);
    let bytes = 0;
    for (const file of files) {
      const filePath = path.join(assetDir, file);
      bytes += statSync(filePath).size;
      if (!existsSync(`${filePath}.map`)) fail(`${file}.map is missing: source maps are not enabled`);
      const code = readFileSync(filePath, 'utf8');
      if (!code.startsWith(BUNDLE_BANNER)) fail(`${file} does not start with the createRequire banner`);
      // The stack's bundle is the bench's (tools/bundle-options.ts): the alias and the left-out parser hold.
      if (code.includes('sso_start_url')) fail(`${file} holds the full AWS credential chain (BUNDLE_ALIAS)`);
      if (code.includes('process.env.JEST_WORKER_ID'))
        fail(`${file}: JEST_WORKER_ID is not defined away (BUNDLE_DEFINE)`);
      // Chunks import each other by relative path; anything else must be a Node.js built-in.
      const external = (await loadedModules(filePath)).filter((name) => {
        const chunk = /^\.\/(.+)$/.exec(name)?.[1];
        return chunk === undefined ? !BUILTINS.has(name) : !chunks.includes(chunk);
      });
      if (external.length > 0)
        fail(`${file} loads modules that are neither Node.js built-ins nor chunks: ${external.join(', ')}`);
    }

    // Outside the repository, nothing can resolve from its node_modules: the bundle must stand alone.
    const isolated = path.join(work, 'isolated');
    cpSync(assetDir, isolated, { recursive: true });
    writeFileSync(path.join(isolated, 'probe.mjs'), PROBE);
    const probe = timed('import and call the bundled handler', () =>
      spawnSync(process.execPath, ['--enable-source-maps', 'probe.mjs'], {
        cwd: isolated,
        encoding: 'utf8',
        env: {
          PATH: process.env.PATH,
          AWS_REGION: 'us-east-1',
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          DIGICERT_API_KEY_SECRET_ID:
            'arn:aws:secretsmanager:us-east-1:123456789012:secret:synth-check-AbCdEf',
          LOG_LEVEL: 'error',
        },
        timeout: 30_000,
      }),
    );
    if (probe.status !== 0) fail(`importing the bundle failed:\n${probe.stderr}`);
    const lastLine = probe.stdout.trim().split('\n').at(-1) ?? '';
    const result = JSON.parse(lastLine) as Record<string, unknown>;
    if (result.handlerType !== 'function')
      fail(`the bundle exports handler as ${String(result.handlerType)}`);
    if (result.direct !== ERROR_TYPES.ValidationError)
      fail(`a bad direct payload gave ${String(result.direct)}`);
    if (result.httpStatus !== HTTP_ERROR_STATUS.invalid_json || result.httpCode !== 'invalid_json') {
      fail(`a malformed HTTP body gave ${String(result.httpStatus)} ${String(result.httpCode)}`);
    }

    const badOutdir = path.join(work, 'cdk.out.bad');
    const bad = timed('cdk synth with a bad setting (must fail)', () =>
      cdkSynth(badOutdir, ['digicertRegion=mars']),
    );
    const badOutput = `${bad.stdout}\n${bad.stderr}`;
    if (bad.status === 0)
      fail('cdk synth -c digicertRegion=mars succeeded; bad settings must fail the synth');
    if (!badOutput.includes('digicertRegion'))
      fail(`the failed synth did not name digicertRegion:\n${badOutput}`);

    const kib = (file: string) => `${Math.round(statSync(file).size / 1024)} KiB`;
    process.stdout.write(
      [
        'synth-check: OK',
        `  bundle: index.mjs ${kib(bundlePath)} + ${chunks.length} chunks, ${Math.round(bytes / 1024)} KiB in all (source maps beside), imports only Node.js built-ins`,
        `  handler: exported function; direct payload -> ${String(result.direct)}; malformed HTTP body -> ${String(result.httpStatus)} ${String(result.httpCode)}`,
        '  bad setting: cdk synth fails naming digicertRegion',
        ...steps.map((s) => `  ${s.name}: ${s.ms} ms`),
        '',
      ].join('\n'),
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
