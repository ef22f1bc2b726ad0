/**
 * Runs the DNS-DCV state machine exactly as the stack synthesizes it (its Amazon States Language
 * definition from the template), on `aws-local-stepfunctions`, with every Lambda task bound to a
 * handler passed in (a fake that follows the workflow contract, or the real function's handler),
 * the Wait states shortened and the retry intervals too. The library needs Node.js >= 22 (CI's
 * Node 24 pass); on older versions `canRunLocalStepFunctions` is false and the tests skip.
 */
import { readFileSync } from 'node:fs';
import { Stack } from 'aws-cdk-lib';
import type { CfnStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { isRecord } from '../../functions/lib/is-record.js';
import { createApp } from '../../infra/create-app.js';
import type { StackConfigInput } from '../../infra/stack-config.js';

/** The Node.js major `aws-local-stepfunctions` 3 needs (`Promise.withResolvers` among others). */
export const LOCAL_STEP_FUNCTIONS_MIN_NODE = 22;

export const canRunLocalStepFunctions =
  Number(process.versions.node.split('.')[0]) >= LOCAL_STEP_FUNCTIONS_MIN_NODE;

/** Why the workflow tests did not run here. */
export const SKIPPED_ON_OLD_NODE = `aws-local-stepfunctions needs Node.js >= ${LOCAL_STEP_FUNCTIONS_MIN_NODE} (this is ${process.versions.node}): the DNS-DCV workflow tests run in CI's Node 24 pass`;

/** Stands in for the function's ARN in the definition; every task is bound to the handler instead. */
export const FAKE_FUNCTION_ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:dcv-resend';

/** One task invocation: `{"dns_dcv_task": ..., "state": {...}}`, as the function receives it. */
export type DnsDcvTaskHandler = (payload: unknown) => unknown;

/** What a Step Functions `Error`/`Cause` pair looks like. */
export interface WorkflowFailure {
  readonly Error: string;
  readonly Cause: unknown;
}

export interface DnsDcvWorkflowRun {
  readonly status: 'SUCCEEDED' | 'FAILED';
  /** The execution's output (SUCCEEDED). */
  readonly output?: unknown;
  /** The execution's error (FAILED), e.g. `DnsDcvNotValidated`. */
  readonly error?: WorkflowFailure;
  /** The states entered, in order. */
  readonly states: readonly string[];
  /** Each task invocation: the state that made it and the payload the handler received. */
  readonly tasks: readonly { readonly state: string; readonly payload: unknown }[];
  /** The states retried, one entry per retry. */
  readonly retried: readonly string[];
  /** The states whose error a Catch took. */
  readonly caught: readonly string[];
}

export interface RunDnsDcvWorkflowOptions {
  /**
   * Stack settings to synthesize with (as `-c key=value`).
   * @default - cdk.json's context only
   */
  readonly settings?: StackConfigInput;
  /** @default 1 (ms, for every Wait state) */
  readonly waitMs?: number;
  /** @default 1 (ms, for every retry) */
  readonly retryMs?: number;
  /**
   * The run is aborted (and the promise rejects) after this long.
   * @default 10_000
   */
  readonly timeoutMs?: number;
}

interface StateDefinition {
  readonly Type: string;
}

/** The Amazon States Language definition, as the stack deploys it (with {@link FAKE_FUNCTION_ARN}). */
export interface DnsDcvDefinition {
  readonly StartAt: string;
  readonly States: Record<string, StateDefinition>;
  readonly TimeoutSeconds?: number;
  readonly [field: string]: unknown;
}

const definitions = new Map<string, DnsDcvDefinition>();

function cdkJsonContext(): Record<string, unknown> {
  const cdkJson: unknown = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8'));
  if (!isRecord(cdkJson) || !isRecord(cdkJson.context)) throw new Error('cdk.json has no "context" object');
  return cdkJson.context;
}

/** A template value with the function's `Fn::GetAtt` replaced by {@link FAKE_FUNCTION_ARN}. */
function resolveDefinitionPart(part: unknown): string {
  if (typeof part === 'string') return part;
  if (isRecord(part) && Array.isArray(part['Fn::GetAtt'])) return FAKE_FUNCTION_ARN;
  throw new Error(`unexpected token in the state machine definition: ${JSON.stringify(part)}`);
}

/** The DNS-DCV definition of the stack synthesized with `settings` (cached per settings). */
export function dnsDcvDefinition(settings: StackConfigInput = {}): DnsDcvDefinition {
  const key = JSON.stringify(settings);
  const cached = definitions.get(key);
  if (cached) return cached;
  const { stack } = createApp({
    context: { ...cdkJsonContext(), ...settings },
    skipBundling: true,
    builtinCloudFormationValidation: false,
  });
  const cfn = stack.dnsDcv.stateMachine.node.defaultChild as CfnStateMachine;
  const body: unknown = Stack.of(stack).resolve(cfn.definitionString);
  const join = isRecord(body) ? body['Fn::Join'] : undefined;
  const text =
    typeof body === 'string'
      ? body
      : Array.isArray(join) && Array.isArray(join[1])
        ? join[1].map(resolveDefinitionPart).join(String(join[0]))
        : undefined;
  if (text === undefined) throw new Error('the DNS-DCV state machine has no definition string');
  const definition = JSON.parse(text) as DnsDcvDefinition;
  definitions.set(key, definition);
  return definition;
}

/**
 * Runs the synthesized workflow with `input` (the function's initial state) and every task bound to
 * `handler`. Resolves with how it ended; rejects only when the run itself breaks (timeout, an
 * invalid definition). A thrown error's `name` is what Retry and Catch match, as Lambda's
 * `errorType` is. To run the real function:
 *
 * ```ts
 * const run = await runDnsDcvWorkflow((event) => handler(event, context()), initialState);
 * ```
 * (`handler` from functions/resend-dcv-emails/handler.ts, `context` from ./audit-events.ts.)
 */
export async function runDnsDcvWorkflow(
  handler: DnsDcvTaskHandler,
  input: unknown,
  options: RunDnsDcvWorkflowOptions = {},
): Promise<DnsDcvWorkflowRun> {
  if (!canRunLocalStepFunctions) throw new Error(SKIPPED_ON_OLD_NODE);
  const { StateMachine } = await import('aws-local-stepfunctions');
  const definition = dnsDcvDefinition(options.settings);
  const names = Object.entries(definition.States);
  const tasks: { state: string; payload: unknown }[] = [];
  const bind = (state: string) => async (payload: unknown) => {
    tasks.push({ state, payload });
    // The library hands the value on as the task's result, as Lambda would its JSON answer.
    return JSON.parse(JSON.stringify((await handler(payload)) ?? null)) as never;
  };
  const ofType = (type: string) => names.filter(([, state]) => state.Type === type).map(([name]) => name);
  const machine = new StateMachine(definition as never, {
    validationOptions: { checkArn: true, checkPaths: true },
  });
  const execution = machine.run(input as never, {
    overrides: {
      taskResourceLocalHandlers: Object.fromEntries(ofType('Task').map((name) => [name, bind(name)])),
      waitTimeOverrides: Object.fromEntries(ofType('Wait').map((name) => [name, options.waitMs ?? 1])),
      retryIntervalOverrides: Object.fromEntries(ofType('Task').map((name) => [name, options.retryMs ?? 1])),
    },
  });
  const states: string[] = [];
  const retried: string[] = [];
  const caught: string[] = [];
  let failure: WorkflowFailure | undefined;
  const events = (async () => {
    for await (const event of execution.eventLogs) {
      if (event.type === 'StateEntered') states.push(event.state.name);
      else if (event.type === 'StateRetried') retried.push(event.state.name);
      else if (event.type === 'StateCaught') caught.push(event.state.name);
      else if (event.type === 'ExecutionFailed') failure = { Error: event.Error, Cause: event.Cause };
    }
  })();
  const timeoutMs = options.timeoutMs ?? 10_000;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      execution.abort();
      reject(
        new Error(`the DNS-DCV workflow did not end within ${timeoutMs} ms (states: ${states.join(' > ')})`),
      );
    }, timeoutMs);
  });
  try {
    const output = await Promise.race([execution.result, timedOut]);
    await events;
    return { status: 'SUCCEEDED', output, states, tasks, retried, caught };
  } catch (error) {
    await Promise.race([events, timedOut]).catch(() => undefined);
    if (!failure) throw error;
    return { status: 'FAILED', error: failure, states, tasks, retried, caught };
  } finally {
    clearTimeout(timer);
  }
}
