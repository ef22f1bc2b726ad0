/**
 * Row 1, warm overhead: handler p50/p99 in-process, on Lambda's Node 24, interleaved in one child with
 * two floors to the same simulator: a bare pooled undici PUT, and the same PUT followed by one
 * `process.stdout.write` of a line as long as what the handler writes per invocation. Issue 26 holds
 * the p50 to 1.5x the second (the log line the contract asks for is part of the job; its system call
 * is part of any floor); the ratio to the bare PUT is shown beside it. Machine-dependent: `--gate`
 * reports it, never fails on it.
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
      lineBytes: number;
      writesPerCall: number;
      handlerP50Ms: number;
      handlerP99Ms: number;
      floorP50Ms: number;
      floorP99Ms: number;
      writeFloorP50Ms: number;
      writeFloorP99Ms: number;
    };
    const p50 = result.handlerP50Ms / result.writeFloorP50Ms;
    const p50Put = result.handlerP50Ms / result.floorP50Ms;
    const p99 = result.handlerP99Ms / result.floorP99Ms;
    const us = (ms: number) => `${fixed(ms * 1000, 0)} µs`;
    return [
      {
        id: 'warm-p50',
        figure: 'Warm overhead p50: handler / (pooled PUT + one stdout write)',
        value: p50,
        display: fixed(p50),
        target: `≤ ${TARGETS.warmP50Ratio}`,
        verdict: atMost(p50, TARGETS.warmP50Ratio),
        gated: false,
        detail: `${node.label}, ${runtimeEnvLabel()} (the stack's): handler ${us(result.handlerP50Ms)} vs floor ${us(result.writeFloorP50Ms)} (+${us(result.handlerP50Ms - result.writeFloorP50Ms)}): the pooled PUT then one process.stdout.write of ${result.lineBytes} bytes, what the handler writes per invocation (in ${fixed(result.writesPerCall, 1)} write); ${result.samples} interleaved samples each`,
      },
      {
        id: 'warm-p50-put',
        figure: 'Warm overhead p50: handler / pooled PUT',
        value: p50Put,
        display: fixed(p50Put),
        target: '—',
        verdict: 'info',
        gated: false,
        detail: `${node.label}, the same samples: the bare PUT ${us(result.floorP50Ms)}; the stdout write adds ${us(result.writeFloorP50Ms - result.floorP50Ms)} to it`,
      },
      {
        id: 'warm-p99',
        figure: 'Warm overhead p99: handler / pooled PUT',
        value: p99,
        display: fixed(p99),
        target: '—',
        verdict: 'info',
        gated: false,
        detail: `${node.label}: handler ${us(result.handlerP99Ms)} vs floor ${us(result.floorP99Ms)} (with the write ${us(result.writeFloorP99Ms)})`,
      },
    ];
  },
};
