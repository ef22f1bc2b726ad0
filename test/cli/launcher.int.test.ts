/**
 * The `dcv-resend` executable (package.json "bin", `cli/bin/dcv-resend.mjs`) with the production
 * dependencies only, as `npm ci --omit=dev` installs them: the sources it bundles and runs are
 * copied to a directory whose node_modules links only the packages the lock file does not mark
 * `dev`, so a launcher or a CLI module that needs a devDependency fails here. No registry is asked.
 */
import {
  appendFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { type ChildRun, runChild } from '../support/run-child.js';

// Each test spawns npx or node, which compiles the sources on a first run; a busy machine is slow.
vi.setConfig({ testTimeout: 90_000, hookTimeout: 60_000 });

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  bin: Record<string, string>;
};
const BIN = PACKAGE.bin['dcv-resend'] ?? '';
const LOCK = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { dev?: boolean }>;
};

/** Top-level packages `npm ci --omit=dev` installs (those of another platform are not on disk). */
function productionPackages(): string[] {
  return Object.entries(LOCK.packages)
    .filter(([path, entry]) => /^node_modules\/(@[^/]+\/)?[^/]+$/.test(path) && entry.dev !== true)
    .map(([path]) => path)
    .filter((path) => existsSync(join(ROOT, path)));
}

let app: string;

beforeAll(() => {
  app = mkdtempSync(join(tmpdir(), 'dcv-cli-prod-'));
  for (const entry of ['package.json', 'package-lock.json', 'tsconfig.json', 'cli', 'functions', 'dev']) {
    cpSync(join(ROOT, entry), join(app, entry), { recursive: true });
  }
  for (const path of productionPackages()) {
    mkdirSync(dirname(join(app, path)), { recursive: true });
    symlinkSync(join(ROOT, path), join(app, path), 'dir');
  }
});

function run(
  command: string,
  args: string[],
  env: Record<string, string> = {},
  cwd = app,
): Promise<ChildRun> {
  return runChild(command, args, {
    cwd,
    // Nothing of this machine's AWS or npm configuration; the variable the launcher defaults is unset.
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? app,
      AWS_CONFIG_FILE: join(app, 'no-aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(app, 'no-aws-credentials'),
      AWS_EC2_METADATA_DISABLED: 'true',
      DNS_SERVERS: '127.0.0.1:9',
      ...env,
    },
    timeoutMs: 60_000,
  });
}

/** `resend` through the Lambda client to an endpoint nothing listens on: the SDK client is built. */
const INVOKE_UNREACHABLE = {
  args: ['resend', '--order', '1', '--function-name', 'dcv-resend'],
  env: {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'not-a-secret',
    AWS_ENDPOINT_URL_LAMBDA: 'http://127.0.0.1:9',
  },
};

describe('dcv-resend with the production dependencies only', () => {
  it('links no devDependency into the copy it runs from', () => {
    expect(existsSync(join(app, 'node_modules', 'esbuild'))).toBe(true);
    expect(existsSync(join(app, 'node_modules', 'tsx'))).toBe(false);
    expect(existsSync(join(app, 'node_modules', 'vitest'))).toBe(false);
    expect(existsSync(join(app, 'node_modules', 'typescript'))).toBe(false);
  });

  it('npx dcv-resend --help prints the usage and exits 0', async () => {
    // Offline: were the package's own bin not found, npx would look the name up on the registry.
    const help = await run('npx', ['dcv-resend', '--help'], { npm_config_offline: 'true' });

    expect(help.stderr).toBe('');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^dcv-resend \d+\.\d+\.\d+: resend DigiCert/);
  });

  it('sends an order to the embedded simulator, run from another directory', async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'dcv-cli-cwd-'));

    const sent = await run(
      process.execPath,
      [join(app, BIN), 'resend', '--order', '701', '--json'],
      { DIGICERT_API_KEY: '' },
      elsewhere,
    );

    expect(sent.code).toBe(0);
    expect(JSON.parse(sent.stdout)).toEqual({ order_id: 701, status: 'sent' });
    expect(sent.stderr).toContain('note: using the embedded DigiCert simulator');
  });

  it("does not print the AWS SDK's Node version notice by default", async () => {
    const invoked = await run(
      process.execPath,
      [join(app, BIN), ...INVOKE_UNREACHABLE.args],
      INVOKE_UNREACHABLE.env,
    );

    expect(invoked.code).toBe(4);
    expect(invoked.stderr).toMatch(/Lambda endpoint cannot be reached/);
    expect(invoked.stderr).not.toContain('NodeVersionSupportWarning');
  });

  // The SDK warns only below Node 22: on the Lambda runtime's Node 24 there is nothing to show.
  it.runIf(Number(process.versions.node.split('.')[0]) < 22)(
    'prints the notice when AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED is false',
    async () => {
      const invoked = await run(process.execPath, [join(app, BIN), ...INVOKE_UNREACHABLE.args], {
        ...INVOKE_UNREACHABLE.env,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'false',
      });

      expect(invoked.code).toBe(4);
      expect(invoked.stderr).toContain('NodeVersionSupportWarning');
    },
  );

  it('rebuilds its bundle when a source changes', async () => {
    const before = await run(process.execPath, [join(app, BIN), '--help']);
    appendFileSync(join(app, 'cli', 'main.ts'), "\nprocess.stdout.write('edited source\\n');\n");

    const after = await run(process.execPath, [join(app, BIN), '--help']);

    expect(before.stdout).not.toContain('edited source');
    expect(after.code).toBe(0);
    expect(after.stdout).toContain('edited source');
  });
});
