/**
 * Lambda entry of the function: which kind of event arrived, and the trigger that answers it
 * (docs/contract.md §2, §3, §8, §12). The runtime is built once per container on first use, from the
 * environment Lambda set; a bad environment is reported to every caller as a `ConfigurationError`
 * naming the variable, and is not kept (a fixed environment is picked up).
 */
import type { Context } from 'aws-lambda';
import { composeRuntime, type Runtime } from '../app/compose.js';
import type { DnsDcvStarted, DnsDcvState } from '../dcv/dns/state.js';
import type { DcvStatus } from '../dcv/status.js';
import type { SweepAnswer } from '../dcv/sweep/sweep.js';
import type { BatchResult, SentResult } from '../resend/batch-result.js';
import type { HttpResponse } from '../triggers/api-gateway.js';
import { handleDirect } from '../triggers/direct.js';
import { handleHttp, isHttpEvent } from '../triggers/http.js';
import { type Invocation, startInvocation } from '../triggers/invocation.js';
import { handleSqs, isSqsEvent, type SqsBatchResponse } from '../triggers/sqs.js';
import { handleWorkflowTask, isWorkflowTaskEvent } from '../triggers/workflow.js';

export type HandlerResult =
  | HttpResponse
  | SentResult
  | BatchResult
  | DcvStatus
  | SweepAnswer
  | SqsBatchResponse
  | DnsDcvStarted
  | DnsDcvState;
export type Handler = (event: unknown, context: Context) => Promise<HandlerResult>;

/** One way in: the events it recognises and how it answers them. */
interface Trigger {
  readonly matches: (event: unknown) => boolean;
  readonly handle: (event: never, invocation: Invocation) => Promise<HandlerResult>;
}

/** Event kind -> trigger, first match wins; a direct payload (or an EventBridge event) is the rest. */
const TRIGGERS: readonly Trigger[] = [
  { matches: isHttpEvent, handle: handleHttp },
  { matches: isSqsEvent, handle: handleSqs },
  { matches: isWorkflowTaskEvent, handle: handleWorkflowTask },
  { matches: () => true, handle: handleDirect },
];

/** The handler around a runtime; tests and local servers pass their own. */
export function createHandler(
  getRuntime: () => Runtime | Promise<Runtime>,
  now: () => number = Date.now,
): Handler {
  return async (event, context) => {
    const invocation = await startInvocation(context, getRuntime, now);
    const trigger = TRIGGERS.find(({ matches }) => matches(event)) as Trigger;
    return trigger.handle(event as never, invocation);
  };
}

// The state table's code (the shared budget; the DynamoDB client and Powertools idempotency, which it
// loads on their first use) is needed only by a container with a table, and a container without one
// never loads it. On Lambda the environment is there at init, so its import starts then, in the
// init phase.
let stateCode: Promise<typeof import('../app/state.js')> | undefined;
const loadStateCode = () =>
  (stateCode ??= import('../app/state.js').catch((error: unknown) => {
    stateCode = undefined;
    throw error;
  }));
if (process.env.STATE_TABLE_NAME) loadStateCode().catch(() => undefined);

let runtime: Promise<Runtime> | undefined;

export const handler = createHandler(() => {
  // A failed build is not kept: every invocation reports it, and a fixed environment is picked up.
  runtime ??= buildRuntime({ ...process.env }).catch((error: unknown) => {
    runtime = undefined;
    throw error;
  });
  return runtime;
});

/** The environment is read at once (the call's start); the state table's code is awaited only with a table. */
async function buildRuntime(env: NodeJS.ProcessEnv): Promise<Runtime> {
  const state = env.STATE_TABLE_NAME ? await loadStateCode() : undefined;
  return composeRuntime(env, {}, state?.createState);
}
