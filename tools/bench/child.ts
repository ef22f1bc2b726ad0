/** Child `node` processes: their environment, and a timed run of one. */
import { spawn } from 'node:child_process';
import { SECRET_ID } from './row.js';

const CHILD_TIMEOUT_MS = 120_000;

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

export interface ChildRun {
  /** Milliseconds from spawn to the child's "done" byte on fd 3 (NaN if it never wrote one). */
  readonly doneMs: number;
  /** Milliseconds from spawn to process exit. */
  readonly exitMs: number;
  /** What the child wrote on fd 3. */
  readonly output: string;
}

/** Runs `node <args>` and times it; fails on a non-zero exit, with the child's stderr. */
export function runNode(args: readonly string[], env: Record<string, string>): Promise<ChildRun> {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    let doneMs = Number.NaN;
    let output = '';
    let stderr = '';
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
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
