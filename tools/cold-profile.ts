/**
 * `npm run cold-profile` (`-- --runs=5`): where a cold start's time goes. Builds the deployable bundle
 * (`tools/bundle-options.ts`), starts the DigiCert simulator, the Secrets Manager stand-in and a DNS
 * server on 127.0.0.1, and runs fresh `node` processes that import the bundle and complete one HTTP
 * resend, each under V8's sampling profiler (`--cpu-prof`). Every sample is charged to a part: V8
 * compiling the bundle, Node loading its built-in modules, each package of the bundle (found through
 * the source map), our own code per folder, GC, and so on. Prints the parts with their share, and the
 * phases (Node's own start, import, first invocation) timed without the profiler.
 *
 * Runs on Node 24 (Lambda's runtime) when `COLD_PROFILE_NODE` names its binary or `npx -p node@24.21.0`
 * finds it in the npm cache, else on this Node, and says which. The profiler slows the process down
 * by about a third: read the shares, and take absolute times from the phases. Not a test: it measures.
 * Results and how to read them: docs/performance.md, "Cold start profile".
 */
import { spawnSync } from 'node:child_process';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { SourceMap, type SourceMapPayload } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { DigiCertSimulator } from '../dev/digicert-simulator.js';
import { LocalDnsServer } from '../dev/dns-server.js';
import { SecretsManagerStandIn } from '../dev/secrets-manager-standin.js';
import { childEnv, resolveLambdaNode, runNode } from './bench/child.js';
import { benchHttpEvent, KEY, SECRET_ID } from './bench/fixtures.js';
import { BUNDLE_FILE, esbuildOptions } from './bundle-options.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, '.bench', 'cold-profile');
/** Sampling interval: fine enough for a ~300 ms run, coarse enough not to dominate it. */
const INTERVAL_US = 250;

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
  readonly columnNumber: number;
}
interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}
interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}
interface Phases {
  readonly bootMs: number;
  readonly importMs: number;
  readonly firstMs: number;
}

function runsOption(argv: readonly string[]): number {
  const arg = argv.find((a) => a.startsWith('--runs='));
  const runs = arg === undefined ? 5 : Number(arg.slice('--runs='.length));
  if (!Number.isInteger(runs) || runs < 1 || runs > 50)
    throw new Error('--runs must be an integer from 1 to 50');
  return runs;
}

/** Node 24's binary: `COLD_PROFILE_NODE`, else the bench's lookup (`npx -p node@24.21.0`, else this Node). */
async function nodeBinary(): Promise<{ path: string; note: string }> {
  const given = process.env.COLD_PROFILE_NODE;
  if (given) return { path: given, note: 'COLD_PROFILE_NODE' };
  const found = await resolveLambdaNode();
  return { path: found.path, note: found.label };
}

/** The child: import the bundle, one HTTP resend, then the phases on fd 3. */
function childScript(bundle: string): string {
  const event = JSON.stringify(benchHttpEvent('cold-profile'));
  return [
    'const t0=performance.now();',
    `import(${JSON.stringify(pathToFileURL(bundle).href)}).then(async(m)=>{`,
    'const t1=performance.now();',
    `const r=await m.handler(${event},{awsRequestId:'cold-profile',getRemainingTimeInMillis:()=>30000});`,
    "if(r.statusCode!==204)throw new Error('status '+r.statusCode);",
    'const t2=performance.now();',
    "require('node:fs').writeSync(3,JSON.stringify({bootMs:t0,importMs:t1-t0,firstMs:t2-t1}));process.exit(0)",
    '},(e)=>{console.error(e);process.exit(1)})',
  ].join('');
}

/** One cold child (the bench's `runNode`): the phases it reports on fd 3. */
async function runChild(node: string, args: readonly string[], env: Record<string, string>): Promise<Phases> {
  return JSON.parse((await runNode(args, env, node)).output) as Phases;
}

/** The part a source file of the bundle belongs to. */
function partOfSource(source: string): string {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(source)?.[1];
  if (pkg !== undefined) {
    if (pkg.startsWith('@aws-sdk/') || pkg.startsWith('@smithy/')) return 'AWS SDK (@aws-sdk/*, @smithy/*)';
    if (pkg.startsWith('@aws-lambda-powertools/')) return 'Powertools';
    if (pkg.startsWith('tldts')) return 'tldts (Public Suffix List)';
    return pkg;
  }
  if (source.includes('tools/bundle-builtins')) return 'ours: built-in require shims';
  const folder = /functions\/shared\/([^/]+)\//.exec(source)?.[1];
  return folder === undefined ? 'ours: entry, config, runtime' : `ours: ${folder}/`;
}

/** Charges every sample of `profile` to a part; returns microseconds per part. */
async function attribute(profile: CpuProfile, bundleDir: string): Promise<Map<string, number>> {
  const maps = new Map<string, SourceMap | undefined>();
  const bundleUrl = pathToFileURL(bundleDir).href;
  const mapOf = async (url: string): Promise<SourceMap | undefined> => {
    if (!maps.has(url)) {
      const file = fileURLToPath(`${url}.map`);
      const payload = await readFile(file, 'utf8').then(
        (text) => JSON.parse(text) as SourceMapPayload,
        () => undefined,
      );
      maps.set(url, payload === undefined ? undefined : new SourceMap(payload));
    }
    return maps.get(url);
  };
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const inBundle = async (frame: CallFrame): Promise<string | undefined> => {
    if (!frame.url.startsWith(bundleUrl)) return undefined;
    const entry = (await mapOf(frame.url))?.findEntry(frame.lineNumber, frame.columnNumber);
    const source = entry !== undefined && 'originalSource' in entry ? entry.originalSource : undefined;
    // A module's top level has no mapped position of its own.
    return source === undefined
      ? 'bundle top level (every module evaluated at import)'
      : partOfSource(source);
  };
  const partOf = async (id: number): Promise<string> => {
    const node = byId.get(id);
    if (node === undefined) return 'unknown';
    const frame = node.callFrame;
    const own = await inBundle(frame);
    if (own !== undefined) return own;
    if (frame.functionName === 'compileSourceTextModule' || frame.functionName === 'decodeUTF8')
      return 'V8: parse and compile the bundle';
    if (frame.functionName === '(garbage collector)') return 'GC';
    if (frame.functionName === '(program)') return 'V8 and native code (not attributed)';
    if (frame.functionName === '(idle)') return 'idle (waiting for the network)';
    let caller: string | undefined;
    for (let up = parent.get(id); up !== undefined; up = parent.get(up)) {
      const frameUp = byId.get(up)?.callFrame;
      if (frameUp === undefined) break;
      if (frameUp.functionName === 'compileForInternalLoader') return 'Node: load built-in modules';
      caller ??= await inBundle(frameUp);
    }
    return caller === undefined ? 'Node: start-up, module loader, I/O' : `Node internals for ${caller}`;
  };
  const parts = new Map<string, number>();
  const cache = new Map<number, string>();
  for (const [i, id] of profile.samples.entries()) {
    let part = cache.get(id);
    if (part === undefined) {
      part = await partOf(id);
      cache.set(id, part);
    }
    parts.set(part, (parts.get(part) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  return parts;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

async function main(): Promise<void> {
  const runs = runsOption(process.argv.slice(2));
  const node = await nodeBinary();
  const version = spawnSync(node.path, ['--version'], { encoding: 'utf8' }).stdout.trim();
  const outdir = join(OUT, 'dist');
  const profiles = join(OUT, 'profiles');
  await rm(OUT, { recursive: true, force: true });
  await mkdir(profiles, { recursive: true });
  await build(esbuildOptions({ projectRoot: ROOT, outdir }));
  const bundle = join(outdir, BUNDLE_FILE);

  const simulator = await DigiCertSimulator.start({ validKeys: [KEY] });
  const secrets = await SecretsManagerStandIn.start({ [SECRET_ID]: KEY });
  const dns = await LocalDnsServer.start();
  const trim = setInterval(() => simulator.reset(), 1_000);
  // PATH only, as on Lambda (no NODE_EXTRA_CA_CERTS); the function's configuration as in the bench.
  const env = childEnv(
    {
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
      DIGICERT_BASE_URL: simulator.baseUrl,
      DIGICERT_RATE_LIMIT_PER_5S: '1000000',
      DIGICERT_RATE_LIMIT_PER_3MIN: '1000000',
      DNS_SERVERS: dns.address,
    },
    true,
  );
  const phases: Phases[] = [];
  try {
    for (let run = 0; run < runs; run++) {
      // Interleaved: one plain run for the phases, one profiled run for the parts.
      phases.push(await runChild(node.path, ['-e', childScript(bundle)], env));
      const args = ['--cpu-prof', `--cpu-prof-interval=${INTERVAL_US}`, `--cpu-prof-dir=${profiles}`];
      await runChild(node.path, [...args, '-e', childScript(bundle)], env);
    }
  } finally {
    clearInterval(trim);
    await Promise.all([simulator.close(), secrets.close(), dns.close()]);
  }

  const totals = new Map<string, number>();
  const files = (await readdir(profiles)).filter((file) => file.endsWith('.cpuprofile'));
  for (const file of files) {
    const profile = JSON.parse(await readFile(join(profiles, file), 'utf8')) as CpuProfile;
    for (const [part, us] of await attribute(profile, outdir)) totals.set(part, (totals.get(part) ?? 0) + us);
  }
  const all = [...totals.values()].reduce((a, b) => a + b, 0);
  const rows = [...totals].sort((a, b) => b[1] - a[1]);
  const ms = (us: number) => (us / 1000 / files.length).toFixed(1);
  const lines = [
    `Node ${version} (${node.note}); ${runs} runs; environment PATH only; bundle ${bundle}`,
    `phases without the profiler (medians): node start ${median(phases.map((p) => p.bootMs)).toFixed(1)} ms, ` +
      `import ${median(phases.map((p) => p.importMs)).toFixed(1)} ms, first invocation ${median(phases.map((p) => p.firstMs)).toFixed(1)} ms`,
    `profiled (sampled every ${INTERVAL_US} µs, mean per run; the profiler's own cost inflates every part alike):`,
    '',
    '| part | ms | share |',
    '| --- | ---: | ---: |',
    ...rows.map(([part, us]) => `| ${part} | ${ms(us)} | ${((100 * us) / all).toFixed(1)} % |`),
    `| total | ${ms(all)} | 100 % |`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(
      `cold-profile failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
