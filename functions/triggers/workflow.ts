/**
 * The DNS-DCV workflow's tasks (docs/contract.md §12): Step Functions invokes the function with
 * `{"dns_dcv_task": "publish" | "change-status" | "check" | "cleanup", "state": {...}}` (and
 * `"error"` on the way to a cleanup after a failure) and takes the answer as the next state. A
 * failure is thrown with its `name` as Lambda's `errorType`: `UpstreamError` is retried by the state
 * machine, anything else sends it to the cleanup. Typed errors carry their JSON detail, as for
 * direct callers (`direct-errors.ts`).
 */
import type { DnsDcvState } from '../dcv/dns/state.js';
import { taskEventSchema } from '../dcv/dns/state.js';
import { ValidationError } from '../lib/errors.js';
import { isRecord } from '../lib/is-record.js';
import { describeError } from '../observability/logger.js';
import { forDirectCaller } from './direct-errors.js';
import { httpStatusOf } from './error-mapping.js';
import type { Invocation } from './invocation.js';

/** Whether `event` is a workflow task: it has the top-level `dns_dcv_task` key. */
export function isWorkflowTaskEvent(event: unknown): boolean {
  return isRecord(event) && 'dns_dcv_task' in event;
}

/** Runs one task; answers the next state or throws the error the workflow branches on. */
export async function handleWorkflowTask(event: unknown, invocation: Invocation): Promise<DnsDcvState> {
  const parsed = taskEventSchema.safeParse(event);
  const task = isRecord(event) ? String(event.dns_dcv_task) : '';
  const logger = invocation.telemetry.logger.child({ component: 'dns-dcv', task });
  try {
    if (!parsed.success) {
      throw new ValidationError(
        parsed.error.issues.map((issue) => ({
          field: issue.path.join('.'),
          message: issue.message,
          code: 'invalid_input' as const,
        })),
      );
    }
    const { dns_dcv_task: name, state, error } = parsed.data;
    const runtime = invocation.runtime();
    const next = await runtime.dnsDcv.tasks[name](state, {
      deadline: invocation.deadline,
      ...(error == null ? {} : { error }),
    });
    logger.debug('dns dcv task done', {
      orderId: state.order_id,
      inSync: next.in_sync,
      checks: next.checks,
      validated: next.validated,
      lastCodes: next.last_codes,
    });
    return next;
  } catch (error) {
    const level = httpStatusOf(error) < 500 ? 'warn' : 'error';
    logger[level]('dns dcv task failed', {
      ...(parsed.success ? { orderId: parsed.data.state.order_id } : {}),
      error: describeError(error),
    });
    throw forDirectCaller(error);
  }
}
