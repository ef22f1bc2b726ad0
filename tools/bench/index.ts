/**
 * `npm run bench` (`-- --json` for JSON on stdout, `-- --only=size,secrets` for some rows, `-- --gate`
 * to fail on a missed target): builds the deployable bundle exactly as the stack does
 * (`tools/bundle-options.ts`) and measures it against the budget every change must keep.
 * Not a test: figures depend on the machine, so each is a ratio to a baseline measured in the same
 * run, interleaved with it. Everything talks to 127.0.0.1 only (the DigiCert simulator and the
 * Secrets Manager stand-in run in this process); every loop is bounded, and the whole run is cut
 * off after `BENCH_MAX_SECONDS` (default 900: the timing rows alone take minutes on a loaded machine).
 *
 * The whole bench runs on Lambda's Node 24: started on an older node (`npm run bench` is `tsx` on the
 * machine's node), it finds `npx -p node@24.21.0` and runs itself again on it, with tsx's loader, so
 * that the in-process rows measure Lambda's runtime too (`BENCH_NODE=current` keeps it on this node).
 * The timing rows (warm, cold, memory, peers) run their children on the same node. If it cannot be
 * found, everything runs on this node, and the progress, the timing rows and the table's last line
 * say so loudly. Timing rows are informative: `--gate` fails only on the machine-independent rows.
 *
 * One file per row in `rows/` (details in docs/performance.md), run in this order:
 *   warm     handler p50/p99 in-process over a bare pooled undici PUT to the same simulator
 *   cold     fresh `node` importing the bundle (and completing a first invocation) over `node -e 0`
 *   cold-state  the same in the deployed configuration: a state table (dynalite), source maps
 *   size     bundle size, minified, AWS SDK bundled
 *   secrets  Secrets Manager calls for 50 concurrent cold + 1,000 warm invocations in one process
 *   batch    a 500-order batch at 20 ms DigiCert latency over the rate limiter's theoretical bound
 *   memory   heap used after a full GC after 10,000 invocations over after 1,000; RSS after 10,000
 *   peers    ours beside a naive handler and a Powertools one (`peers/`): bundle, cold, warm p50/p99
 *   precheck the DCV pre-check's added warm latency with cached DNS answers
 *   shared-budget  4 containers (processes) on one state table: orders/s over the sustained limit, 429s
 *   queue    10,000 orders through the bulk queue (local-aws-sqs) by two consumers sharing a scaled
 *            budget: drained rate over the sustained limit, and requests beyond one per order
 *   sweep    the pending-DCV sweep of 10,000 orders through the queue, report and resend: time over
 *            what the sweep's budget share allows, DigiCert requests per order, duplicates
 *   table    state-table requests per order sent (dynalite behind a counting proxy): plain HTTP,
 *            with an Idempotency-Key, a direct batch
 *   cost     US$ per 1,000 resends and per 1,000 DNS validations from counts measured in the run
 *            (`cost.ts` holds the prices), ours beside a naive deployment
 *   latency-deployed  the p50 a 5 ms round trip per table call adds to a warm resend, over the same
 *            handler without a state table
 *   cold-deployed  a fresh process with the state table (5 ms per table call), import + first
 *            resend, over the naive peer's import + first call
 *   dns-scale  100 DNS-DCV workflows at once across 4 containers on one state table: Route 53
 *            requests per order, the most in any second (Route 53 allows 5), records left, validated
 */
import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DigiCertSimulator } from '../../dev/digicert-simulator.js';
import { LocalDnsServer } from '../../dev/dns-server.js';
import { pointSdkAt, quietSdkNodeWarning } from '../../dev/sdk-endpoint.js';
import { SecretsManagerStandIn } from '../../dev/secrets-manager-standin.js';
import { DEPLOYED_RUNTIME_ENV } from '../../functions/app/contract.js';
import { buildBundle, buildProbe, contributors } from './build.js';
import { childEnv, type NodeRuntime, resolveLambdaNode } from './child.js';
import { KEY, SECRET_ID } from './fixtures.js';
import { type BenchContext, type BenchRow, boundedInt, progress, type Row } from './row.js';
import { BATCH_LATENCY_MS, batchRow } from './rows/batch.js';
import { coldRow } from './rows/cold.js';
import { coldDeployedRow } from './rows/cold-deployed.js';
import { coldStateRow } from './rows/cold-state.js';
import { costRow } from './rows/cost.js';
import { dnsScaleRow } from './rows/dns-scale.js';
import { latencyDeployedRow } from './rows/latency-deployed.js';
import { memoryRow } from './rows/memory.js';
import { peersRow } from './rows/peers.js';
import { precheckRow } from './rows/precheck.js';
import { queueRow } from './rows/queue.js';
import { secretsRow } from './rows/secrets.js';
import { sharedBudgetBenchRow } from './rows/shared-budget.js';
import { sizeRow } from './rows/size.js';
import { sweepRow } from './rows/sweep.js';
import { tableRow } from './rows/table.js';
import { warmRow } from './rows/warm.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const OUT = join(ROOT, '.bench');

const ROWS: readonly BenchRow[] = [
  warmRow,
  coldRow,
  coldStateRow,
  sizeRow,
  secretsRow,
  batchRow,
  memoryRow,
  peersRow,
  precheckRow,
  sharedBudgetBenchRow,
  queueRow,
  sweepRow,
  tableRow,
  dnsScaleRow,
  costRow,
  latencyDeployedRow,
  coldDeployedRow,
];

interface Options {
  readonly json: boolean;
  readonly gate: boolean;
  readonly rows: readonly BenchRow[];
}

function parseOptions(argv: readonly string[]): Options {
  const known = new Set(['--json', '--gate']);
  let rows = ROWS;
  for (const arg of argv) {
    if (arg.startsWith('--only=')) {
      const ids = arg.slice('--only='.length).split(',');
      const unknown = ids.filter((id) => !ROWS.some((row) => row.id === id));
      if (unknown.length > 0) {
        throw new Error(
          `unknown row ${unknown.join(', ')} in --only; rows: ${ROWS.map((r) => r.id).join(', ')}`,
        );
      }
      rows = ROWS.filter((row) => ids.includes(row.id));
    } else if (!known.has(arg)) {
      throw new Error(`unknown argument ${arg}; use --only=<rows>, --json, --gate`);
    }
  }
  return { json: argv.includes('--json'), gate: argv.includes('--gate'), rows };
}

function table(rows: readonly Row[]): string {
  const header = ['Figure', 'Measured', 'Target', 'Result'];
  const cells = rows.map((r) => [r.figure, r.display, r.target, r.verdict]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] as string).length)));
  const line = (c: readonly string[]) => c.map((v, i) => v.padEnd(widths[i] as number)).join(' | ');
  const details = rows.map((r) => `- ${r.figure}: ${r.detail}`);
  return [
    line(header),
    widths.map((w) => '-'.repeat(w)).join('-|-'),
    ...cells.map(line),
    '',
    ...details,
  ].join('\n');
}

/**
 * On a node older than Lambda's 24 (and without `BENCH_NODE=current`), runs this bench again on
 * Lambda's Node 24 with tsx's loader and answers its exit code; `undefined` to run here, with the
 * node it fell back to when Node 24 could not be found.
 */
async function onLambdaNode(): Promise<{ code?: number; fallback?: NodeRuntime }> {
  if (Number(process.versions.node.split('.')[0]) >= 24 || process.env.BENCH_NODE === 'current') return {};
  const node = await resolveLambdaNode();
  if (!node.lambda) return { fallback: node };
  progress(
    `running on ${node.label} (${node.path}), started on ${process.version}; BENCH_NODE=current keeps it there`,
  );
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const child = spawn(
    node.path,
    ['--import', tsx, fileURLToPath(import.meta.url), ...process.argv.slice(2)],
    { stdio: 'inherit', env: { ...process.env, BENCH_NODE: 'current' } },
  );
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on('SIGINT', forward).on('SIGTERM', forward);
  return new Promise((resolvePromise, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => resolvePromise({ code: code ?? (signal ? 2 : 1) }));
  });
}

async function main(): Promise<number> {
  quietSdkNodeWarning();
  let options: Options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    progress(error instanceof Error ? error.message : String(error));
    return 2;
  }
  const { code, fallback } = await onLambdaNode();
  if (code !== undefined) return code;
  const benchNode = fallback
    ? fallback.label
    : `Node ${process.version}${process.versions.node.startsWith('24.') ? '' : " (BENCH_NODE=current: not Lambda's Node 24)"}`;
  progress(`the bench runs on ${benchNode}`);
  const limitS = boundedInt('BENCH_MAX_SECONDS', 900, 30, 1800);
  setTimeout(() => {
    progress(`gave up after ${limitS} s`);
    process.exit(2);
  }, limitS * 1000).unref();

  await mkdir(OUT, { recursive: true });
  progress('building the bundle (tools/bundle-options.ts) and the probe');
  const [{ bundle, bytes, metafile }, probe] = await Promise.all([
    buildBundle(ROOT, OUT),
    buildProbe(ROOT, OUT),
  ]);
  const top = contributors(metafile);

  const simulator = await DigiCertSimulator.start({ validKeys: [KEY] });
  const slowSimulator = await DigiCertSimulator.start({ validKeys: [KEY], latencyMs: BATCH_LATENCY_MS });
  const secrets = await SecretsManagerStandIn.start({ [SECRET_ID]: KEY });
  // The benchmark request's address is a constructed one at example.com (fixtures.ts): the domain
  // receives mail, as a typical request's does. Without an MX record the pre-check would report
  // its no-MX warning on every request of every row, a line a real deployment writes only for
  // domains that cannot receive the email at all.
  const dns = await LocalDnsServer.start({ mx: { 'example.com': ['mx.example.com'] } });
  pointSdkAt(secrets.endpoint);
  // The simulator records every request; the probes send tens of thousands.
  const trim = setInterval(() => simulator.reset(), 1_000);
  const functionEnv = {
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
    DIGICERT_BASE_URL: simulator.baseUrl,
    BENCH_DIGICERT_KEY: KEY,
    // The probes send thousands of requests a second to the simulator: the rate limiter at its
    // highest settings never makes them wait. The batch row is the one that measures the limiter.
    DIGICERT_RATE_LIMIT_PER_5S: '1000000',
    DIGICERT_RATE_LIMIT_PER_3MIN: '1000000',
    // The pre-check (warn by default) asks DNS: a loopback server, never this machine's resolver.
    DNS_SERVERS: dns.address,
  };
  let lambdaNode: Promise<NodeRuntime> | undefined;
  let runtime: NodeRuntime | undefined;
  const context: BenchContext = {
    root: ROOT,
    out: OUT,
    bundle,
    bundleBytes: bytes,
    contributors: top,
    probe,
    // With what the stack sets for the runtime process (glibc's MALLOC_ARENA_MAX), so that every
    // row runs our bundle as deployed; the peers row takes it off for the peers.
    env: childEnv({ ...functionEnv, ...DEPLOYED_RUNTIME_ENV }),
    cleanEnv: childEnv({ ...functionEnv, ...DEPLOYED_RUNTIME_ENV }, true),
    secrets,
    simulator,
    slowSimulator,
    lambdaNode: () => {
      lambdaNode ??= (fallback ? Promise.resolve(fallback) : resolveLambdaNode()).then((found) => {
        progress(`timing rows run on ${found.label} (${found.path})`);
        runtime = found;
        return found;
      });
      return lambdaNode;
    },
  };

  const rows: Row[] = [];
  try {
    for (const row of options.rows) {
      progress(row.label);
      rows.push(...(await row.run(context)));
    }
  } finally {
    clearInterval(trim);
    await Promise.all([simulator.close(), slowSimulator.close(), secrets.close(), dns.close()]);
  }

  const report = {
    generatedAt: new Date().toISOString(),
    node: process.version,
    /** The node the timing rows' children ran on, if any ran. */
    timingNode: runtime ? { version: runtime.version, path: runtime.path, lambda: runtime.lambda } : null,
    platform: `${process.platform}-${process.arch}`,
    cpus: availableParallelism(),
    rows,
    bundle: { bytes, topContributors: top.slice(0, 15) },
  };
  if (options.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else
    process.stdout.write(
      `${table(rows)}\n\n${benchNode}${runtime && runtime.path !== process.execPath ? ` (timing rows: ${runtime.label})` : ''}, ${report.platform}, ${report.cpus} CPUs\n`,
    );
  // `--gate` (CI, with the machine-independent rows): a missed target fails the run.
  const missed = rows.filter((row) => row.verdict === 'MISS' && row.gated !== false);
  if (options.gate && missed.length > 0) {
    process.stderr.write(`bench: target missed: ${missed.map((row) => row.figure).join('; ')}\n`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
