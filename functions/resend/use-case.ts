/**
 * The resend use case: one order's DCV emails resent through DigiCert, within the invocation's
 * deadline, under the container's rate limit, with bounded retries and one key refresh on 401.
 * It knows nothing of Lambda events or HTTP statuses; outcomes are returned or thrown as the typed
 * errors of `errors.ts`.
 */
import { callDigiCert, type DigiCertCallDependencies } from './digicert-call.js';
import type { DigiCertClient } from './ports.js';
import { type ResendRequest, toDigiCertBody } from './request-schema.js';

export { DEFAULT_RETRY_POLICY, type RetryPolicy } from './digicert-call.js';

export interface ResendDependencies extends DigiCertCallDependencies {
  readonly digicert: DigiCertClient;
}

export interface ResendOptions {
  /** Epoch milliseconds by which the outcome must be known (the caller still has to be answered). */
  readonly deadline: number;
}

export interface ResendResult {
  readonly orderId: number;
  /** How many times DigiCert was called. */
  readonly attempts: number;
}

export type ResendUseCase = (request: ResendRequest, options: ResendOptions) => Promise<ResendResult>;

/** Builds the use case: one `resend-emails` call through `callDigiCert` (budget, retries, key refresh). */
export function createResendUseCase(deps: ResendDependencies): ResendUseCase {
  return async function resend(request, { deadline }) {
    const orderId = request.order_id;
    const body = toDigiCertBody(request);
    const { attempts } = await callDigiCert(deps, {
      orderId,
      deadline,
      attempt: (apiKey, options) => deps.digicert.resendEmails(orderId, body, apiKey, options),
    });
    return { orderId, attempts };
  };
}
