/** Row 3, bundle size: the deployable bundle, minified, AWS SDK bundled, and what weighs most in it. */
import { atMost, type BenchRow, fixed, type Row, TARGETS } from '../row.js';

export const sizeRow: BenchRow = {
  id: 'size',
  label: 'bundle size',
  run: async ({ bundleBytes, contributors }) => [bundleRow(bundleBytes, contributors)],
};

function bundleRow(bytes: number, top: readonly { name: string; bytes: number }[]): Row {
  const kb = bytes / 1000;
  return {
    id: 'bundle-size',
    figure: 'Bundle size (minified, AWS SDK bundled)',
    value: kb,
    display: `${fixed(kb, 0)} KB`,
    target: `≤ ${TARGETS.bundleKB} KB`,
    verdict: atMost(kb, TARGETS.bundleKB),
    detail: top
      .slice(0, 6)
      .map((c) => `${c.name} ${fixed(c.bytes / 1000, 0)}`)
      .join(', '),
  };
}
