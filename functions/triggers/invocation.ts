/**
 * What every trigger gets from one Lambda invocation: when it started, how long it may run, Lambda's
 * request id, and the container's runtime (or the `ConfigurationError` that prevented building it,
 * reported to the caller like any other outcome).
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import type { Runtime } from '../app/runtime.js';
import { fallbackTelemetry, type Telemetry } from '../observability/invocation.js';

/** Time kept back from Lambda's deadline to answer the caller after the last DigiCert attempt. */
export const ANSWER_MARGIN_MS = 1_000;

/** Without a Lambda context (a bare local call), an invocation gets Lambda's default 15-minute cap's worth. */
const NO_CONTEXT_REMAINING_MS = 15 * 60_000;

export interface Invocation {
  /** Epoch ms when the handler was entered. */
  readonly started: number;
  /** Lambda's request id (a fresh UUID when the handler is called by hand without one). */
  readonly awsRequestId: string;
  /** Epoch ms by which the caller must have its answer: Lambda's remaining time less the margin. */
  readonly deadline: number;
  /** The container's logs and metrics settings, also when the runtime could not be built. */
  readonly telemetry: Telemetry;
  readonly now: () => number;
  /** The runtime, or throws the `ConfigurationError` that prevented building it. */
  runtime(): Runtime;
}

/**
 * Builds the invocation; `getRuntime` may throw or reject, and the error is kept for `runtime()`.
 * It is called at once, in the call's synchronous start.
 */
export async function startInvocation(
  context: Partial<Context> | undefined,
  getRuntime: () => Runtime | Promise<Runtime>,
  now: () => number,
): Promise<Invocation> {
  const started = now();
  const reported =
    typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : Number.NaN;
  const remaining = Number.isFinite(reported) ? Math.max(0, reported) : NO_CONTEXT_REMAINING_MS;
  // Time kept back to answer the caller: a second, or a tenth of a short invocation.
  const margin = Math.min(ANSWER_MARGIN_MS, remaining / 10);
  let loaded: { readonly runtime: Runtime } | { readonly error: unknown };
  try {
    loaded = { runtime: await getRuntime() };
  } catch (error) {
    loaded = { error };
  }
  return {
    started,
    awsRequestId:
      typeof context?.awsRequestId === 'string' && context.awsRequestId !== ''
        ? context.awsRequestId
        : randomUUID(),
    deadline: started + remaining - margin,
    telemetry: 'runtime' in loaded ? loaded.runtime.telemetry : fallbackTelemetry(),
    now,
    runtime() {
      if ('runtime' in loaded) return loaded.runtime;
      throw loaded.error;
    },
  };
}
