/**
 * What every benchmark row shares: the figure it reports, the budget it is held to, and the
 * context the runner prepares once (the built bundle and probe, the stand-ins, the child's
 * environment). One row per file in `rows/`; `index.ts` runs them.
 */
import type { DigiCertSimulator } from '../../dev/digicert-simulator.js';
import type { SecretsManagerStandIn } from '../../dev/secrets-manager-standin.js';
import type { NodeRuntime } from './child.js';

/** The budget. Keep these; if one is wrong, say why in docs/performance.md rather than moving it. */
export const TARGETS = {
  /**
   * Issue 16: validation and the required log line alone cost more than 10 % of a loopback PUT.
   * Issue 26: over the PUT followed by one stdout write of the handler's log line's size.
   */
  warmP50Ratio: 1.5,
  coldImportRatio: 2.2,
  coldFirstInvocationRatio: 3.3,
  bundleKB: 650,
  secretsManagerCalls: 1,
  batchOverBound: 1.1,
  /** Heap used after a full GC, after 10,000 invocations over after 1,000 (issue 16; was RSS). */
  memoryGrowth: 1.05,
  /**
   * Issue 26: RSS after 10,000 invocations over the RSS of a process doing the same 10,000 PUTs
   * through a bare undici Pool, in the same run (was `memoryMB: 100`, which no Node 24 process doing
   * this job meets: docs/performance.md).
   */
  memoryOverFloor: 1,
  /** Cold start (import + first invocation) of ours over the naive handler's, on Node 24. */
  peersColdRatio: 0.6,
  /** Issue 26: the same with our state table on (a table round trip of 5 ms), over the naive handler's. */
  deployedColdRatio: 0.75,
  /** Issue 26: warm p50 of ours over the naive handler's, in one process. */
  peersWarmRatio: 1.1,
  /** Issue 26: the `enforce` pre-check's added p50 over a warm resend's with the pre-check off. */
  precheckEnforceShare: 0.1,
  queueDrainRatio: 0.9,
  queueDuplicates: 0,
  /** Issue 24: a 10,000-order sweep within 1.2x of what its share of the budget allows. */
  sweepTimeRatio: 1.2,
  sweepDuplicates: 0,
  /** Issue 26: state-table requests per order sent (one write takes a slot, one releases it). */
  tablePlain: 2,
  tableKeyed: 4,
  tableBatch: 4,
  /** Issue 26: DNS DCV at scale, Route 53 requests per order (find the zone, publish, INSYNC, clean up). */
  dnsRoute53PerOrder: 6,
  /** Route 53's own limit: about 5 requests per second per account. */
  dnsRoute53PerSecond: 5,
  dnsRecordsLeft: 0,
} as const;

export type Verdict = 'PASS' | 'MISS' | 'n/a' | 'info';

/** One line of the table. */
export interface Row {
  readonly id: string;
  readonly figure: string;
  readonly value: number | null;
  readonly display: string;
  readonly target: string;
  readonly verdict: Verdict;
  readonly detail: string;
  /** `false`: a machine-dependent figure that `--gate` reports but never fails on. @default true */
  readonly gated?: boolean;
}

/** What the runner prepares once for every row. */
export interface BenchContext {
  /** The repository root, and the folder the builds go to (`.bench/`). */
  readonly root: string;
  readonly out: string;
  /**
   * The deployable bundle's entry (`index.mjs`), built as the stack builds it; other files of the
   * build (chunks, the source map) sit next to it.
   */
  readonly bundle: string;
  readonly bundleBytes: number;
  /** Bytes per package in the bundle, largest first. */
  readonly contributors: readonly { readonly name: string; readonly bytes: number }[];
  /** The child probe (`probe.ts`), bundled. */
  readonly probe: string;
  /** The children's environment: the function's configuration pointing at the stand-ins. */
  readonly env: Record<string, string>;
  /** The same with nothing inherited but PATH, as on Lambda. */
  readonly cleanEnv: Record<string, string>;
  readonly secrets: SecretsManagerStandIn;
  /** The DigiCert simulator the children's environment points at. */
  readonly simulator: DigiCertSimulator;
  /** A DigiCert simulator that answers after `BATCH_LATENCY_MS`, for the batch row. */
  readonly slowSimulator: DigiCertSimulator;
  /**
   * The `node` the timing rows (warm, cold, memory, peers) run their children on: Lambda's Node 24,
   * found on first call and then remembered, or this process's node with a loud label.
   */
  lambdaNode(): Promise<NodeRuntime>;
}

/** One row of the benchmark (`--only=<id>` selects it). */
export interface BenchRow {
  readonly id: string;
  /** What the progress line says while it runs. */
  readonly label: string;
  run(context: BenchContext): Promise<Row[]>;
}

/** An integer environment setting, clamped to `[min, max]`. */
export function boundedInt(name: string, fallback: number, min: number, max: number): number {
  const value = Number(process.env[name] ?? fallback);
  return Number.isInteger(value) ? Math.min(max, Math.max(min, value)) : fallback;
}

/** A progress line on standard error (standard output is the report). */
export function progress(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

export const fixed = (value: number, digits = 2) => value.toFixed(digits);
export const atMost = (value: number, limit: number): Verdict => (value <= limit ? 'PASS' : 'MISS');
