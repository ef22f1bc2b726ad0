/**
 * Row 7, peers (issue 16): our function beside the same function written two other ways
 * (`tools/bench/peers/`): a naive handler built from the same packages, and a careful team's with
 * Powertools (Parser, Parameters, Logger, Metrics). Each peer is bundled the plain way
 * (`buildPeer`). Side by side, on Lambda's Node 24: bundle size, cold start (fresh process, import
 * plus first invocation to the answer, medians of interleaved runs, in this environment and a clean
 * one) and warm p50/p99 (one process, interleaved with each other and a bare pooled PUT; issue 26:
 * ours within 1.10x the naive handler's p50).
 * Ours runs with the variables the stack sets for its runtime process (`MALLOC_ARENA_MAX`), the peers
 * without; the warm process holds all three, so there they share ours.
 * A peer that does not answer 204 fails the row. Only the bundle figure is machine-independent;
 * `--gate` reports the timing figures, never fails on them.
 */
import { buildPeer, PEERS, type PeerName } from '../build.js';
import { type NodeRuntime, runNode, runtimeEnvLabel, withoutRuntimeEnv } from '../child.js';
import {
  atMost,
  type BenchContext,
  type BenchRow,
  boundedInt,
  fixed,
  progress,
  type Row,
  TARGETS,
} from '../row.js';
import { type ColdKind, coldScript, interleavedColdRuns } from './cold.js';
import { sizeRow } from './size.js';

const COLD_RUNS = boundedInt('BENCH_COLD_RUNS', 15, 3, 51);

type Side = 'ours' | PeerName;
const SIDES: readonly Side[] = ['ours', ...PEERS];

export const peersRow: BenchRow = {
  id: 'peers',
  label: `ours beside a naive and a Powertools handler (${COLD_RUNS} cold runs of each)`,
  run: peers,
};

async function peers(context: BenchContext): Promise<Row[]> {
  const [node, naive, powertools] = await Promise.all([
    context.lambdaNode(),
    buildPeer(context.root, context.out, 'naive'),
    buildPeer(context.root, context.out, 'powertools'),
  ]);
  const bundles: Record<Side, string> = {
    ours: context.bundle,
    naive: naive.bundle,
    powertools: powertools.bundle,
  };
  const kb: Figures = {
    ours: await ourBundleKB(context),
    naive: naive.bytes / 1000,
    powertools: powertools.bytes / 1000,
  };

  const failed = await failedSides(bundles, context.env, node);
  if (failed.length > 0) {
    return [
      {
        id: 'peers-answer',
        figure: 'Peers: every function answers 204',
        value: failed.length,
        display: `${failed.length} failed`,
        target: 'all 204',
        verdict: 'MISS',
        detail: `${node.label}: ${failed.join('; ')}`,
      },
    ];
  }

  const cold = await coldSideBySide(bundles, context.env, node, 'peers, this environment');
  const clean = await coldSideBySide(bundles, context.cleanEnv, node, 'peers, clean environment');
  progress('peers: warm, interleaved in one process');
  const warm = await warmSideBySide(context.probe, bundles, context.env, node);
  return [bundleRow(kb), ...coldRows(cold, clean, node), ...warmRows(warm, node)];
}

/** Our bundle's size as the size row reports it (whatever files it counts), in KB. */
async function ourBundleKB(context: BenchContext): Promise<number> {
  const [row] = await sizeRow.run(context);
  return row?.value ?? context.bundleBytes / 1000;
}

/** One cold invocation of each side; the sides that did not answer 204, with the reason. */
async function failedSides(
  bundles: Record<Side, string>,
  env: Record<string, string>,
  node: NodeRuntime,
): Promise<string[]> {
  const failed: string[] = [];
  for (const side of SIDES) {
    try {
      await runNode(['-e', coldScript(bundles[side], true)], sideEnv(side, env), node.path);
    } catch (error) {
      failed.push(`${side}: ${error instanceof Error ? error.message : String(error)}`.slice(0, 600));
    }
  }
  return failed;
}

/**
 * Ours runs with the variables the stack sets for the runtime process (`MALLOC_ARENA_MAX`); the
 * peers without, since a user deploying them would not set them.
 */
function sideEnv(side: Side, env: Record<string, string>): Record<string, string> {
  return side === 'ours' ? env : withoutRuntimeEnv(env);
}

interface Figures {
  readonly ours: number;
  readonly naive: number;
  readonly powertools: number;
}

/** `a | b | c` in SIDES order. */
const sideBySide = (figures: Figures, format: (value: number) => string) =>
  SIDES.map((side) => format(figures[side])).join(' | ');
const aheadOfBoth = (figures: Figures) => figures.ours < figures.naive && figures.ours < figures.powertools;
const overBestPeer = (figures: Figures) => figures.ours / Math.min(figures.naive, figures.powertools);
const ms = (value: number) => fixed(value, 0);
const us = (valueMs: number) => fixed(valueMs * 1000, 0);

function bundleRow(kb: Figures): Row {
  return {
    id: 'peers-bundle',
    figure: 'Peers: bundle KB, ours | naive | powertools',
    value: overBestPeer(kb),
    display: `${sideBySide(kb, (v) => fixed(v, 0))} KB`,
    target: 'ours smallest',
    verdict: aheadOfBoth(kb) ? 'PASS' : 'MISS',
    detail: `ours as the size row counts it; each peer its one index.mjs (esbuild, ESM, minified, node24, AWS SDK bundled, no alias, externals, define or splitting); ours / smaller peer ${fixed(overBestPeer(kb))}`,
  };
}

interface ColdSideBySide extends Figures {
  readonly baseline: number;
}

/** Import + first invocation to the answer, medians of `COLD_RUNS` interleaved runs of each side and `node -e 0`. */
async function coldSideBySide(
  bundles: Record<Side, string>,
  env: Record<string, string>,
  node: NodeRuntime,
  label: string,
): Promise<ColdSideBySide> {
  const kinds: ColdKind[] = [
    { name: 'baseline', args: ['-e', '0'], exitTimed: true, env: withoutRuntimeEnv(env) },
    ...SIDES.map((side) => ({
      name: side,
      args: ['-e', coldScript(bundles[side], true)],
      env: sideEnv(side, env),
    })),
  ];
  const { done } = await interleavedColdRuns(kinds, COLD_RUNS, env, node, label);
  const at = (name: string) => done[name] ?? Number.NaN;
  return { baseline: at('baseline'), ours: at('ours'), naive: at('naive'), powertools: at('powertools') };
}

function coldRows(cold: ColdSideBySide, clean: ColdSideBySide, node: NodeRuntime): Row[] {
  const ratio = cold.ours / cold.naive;
  const cleanRatio = clean.ours / clean.naive;
  const overBaseline = (c: ColdSideBySide) => sideBySide(c, (v) => fixed(v / c.baseline));
  return [
    {
      id: 'peers-cold-naive',
      figure: 'Peers: cold start, ours / naive handler',
      value: ratio,
      display: fixed(ratio),
      target: `≤ ${TARGETS.peersColdRatio}`,
      verdict: ratio <= TARGETS.peersColdRatio ? 'PASS' : 'MISS',
      gated: false,
      detail: `${node.label}, import + first invocation to the answer in a fresh process, medians of ${COLD_RUNS} interleaved runs: ours ${ms(cold.ours)} ms, naive ${ms(cold.naive)} ms (node -e 0 ${ms(cold.baseline)} ms); ours with the stack's ${runtimeEnvLabel()}, the peers and node -e 0 without (a user deploying them would not set it)`,
    },
    {
      id: 'peers-cold',
      figure: 'Peers: cold start ms, ours | naive | powertools',
      value: overBestPeer(cold),
      display: `${sideBySide(cold, ms)} ms`,
      target: 'ours fastest',
      verdict: aheadOfBoth(cold) ? 'PASS' : 'MISS',
      gated: false,
      detail: `${node.label}, the same runs: over node -e 0 (${ms(cold.baseline)} ms) ${overBaseline(cold)}; ours / powertools ${fixed(cold.ours / cold.powertools)}`,
    },
    {
      id: 'peers-cold-clean-env',
      figure: 'Peers, clean env: cold start, ours / naive handler',
      value: cleanRatio,
      display: fixed(cleanRatio),
      target: '—',
      verdict: 'info',
      gated: false,
      detail: `${node.label}, environment = PATH only (as on Lambda): ${sideBySide(clean, ms)} ms (ours | naive | powertools), node -e 0 ${ms(clean.baseline)} ms; over it ${overBaseline(clean)}; ours / powertools ${fixed(clean.ours / clean.powertools)}`,
    },
  ];
}

interface Quantiles {
  readonly p50Ms: number;
  readonly p99Ms: number;
}

interface WarmSideBySide {
  readonly samples: number;
  readonly floor: Quantiles;
  readonly p50: Figures;
  readonly p99: Figures;
}

async function warmSideBySide(
  probe: string,
  bundles: Record<Side, string>,
  env: Record<string, string>,
  node: NodeRuntime,
): Promise<WarmSideBySide> {
  const args = [probe, bundles.ours, 'peers-warm', ...PEERS.map((name) => `${name}=${bundles[name]}`)];
  const run = await runNode(args, env, node.path);
  const result = JSON.parse(run.output) as {
    samples: number;
    floor: Quantiles;
    handlers: Partial<Record<Side, Quantiles>>;
  };
  const pick = (q: keyof Quantiles): Figures => ({
    ours: result.handlers.ours?.[q] ?? Number.NaN,
    naive: result.handlers.naive?.[q] ?? Number.NaN,
    powertools: result.handlers.powertools?.[q] ?? Number.NaN,
  });
  return { samples: result.samples, floor: result.floor, p50: pick('p50Ms'), p99: pick('p99Ms') };
}

function warmRows(warm: WarmSideBySide, node: NodeRuntime): Row[] {
  const overFloor = (figures: Figures, floor: number) => sideBySide(figures, (v) => fixed(v / floor));
  const overNaive = warm.p50.ours / warm.p50.naive;
  return [
    {
      id: 'peers-warm-p50',
      figure: 'Peers: warm p50 µs, ours | naive | powertools',
      value: overNaive,
      display: `${sideBySide(warm.p50, us)} µs`,
      target: `ours ≤ ${TARGETS.peersWarmRatio} × naive`,
      verdict: atMost(overNaive, TARGETS.peersWarmRatio),
      gated: false,
      detail: `${node.label}, one process, ${warm.samples} samples each interleaved with a bare pooled PUT (${us(warm.floor.p50Ms)} µs): ours / naive ${fixed(overNaive)}, ours / powertools ${fixed(warm.p50.ours / warm.p50.powertools)}; over the PUT ${overFloor(warm.p50, warm.floor.p50Ms)}; one process has one environment, ours (${runtimeEnvLabel()})`,
    },
    {
      id: 'peers-warm-p99',
      figure: 'Peers: warm p99 µs, ours | naive | powertools',
      value: overBestPeer(warm.p99),
      display: `${sideBySide(warm.p99, us)} µs`,
      target: '—',
      verdict: 'info',
      gated: false,
      detail: `${node.label}, the same samples; bare pooled PUT ${us(warm.floor.p99Ms)} µs: over it ${overFloor(warm.p99, warm.floor.p99Ms)}`,
    },
  ];
}
