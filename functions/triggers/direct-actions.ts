/**
 * The actions of a direct invocation: `{"action": "dcv-status", "order_id": N}` answers the
 * order's DCV status, as `GET /order/certificate/{order_id}/dcv` does (docs/contract.md §10);
 * `{"action": "sweep"}` starts the pending-DCV sweep, and with `"dry_run": true` answers its plan
 * (§11). Failures are thrown as the same typed errors as a resend's, their message the JSON detail.
 */
import type { DcvStatus } from '../dcv/status.js';
import type { SweepAnswer } from '../dcv/sweep/sweep.js';
import { describeError } from '../observability/logger.js';
import { forDirectCaller } from './direct-errors.js';
import { type ActionPayload, eventBridgeId, parseDirectInvocation } from './direct-payload.js';
import { httpStatusOf } from './error-mapping.js';
import type { Invocation } from './invocation.js';

/** Runs one action; throws the error Lambda reports to the caller. */
export async function handleAction(event: unknown, invocation: Invocation): Promise<DcvStatus | SweepAnswer> {
  const correlationId = eventBridgeId(event) ?? invocation.awsRequestId;
  let action: ActionPayload | undefined;
  try {
    const payload = parseDirectInvocation(event);
    if (payload.kind !== 'action') throw new Error('not an action payload');
    action = payload;
    const runtime = invocation.runtime();
    if (payload.action === 'sweep') {
      const answer = await runtime.sweep.start(
        {
          dryRun: payload.dryRun,
          ...(payload.policy === undefined ? {} : { policy: payload.policy }),
          ...(payload.offset === undefined ? {} : { offset: payload.offset }),
        },
        { deadline: invocation.deadline },
      );
      runtime.logger.info(answer.dry_run ? 'sweep planned' : 'sweep started', {
        correlationId,
        sweepId: answer.sweep_id,
        policy: answer.policy,
        ...('queued' in answer ? { queued: answer.queued } : {}),
        ...('summary' in answer
          ? { complete: answer.complete, pendingOrders: answer.summary.pending_orders }
          : {}),
      });
      return answer;
    }
    const status = await runtime.dcvStatus(payload.orderId, { deadline: invocation.deadline });
    runtime.logger.info('dcv status read', {
      correlationId,
      orderId: payload.orderId,
      orderStatus: status.order_status,
      dcvMethod: status.dcv_method,
      pendingHours: status.pending_hours,
    });
    return status;
  } catch (error) {
    const level = httpStatusOf(error) < 500 ? 'warn' : 'error';
    invocation.telemetry.logger[level](action?.action === 'sweep' ? 'sweep failed' : 'dcv status failed', {
      correlationId,
      ...(action?.action === 'dcv-status' ? { orderId: action.orderId } : {}),
      error: describeError(error),
    });
    throw forDirectCaller(error);
  }
}
