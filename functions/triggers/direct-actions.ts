/**
 * The actions of a direct invocation (docs/contract.md §10): `{"action": "dcv-status",
 * "order_id": N}` answers the order's DCV status, as `GET /order/certificate/{order_id}/dcv` does.
 * Failures are thrown as the same typed errors as a resend's, their message the JSON detail.
 */
import type { DcvStatus } from '../dcv/status.js';
import { describeError } from '../observability/logger.js';
import { forDirectCaller } from './direct-errors.js';
import { eventBridgeId, parseDirectInvocation } from './direct-payload.js';
import { httpStatusOf } from './error-mapping.js';
import type { Invocation } from './invocation.js';

/** Runs one action; throws the error Lambda reports to the caller. */
export async function handleAction(event: unknown, invocation: Invocation): Promise<DcvStatus> {
  const correlationId = eventBridgeId(event) ?? invocation.awsRequestId;
  let orderId: number | undefined;
  try {
    const payload = parseDirectInvocation(event);
    if (payload.kind !== 'action') throw new Error('not an action payload');
    orderId = payload.orderId;
    const runtime = invocation.runtime();
    const status = await runtime.dcvStatus(payload.orderId, { deadline: invocation.deadline });
    runtime.logger.info('dcv status read', {
      correlationId,
      orderId,
      orderStatus: status.order_status,
      dcvMethod: status.dcv_method,
      pendingHours: status.pending_hours,
    });
    return status;
  } catch (error) {
    const level = httpStatusOf(error) < 500 ? 'warn' : 'error';
    invocation.telemetry.logger[level]('dcv status failed', {
      correlationId,
      orderId,
      error: describeError(error),
    });
    throw forDirectCaller(error);
  }
}
