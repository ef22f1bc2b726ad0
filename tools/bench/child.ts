/** Child `node` processes: which `node` runs them, their environment, and a timed run of one. */
import { execFile, spawn } from 'node:child_process';
import { DEPLOYED_RUNTIME_ENV } from '../../functions/app/contract.js';
import { SECRET_ID } from './fixtures.js';

const CHILD_TIMEOUT_MS = 120_000;

/** Lambda's runtime (nodejs24.x), the exact version CI tests on (`.ci/run`). */
export const LAMBDA_NODE_PACKAGE = 'node@24.21.0';
/** npx may have to fetch the package once; after that it answers from its cache in ~3 s. */
const RESOLVE_TIMEOUT_MS = 90_000;

/** The `node` binary a child runs on. */
export interface NodeRuntime {
  readonly path: string;
  /** `process.version` of that binary. */
  readonly version: string;
  /** Whether it is Lambda's major version (24); `false` means the fallback to this process's node. */
  readonly lambda: boolean;
  /** For the rows' details: the version, and loudly, why it is not Lambda's when it is not. */
  readonly label: string;
}

/**
 * Finds Lambda's Node (`npx -y -p node@24.21.0`, the npm package that ships the binary) once per
 * run, or takes this process's node when it is a Node 24 already. If it cannot be found (no registry, no cache), falls back to the node running the bench and
 * says so in `label`, which every timing row prints: figures from another major are not Lambda's.
 */
export function resolveLambdaNode(): Promise<NodeRuntime> {
  // The bench re-runs itself on Lambda's Node (index.ts): its children then run on the same binary.
  if (process.versions.node.startsWith('24.')) {
    return Promise.resolve({
      path: process.execPath,
      version: process.version,
      lambda: true,
      label: `Node ${process.version}`,
    });
  }
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && name !== 'NODE_OPTIONS') env[name] = value;
  }
  return new Promise((resolvePromise) => {
    execFile(
      'npx',
      ['-y', '-p', LAMBDA_NODE_PACKAGE, 'node', '-p', 'process.execPath + "\\n" + process.version'],
      { env, timeout: RESOLVE_TIMEOUT_MS, killSignal: 'SIGKILL', encoding: 'utf8' },
      (error, stdout, stderr) => {
        const [path, version] = stdout.trim().split('\n');
        if (!error && path && version?.startsWith('v24.')) {
          resolvePromise({ path, version, lambda: true, label: `Node ${version}` });
          return;
        }
        const reason = error
          ? `${error.message.split('\n')[0]} ${stderr.trim().split('\n').at(-1) ?? ''}`.trim()
          : `it printed ${JSON.stringify(stdout.trim().slice(0, 200))}`;
        resolvePromise({
          path: process.execPath,
          version: process.version,
          lambda: false,
          label: `!! Node ${process.version}, NOT Lambda's Node 24 (npx -p ${LAMBDA_NODE_PACKAGE} failed: ${reason.slice(0, 300)})`,
        });
      },
    );
  });
}

/**
 * The environment of the child processes: this shell's environment (so that `node -e 0` is the
 * same "fresh node" you would time by hand), minus anything that would load code or reach AWS
 * (NODE_OPTIONS, AWS_*, DIGICERT_*), plus the function's configuration pointing at the stand-ins.
 * With `clean`, only PATH is kept: closer to Lambda, whose environment has no NODE_EXTRA_CA_CERTS.
 */
export function childEnv(extra: Record<string, string>, clean = false): Record<string, string> {
  const inherited: Record<string, string> = {};
  if (!clean) {
    for (const [name, value] of Object.entries(process.env)) {
      if (value === undefined || name === 'NODE_OPTIONS' || /^(AWS_|DIGICERT_|BENCH_)/.test(name)) continue;
      inherited[name] = value;
    }
  }
  return {
    ...inherited,
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDLOCALSTANDIN',
    AWS_SECRET_ACCESS_KEY: 'local-stand-in-secret',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    DIGICERT_API_KEY_SECRET_ID: SECRET_ID,
    ...extra,
  };
}

/**
 * A child environment without the variables the stack sets for our function's runtime process
 * (`DEPLOYED_RUNTIME_ENV`: `MALLOC_ARENA_MAX`), also when this shell sets them (children inherit
 * it): for the peers, which a user would deploy without them.
 */
export function withoutRuntimeEnv(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !(name in DEPLOYED_RUNTIME_ENV)));
}

/** The runtime variables our children get, for the rows' details: `MALLOC_ARENA_MAX=2`. */
export function runtimeEnvLabel(): string {
  const pairs = Object.entries(DEPLOYED_RUNTIME_ENV).map(([name, value]) => `${name}=${value}`);
  return pairs.length > 0 ? pairs.join(' ') : 'no runtime variables';
}

/**
 * The flags Lambda's Node.js bootstrap (`/var/runtime/bootstrap`) starts `node` with for a function
 * of `memoryMB`: a tenth of the memory for V8's young generation (half of it per semi-space), the rest
 * for the old generation, `--expose-gc` and a larger header limit. Shell integer arithmetic, as there.
 * The memory row runs its children with them, so that the heap sizes it reports are the ones V8 picks
 * on Lambda, not the ones it picks for this machine's memory.
 */
export function lambdaNodeFlags(memoryMB: number): string[] {
  const newSpace = Math.trunc(memoryMB / 10);
  const semiSpace = Math.trunc(newSpace / 2);
  const oldSpace = memoryMB - newSpace;
  return [
    '--expose-gc',
    '--max-http-header-size',
    '81920',
    `--max-semi-space-size=${semiSpace}`,
    `--max-old-space-size=${oldSpace}`,
  ];
}

export interface ChildRun {
  /** Milliseconds from spawn to the child's "done" byte on fd 3 (NaN if it never wrote one). */
  readonly doneMs: number;
  /** Milliseconds from spawn to process exit. */
  readonly exitMs: number;
  /** What the child wrote on fd 3. */
  readonly output: string;
}

/**
 * Runs `node <args>` (this process's node, or `node` given) and times it; fails on a non-zero
 * exit, with the child's stderr.
 */
export function runNode(
  args: readonly string[],
  env: Record<string, string>,
  node: string = process.execPath,
): Promise<ChildRun> {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    let doneMs = Number.NaN;
    let output = '';
    let stderr = '';
    const child = spawn(node, args, { env, stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.stdio[3]?.on('data', (chunk: Buffer) => {
      if (Number.isNaN(doneMs)) doneMs = performance.now() - started;
      output += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const exitMs = performance.now() - started;
      if (code === 0) resolvePromise({ doneMs, exitMs, output });
      else
        reject(new Error(`node ${args[0]} exited with ${code ?? signal}: ${stderr.trim().slice(0, 2000)}`));
    });
  });
}
