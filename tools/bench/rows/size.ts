/**
 * Row 3, bundle size: what a cold HTTP resend loads from the deployable bundle (minified, AWS SDK
 * bundled) in the deployed configuration: `index.mjs` and the chunks it imports statically, and the
 * state table's chunk (the DynamoDB client and the shared budget) that its first DigiCert call loads. The chunks loaded on demand (Powertools
 * idempotency, the SQS client) are listed with their sizes but not counted.
 */
import { type BundleFile, readBundleLayout } from '../build.js';
import { atMost, type BenchRow, fixed, type Row, TARGETS } from '../row.js';

export const sizeRow: BenchRow = {
  id: 'size',
  label: 'bundle size',
  run: async ({ bundle, bundleBytes, contributors }) => {
    const { loaded, withoutTable, lazy } = readBundleLayout(bundle);
    return [bundleRow(bundleBytes, contributors, loaded, withoutTable, lazy)];
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
  withoutTable: readonly BundleFile[],
  lazy: readonly BundleFile[],
): Row {
  const sum = (files: readonly BundleFile[]) => files.reduce((total, file) => total + file.bytes, 0);
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
      `without a state table (local runs): ${kb(sum(withoutTable))} KB`,
      `lazy, not counted: ${lazy.map(describeFile).join(', ') || 'none'}`,
    ].join('; '),
  };
}
