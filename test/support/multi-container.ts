/**
 * The multi-container run (issue 13, docs/contract.md §7), shared by its integration test and `npm run
 * bench`: dynalite, the DigiCert simulator enforcing the budget's rolling windows (over either: 429)
 * and the Secrets Manager stand-in in this process; `containers` real child processes
 * (test/support/budget-worker.ts), each its own runtime, sharing one table, sending `orders` orders
 * between them, all starting at once.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DigiCertSimulator } from '../../dev/digicert-simulator.js';
import { SecretsManagerStandIn } from '../../dev/secrets-manager-standin.js';
import type { WorkerOutcome } from './budget-worker.js';
import { startDynalite } from './dynalite.js';
import { maxInAnyWindow } from './windows.js';

const WORKER = fileURLToPath(new URL('./budget-worker.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const KEY = 'multi-container-digicert-key-0123456789';
const SECRET_ID = 'dcv-resend/multi-container';

export interface BudgetWindow {
  readonly limit: number;
  readonly windowMs: number;
}

export interface MultiContainerOptions {
  readonly containers: number;
  readonly orders: number;
  /** The budget every worker's limiter enforces and the simulator enforces too. */
  readonly windows: readonly BudgetWindow[];
  /** DigiCert's latency in the simulator. */
  readonly latencyMs: number;
  /** The limiter's clock-skew margin (scaled with the windows). @default 50 */
  readonly skewMarginMs?: number;
  /** Gives up on the workers after this long. @default 120000 */
  readonly timeoutMs?: number;
  /** `DIGICERT_RATE_LIMIT_SHARE_DIVISOR` of every worker (the most containers). @default unset: no share */
  readonly divisor?: number;
  /**
   * Where worker i reaches the table (a fault proxy in front of dynalite, `dynamodb-faults.ts`);
   * `undefined` (or no entry) for dynalite itself.
   */
  readonly tableEndpoints?: (dynaliteEndpoint: string) => Promise<readonly (string | undefined)[]>;
  /** Called once every worker is warm, just before `go` (to start injecting faults). */
  readonly beforeGo?: () => void;
}

export interface MultiContainerResult {
  readonly sent: number;
  readonly failed: number;
  readonly errors: readonly string[];
  /** Times a limiter could not use the table (it then keeps to its fallback share, or refuses). */
  readonly tableFailures: readonly string[];
  /** Requests DigiCert received beyond one per order: retries, which here only a 429 causes. */
  readonly extraRequests: number;
  /** The most requests DigiCert received in any interval of each window, in `windows` order. */
  readonly maxPerWindow: readonly number[];
  /** From `go` to the last batch answered. */
  readonly wallMs: number;
  /** The earliest the last answer can come while DigiCert's windows are kept ({@link budgetBoundMs}). */
  readonly boundMs: number;
  /** Arrival times at DigiCert, epoch ms, sorted. */
  readonly arrivals: readonly number[];
}

/**
 * The time the budget allows for `orders` requests: the k-th arrival can be no earlier than W after
 * the (k − L)-th, for every window (L per W); the last answer comes `latencyMs` after its arrival.
 * Any limiter that keeps the windows needs at least this.
 */
export function budgetBoundMs(orders: number, windows: readonly BudgetWindow[], latencyMs: number): number {
  const at: number[] = [];
  for (let k = 0; k < orders; k += 1) {
    let t = 0;
    for (const { limit, windowMs } of windows) {
      const before = at[k - limit];
      if (before !== undefined) t = Math.max(t, before + windowMs);
    }
    at.push(t);
  }
  return (at[orders - 1] ?? 0) + latencyMs;
}

/** Runs the scenario and tears everything down. */
export async function runMultiContainer(options: MultiContainerOptions): Promise<MultiContainerResult> {
  const db = await startDynalite();
  const simulator = await DigiCertSimulator.start({
    validKeys: [KEY],
    latencyMs: options.latencyMs,
    rateLimits: options.windows,
  });
  const secrets = await SecretsManagerStandIn.start({ [SECRET_ID]: KEY });
  const endpoints = (await options.tableEndpoints?.(db.endpoint)) ?? [];
  const children: ChildProcess[] = [];
  try {
    const perWorker = Math.ceil(options.orders / options.containers);
    const workers = Array.from({ length: options.containers }, (_, i) => {
      const orders = Array.from(
        { length: Math.max(0, Math.min(perWorker, options.orders - i * perWorker)) },
        (_, j) => 700_000 + i * perWorker + j,
      );
      const child = spawn(process.execPath, ['--import', 'tsx', WORKER], {
        cwd: ROOT,
        stdio: ['pipe', 'pipe', 'pipe'],
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: 'AKIDLOCALSTANDIN',
          AWS_SECRET_ACCESS_KEY: 'local-stand-in-secret',
          AWS_EC2_METADATA_DISABLED: 'true',
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
          AWS_ENDPOINT_URL_DYNAMODB: endpoints[i] ?? db.endpoint,
          ...(options.divisor === undefined
            ? {}
            : { DIGICERT_RATE_LIMIT_SHARE_DIVISOR: String(options.divisor) }),
          DIGICERT_API_KEY_SECRET_ID: SECRET_ID,
          DIGICERT_BASE_URL: simulator.baseUrl,
          BUDGET_WORKER_TABLE: db.tableName,
          BUDGET_WORKER_WINDOWS: JSON.stringify(options.windows),
          BUDGET_WORKER_ORDERS: JSON.stringify(orders),
          BUDGET_WORKER_SKEW_MARGIN_MS: String(options.skewMarginMs ?? 50),
          BUDGET_WORKER_TRACE: process.env.BUDGET_WORKER_TRACE ?? '',
        },
      });
      children.push(child);
      return watch(child);
    });
    const timeout = setTimeout(() => {
      for (const child of children) child.kill('SIGKILL');
    }, options.timeoutMs ?? 120_000);
    try {
      await Promise.all(workers.map((w) => w.ready));
      options.beforeGo?.();
      for (const child of children) child.stdin?.write('go\n');
      const outcomes = await Promise.all(workers.map((w) => w.outcome));
      const arrivals = simulator.requests.map((r) => r.receivedAt).sort((a, b) => a - b);
      const startedAt = Math.min(...outcomes.map((o) => o.startedAt));
      const doneAt = Math.max(...outcomes.map((o) => o.doneAt));
      return {
        sent: outcomes.reduce((sum, o) => sum + o.sent, 0),
        failed: outcomes.reduce((sum, o) => sum + o.failed, 0),
        errors: outcomes.flatMap((o) => o.errors),
        tableFailures: outcomes.flatMap((o) => o.tableFailures),
        extraRequests: simulator.received - options.orders,
        maxPerWindow: options.windows.map((w) => maxInAnyWindow(arrivals, w.windowMs)),
        wallMs: doneAt - startedAt,
        boundMs: budgetBoundMs(options.orders, options.windows, options.latencyMs),
        arrivals,
      };
    } finally {
      clearTimeout(timeout);
    }
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await Promise.all([db.close(), simulator.close(), secrets.close()]);
  }
}

/** The worker's `ready` line and its outcome line; rejects with its stderr if it exits without one. */
function watch(child: ChildProcess): { ready: Promise<void>; outcome: Promise<WorkerOutcome> } {
  let stdout = '';
  let stderr = '';
  let onReady: () => void = () => undefined;
  let onOutcome: (outcome: WorkerOutcome) => void = () => undefined;
  let onFail: (error: Error) => void = () => undefined;
  const ready = new Promise<void>((resolve, reject) => {
    onReady = resolve;
    onFail = reject;
  });
  const outcome = new Promise<WorkerOutcome>((resolve, reject) => {
    onOutcome = resolve;
    const previous = onFail;
    onFail = (error) => {
      previous(error);
      reject(error);
    };
  });
  // Whichever is not awaited yet must not become an unhandled rejection.
  ready.catch(() => undefined);
  outcome.catch(() => undefined);
  child.stderr?.on('data', (chunk: Buffer) => {
    if (process.env.BUDGET_WORKER_TRACE === '1') process.stderr.write(chunk);
    stderr = (stderr + chunk.toString('utf8')).slice(-4_000);
  });
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
    for (let newline = stdout.indexOf('\n'); newline >= 0; newline = stdout.indexOf('\n')) {
      const line = stdout.slice(0, newline).trim();
      stdout = stdout.slice(newline + 1);
      if (line === 'ready') onReady();
      else if (line.startsWith('{')) onOutcome(JSON.parse(line) as WorkerOutcome);
    }
  });
  child.on('exit', (code, signal) =>
    onFail(new Error(`budget worker exited (${code ?? signal}) without an outcome: ${stderr.trim()}`)),
  );
  return { ready, outcome };
}
