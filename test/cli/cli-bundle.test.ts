import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CLI_BUNDLE, CLI_BUNDLE_PATH, renderCliBundle } from '../../tools/build-cli.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  bin: Record<string, string>;
};

describe('the committed CLI bundle', () => {
  it('is what npm run build:cli builds from the current sources (run it after changing the CLI or the code it bundles)', async () => {
    // Compared as one boolean: a diff of two 850 KB minified lines would only bury the fix.
    const fresh = readFileSync(CLI_BUNDLE_PATH, 'utf8') === (await renderCliBundle());
    expect(fresh, 'cli/bin/dcv-resend.mjs is stale: run npm run build:cli').toBe(true);
  });

  it('is the package\'s "bin", executable, and starts with a node shebang', () => {
    expect(PACKAGE.bin['dcv-resend']).toBe(CLI_BUNDLE);
    expect(statSync(CLI_BUNDLE_PATH).mode & 0o111).not.toBe(0);
    expect(readFileSync(CLI_BUNDLE_PATH, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });
});
