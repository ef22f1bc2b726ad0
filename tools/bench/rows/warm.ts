/**
 * Row 1, warm overhead: handler p50/p99 in-process over a bare pooled undici PUT to the same
 * simulator, on Lambda's Node 24. Machine-dependent: `--gate` reports it, never fails on it.
 */
import { runNode, runtimeEnvLabel } from '../child.js';
import { atMost, type BenchRow, fixed, TARGETS } from '../row.js';

export const warmRow: BenchRow = {
  id: 'warm',
  label: 'warm overhead',
  async run({ probe, bundle, env, lambdaNode }) {
    const node = await lambdaNode();
    const run = await runNode([probe, bundle, 'warm'], env, node.path);
    const result = JSON.parse(run.output) as {
      samples: number;
      handlerP50Ms: number;
      handlerP99Ms: number;
      floorP50Ms: number;
      floorP99Ms: number;
    };
    const p50 = result.handlerP50Ms / result.floorP50Ms;
    const p99 = result.handlerP99Ms / result.floorP99Ms;
    const us = (ms: number) => `${fixed(ms * 1000, 0)} µs`;
    return [
      {
        id: 'warm-p50',
        figure: 'Warm overhead p50: handler / pooled PUT',
        value: p50,
        display: fixed(p50),
        target: `≤ ${TARGETS.warmP50Ratio}`,
        verdict: atMost(p50, TARGETS.warmP50Ratio),
        gated: false,
        detail: `${node.label}, ${runtimeEnvLabel()} (the stack's): handler ${us(result.handlerP50Ms)} vs floor ${us(result.floorP50Ms)} (+${us(result.handlerP50Ms - result.floorP50Ms)}), ${result.samples} interleaved samples each`,
      },
      {
        id: 'warm-p99',
        figure: 'Warm overhead p99: handler / pooled PUT',
        value: p99,
        display: fixed(p99),
        target: '—',
        verdict: 'info',
        gated: false,
        detail: `${node.label}: handler ${us(result.handlerP99Ms)} vs floor ${us(result.floorP99Ms)}`,
      },
    ];
  },
};
