/**
 * `dcv-resend sweep`: the pending-DCV sweep (docs/contract.md §11). With `--dry-run`, what a sweep
 * would do to each pending order and why, acting on nothing; without it, starts one. In this
 * process (`--local`: the real DigiCert with a key or a secret, or the embedded simulator and its
 * stuck orders) or by invoking the deployed function (`--function-name`, the `sweep` action).
 */

import { startBackend } from '../../dev/local-backend.js';
import type { SweepPolicy } from '../../functions/app/contract.js';
import { createResendClient } from '../../functions/client/invoke-client.js';
import type { PlannedOrder, SweepSummary } from '../../functions/dcv/sweep/plan.js';
import type { SweepAnswer } from '../../functions/dcv/sweep/sweep.js';
import { parseDirectInvocation } from '../../functions/triggers/direct-payload.js';
import { COMMON_OPTIONS, parseOptions } from '../args.js';
import { explainAwsSetup, functionLogger, type Target, targetOf } from '../backend.js';
import { EXIT, type ExitCode, UsageError } from '../exit-codes.js';
import type { Io } from '../io.js';
import { output } from '../output.js';

export const SWEEP_HELP = `Usage: dcv-resend sweep [--dry-run [--policy P]] [--local | --function-name NAME] [--json] [--verbose]

The pending-DCV sweep: list the account's pending orders, read each one, count what the metrics
report (pending orders by DCV method, the oldest, random values expiring within 7 days, orders
past DigiCert's 10 days of re-checks) and, under the "resend" policy, resend the DCV emails of
email orders pending at least DCV_SWEEP_RESEND_AFTER_HOURS (24), each at most once per
DCV_SWEEP_COOLDOWN_HOURS (72). One DigiCert read per pending order, from at most
DCV_SWEEP_BUDGET_SHARE (0.5) of the key's request budget.

  --dry-run               print what the sweep would do to each order, and why; nothing is sent
  --policy P              with --dry-run: plan with report, resend or migrate instead of the
                          configured DCV_SWEEP_POLICY (default report)

Target:
  --local                 in this process (the default): the real DigiCert with DIGICERT_API_KEY or
                          DIGICERT_API_KEY_SECRET_ID, else the embedded simulator and its stuck orders
  --function-name NAME    invoke the deployed function NAME (the "sweep" action); a sweep started
                          there is worked through the bulk queue and reported in its metrics

Output:
  --json                  one JSON document on stdout (the function's answer; a long dry run's
                          pages joined into one)
  --verbose               the function's own log lines and metric documents on stderr (local runs)
  -h, --help              this help

Exit codes: 0 done, 1 DigiCert failed for some order or page, 2 usage error, 3 invalid option
value, 4 configuration error.

Examples:
  dcv-resend sweep --dry-run
  dcv-resend sweep --dry-run --policy resend --function-name "$FUNCTION_NAME" --json`;

const OPTIONS = { ...COMMON_OPTIONS, policy: { type: 'string' } } as const;

/** A dry run stops here when the function keeps answering `complete: false` (about 2.5 million orders). */
const MAX_DRY_RUN_CALLS = 2_500;
/** How long a local sweep may run: an account of a few thousand orders at the sweep's share. */
const LOCAL_DEADLINE_MS = 15 * 60_000;

/** Runs `sweep` with its arguments; resolves to the exit code. */
export async function sweepCommand(args: readonly string[], io: Io): Promise<ExitCode> {
  const values = parseOptions(args, OPTIONS, { command: 'sweep' });
  if (values.help) {
    io.stdout(`${SWEEP_HELP}\n`);
    return EXIT.ok;
  }
  const dryRun = values['dry-run'] === true;
  if (values.policy !== undefined && !dryRun) {
    throw new UsageError('--policy needs --dry-run: a sweep acts with the configured DCV_SWEEP_POLICY');
  }
  // The function's own rules for the payload, with the same messages (ValidationError: exit 3).
  const payload = parseDirectInvocation({
    action: 'sweep',
    dry_run: dryRun,
    ...(values.policy === undefined ? {} : { policy: values.policy.trim().toLowerCase() }),
  });
  if (payload.kind !== 'action' || payload.action !== 'sweep') throw new UsageError('expected a sweep');
  const target = targetOf(values);
  const answer = await sweep(target, io, values.verbose === true, {
    dryRun,
    ...(payload.policy === undefined ? {} : { policy: payload.policy }),
  });
  const errors = 'summary' in answer ? answer.summary.errors : 0;
  return output(io, values.json, answer, describeSweep(answer), errors > 0 ? EXIT.failed : EXIT.ok);
}

async function sweep(
  target: Target,
  io: Io,
  verbose: boolean,
  request: { dryRun: boolean; policy?: SweepPolicy },
): Promise<SweepAnswer> {
  if (target.kind === 'function') {
    try {
      const client = createResendClient({ functionName: target.name });
      return request.dryRun
        ? await followPlan((offset) => client.sweep({ ...request, offset }))
        : await client.sweep(request);
    } catch (error) {
      throw explainAwsSetup(error);
    }
  }
  const backend = await startBackend(io.env, { logger: functionLogger(io, verbose) });
  try {
    if (backend.description.startsWith('the embedded')) io.stderr(`note: using ${backend.description}\n`);
    const deadline = Date.now() + LOCAL_DEADLINE_MS;
    return request.dryRun
      ? await followPlan((offset) => backend.runtime.sweep.start({ ...request, offset }, { deadline }))
      : await backend.runtime.sweep.start(request, { deadline });
  } finally {
    await backend.close();
  }
}

/** A dry run to its end: each answer's `next_offset` asked for next, the pages joined into one. */
async function followPlan(plan: (offset: number) => Promise<SweepAnswer>): Promise<SweepAnswer> {
  let answer = await plan(0);
  for (
    let calls = 1;
    answer.dry_run && answer.next_offset !== null && calls < MAX_DRY_RUN_CALLS;
    calls += 1
  ) {
    const next = await plan(answer.next_offset);
    if (!next.dry_run) return next;
    answer = {
      ...next,
      orders: [...answer.orders, ...next.orders],
      summary: joinSummaries(answer.summary, next.summary),
    };
  }
  return answer;
}

function joinSummaries(a: SweepSummary, b: SweepSummary): SweepSummary {
  const byMethod: Record<string, number> = { ...a.by_dcv_method };
  for (const [method, count] of Object.entries(b.by_dcv_method))
    byMethod[method] = (byMethod[method] ?? 0) + count;
  return {
    pending_orders: a.pending_orders + b.pending_orders,
    by_dcv_method: byMethod,
    oldest_pending_hours: Math.max(a.oldest_pending_hours, b.oldest_pending_hours),
    random_values_expiring_soon: a.random_values_expiring_soon + b.random_values_expiring_soon,
    pending_past_recheck_window: a.pending_past_recheck_window + b.pending_past_recheck_window,
    resends: a.resends + b.resends,
    migrations: a.migrations + b.migrations,
    errors: a.errors + b.errors,
  };
}

/** The human form: one line per order of a plan, then the counts. */
export function describeSweep(answer: SweepAnswer): string {
  if (!answer.dry_run && answer.queued) {
    return `sweep ${answer.sweep_id} started (policy ${answer.policy}): its pages and orders are worked through the bulk queue; its metrics and log lines say what it did`;
  }
  const lines: string[] = [];
  if (answer.dry_run) {
    const width = Math.max(0, ...answer.orders.map((o) => String(o.dcv_method ?? 'unknown').length));
    for (const order of answer.orders) lines.push(describePlanned(order, width));
    if (answer.orders.length === 0) lines.push('no pending orders');
  }
  const s = answer.summary;
  const methods = Object.entries(s.by_dcv_method)
    .map(([method, count]) => `${method} ${count}`)
    .join(', ');
  lines.push(
    `${s.pending_orders} pending order(s)${methods ? ` (${methods})` : ''}; oldest ${s.oldest_pending_hours} h; ${s.random_values_expiring_soon} random value(s) expiring within 7 days; ${s.pending_past_recheck_window} past DigiCert's 10 days of re-checks`,
  );
  const verb = answer.dry_run ? 'would be' : 'were';
  lines.push(
    `policy ${answer.policy}: ${s.resends} ${verb} resent, ${s.migrations} ${verb} moved to DNS DCV${s.errors > 0 ? `, ${s.errors} could not be read or acted on` : ''}${answer.complete ? '' : `; stopped before the end (go on from offset ${answer.next_offset})`}`,
  );
  if (!answer.dry_run) lines.unshift(`sweep ${answer.sweep_id}`);
  return lines.join('\n');
}

function describePlanned(order: PlannedOrder, width: number): string {
  const hours = order.pending_hours === null ? '' : `${order.pending_hours} h`;
  return `order ${order.order_id}  ${String(order.dcv_method ?? 'unknown').padEnd(width)}  ${hours.padStart(8)}  ${order.action.padEnd(7)}  ${order.reason}`;
}
