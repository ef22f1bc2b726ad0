/**
 * The actions of a direct invocation: `{"action": "dcv-status", "order_id": N}` answers the
 * order's DCV status, as `GET /order/certificate/{order_id}/dcv` does (docs/contract.md §10);
 * `{"action": "dns-dcv", "order_id": N, "method"?: ...}` moves the order to DNS DCV and starts its
 * workflow, as `POST /order/certificate/{order_id}/dcv/dns` does (§12);
 * `{"action": "sweep"}` starts the pending-DCV sweep, and with `"dry_run": true` answers its plan
 * (§11). Failures are thrown as the same typed errors as a resend's, their message the JSON detail.
 */
import type { DnsDcvStarted } from '../dcv/dns/state.js';
import type { DcvStatus } from '../dcv/status.js';
import type { SweepAnswer } from '../dcv/sweep/sweep.js';
import { describeError } from '../observability/logger.js';
import { forDirectCaller } from './direct-errors.js';
import { type ActionPayload, eventBridgeId, parseDirectInvocation } from './direct-payload.js';
import { httpStatusOf } from './error-mapping.js';
import type { Invocation } from './invocation.js';

/** Runs one action; throws the error Lambda reports to the caller. */
export async function handleAction(
  event: unknown,
  invocation: Invocation,
): Promise<DcvStatus | SweepAnswer | DnsDcvStarted> {
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
    if (payload.action === 'dns-dcv') {
      const started = await runtime.dnsDcv.start(payload.orderId, payload.method, {
        deadline: invocation.deadline,
      });
      runtime.logger.info('dns dcv start answered', {
        correlationId,
        orderId: payload.orderId,
        method: payload.method,
        execution: started.execution,
        published: started.records.filter((record) => record.published).length,
        byHand: started.records.filter((record) => !record.published).length,
      });
      return started;
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
    const what =
      action?.action === 'sweep'
        ? 'sweep failed'
        : action?.action === 'dns-dcv'
          ? 'dns dcv start failed'
          : 'dcv status failed';
    invocation.telemetry.logger[level](what, {
      correlationId,
      ...(action !== undefined && action.action !== 'sweep' ? { orderId: action.orderId } : {}),
      error: describeError(error),
    });
    throw forDirectCaller(error);
  }
}
