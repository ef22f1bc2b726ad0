#!/usr/bin/env node
/**
 * The `dcv-resend` executable. `npm run build:cli` bundles this file and everything it imports
 * into `cli/bin/dcv-resend.mjs` (package.json "bin"), so the command runs on plain `node` with no
 * `node_modules` at all: no tsx, no devDependency.
 */

// The AWS SDK prints a nine-line notice on every run under Node 20 that its future releases need
// Node 22. The SDK is pinned here, so the notice is nothing a CLI user can act on. Set before the
// SDK is loaded (the import below), and only when the user has not chosen for themselves.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const { main } = await import('./main.js');
process.exitCode = await main(process.argv.slice(2));
