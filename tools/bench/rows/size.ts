/**
 * Row 3, bundle size: what a cold HTTP resend loads from the deployable bundle (minified, AWS SDK
 * bundled): `index.mjs` and the chunks it imports statically, the state table's code (the shared
 * budget on its signed client) included. The chunks loaded on demand (the DynamoDB client and
 * Powertools idempotency for a delivery with a key or the sweep, the SQS client, SDK code this
 * function never runs) are listed with their sizes but not counted.
 */
import { type BundleFile, readBundleLayout } from '../build.js';
import { atMost, type BenchRow, fixed, type Row, TARGETS } from '../row.js';

export const sizeRow: BenchRow = {
  id: 'size',
  label: 'bundle size',
  run: async ({ bundle, bundleBytes, contributors }) => {
    const { loaded, lazy } = readBundleLayout(bundle);
    return [bundleRow(bundleBytes, contributors, loaded, lazy)];
  },
};

const kb = (bytes: number) => fixed(bytes / 1000, 0);

/** A chunk and what weighs most in it: `chunk-AB12CD34.mjs 50 (@aws-lambda-powertools/jmespath)`. */
const describeFile = (file: BundleFile) =>
  `${file.name} ${kb(file.bytes)}${file.contributors[0] ? ` (${file.contributors[0].name})` : ''}`;

function bundleRow(
  bytes: number,
  top: readonly { name: string; bytes: number }[],
  loaded: readonly BundleFile[],
  lazy: readonly BundleFile[],
): Row {
  const value = bytes / 1000;
  return {
    id: 'bundle-size',
    figure: 'Bundle a cold HTTP resend loads (minified, AWS SDK bundled)',
    value,
    display: `${fixed(value, 0)} KB`,
    target: `≤ ${TARGETS.bundleKB} KB`,
    verdict: atMost(value, TARGETS.bundleKB),
    detail: [
      `loaded: ${loaded.map((file) => `${file.name} ${kb(file.bytes)}`).join(' + ')}`,
      `top: ${top
        .slice(0, 6)
        .map((c) => `${c.name} ${kb(c.bytes)}`)
        .join(', ')}`,
      `lazy, not counted: ${lazy.map(describeFile).join(', ') || 'none'}`,
    ].join('; '),
  };
}
