/**
 * The DNS-DCV workflow run in this process, for `npm start`, the CLI's local mode and tests: Node 20
 * has no Step Functions emulator (aws-local-stepfunctions needs Node 22). It follows the state
 * machine of the workflow contract (docs/contract.md §12) state by state, invoking the real handler
 * with the same task events Step Functions sends:
 *
 *   Publish -> WaitForSync -> ChangeStatus -> (in_sync ? Check : WaitForSync)
 *   Check -> (validated ? Cleanup : expired or gave_up ? CleanupAfterFailure : WaitBeforeCheck -> Check)
 *   Cleanup -> Validated;  CleanupAfterFailure -> NotValidated (DnsDcvNotValidated)
 *
 * Each task retries `UpstreamError` with backoff; any other failure goes to CleanupAfterFailure
 * with the error, as the state machine's Catch does. Waits are shortened (`waits`).
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import type { DnsDcvTask } from '../functions/app/contract.js';
import { ExecutionNameTakenError, type WorkflowStarter } from '../functions/dcv/dns/ports.js';
import type { DnsDcvState, WorkflowError } from '../functions/dcv/dns/state.js';
import { lambdaContext } from './lambda-events.js';

/** Invokes the function with one event (the real handler, with a Lambda context). */
export type InvokeFunction = (event: unknown) => Promise<unknown>;

export interface LocalWorkflowOptions {
  readonly waits?: {
    /** WaitForSync. @default 200 ms (Step Functions: 5 s) */
    readonly syncMs?: number;
    /** WaitBeforeCheck is `next_check_seconds` × this, in ms. @default 20 (a minute becomes 1.2 s) */
    readonly checkMsPerSecond?: number;
    /** The first retry's wait after an `UpstreamError`. @default 50 ms (Step Functions: 5 s) */
    readonly retryMs?: number;
  };
  /** Task invocations of one execution before it is failed (a bound for tests). @default 500 */
  readonly maxTasks?: number;
}

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED';

export interface LocalExecution {
  readonly executionArn: string;
  readonly name: string;
  readonly status: ExecutionStatus;
  /** The last state a task answered. */
  readonly state: DnsDcvState;
  /** The failure's error and cause (`DnsDcvNotValidated`, and what sent it to the cleanup). */
  readonly error?: string;
  readonly cause?: string;
  /** The states entered, in order (`Publish`, `WaitForSync`, ...). */
  readonly history: readonly string[];
}

/** Retries of a task's `UpstreamError`, as the state machine's Retry: max 5, backoff 2. */
const MAX_RETRIES = 5;
const STATE_MACHINE = 'arn:aws:states:local:000000000000:stateMachine:dcv-resend-dns-dcv';

export class LocalWorkflow implements WorkflowStarter {
  readonly #executions = new Map<string, { execution: LocalExecution; done: Promise<LocalExecution> }>();
  readonly #options: LocalWorkflowOptions;
  #invoke: InvokeFunction | undefined;
  #closed = false;
  /** Waits in progress: `close()` ends them at once. */
  readonly #waking = new Set<() => void>();

  constructor(options: LocalWorkflowOptions = {}) {
    this.#options = options;
  }

  /** The function the tasks invoke (set once the runtime that uses this runner exists). */
  bind(invoke: InvokeFunction): this {
    this.#invoke = invoke;
    return this;
  }

  async start(name: string, input: DnsDcvState) {
    const executionArn = `${STATE_MACHINE.replace(':stateMachine:', ':execution:')}:${name}`;
    const existing = this.#executions.get(executionArn);
    if (existing !== undefined) {
      if (existing.execution.status === 'RUNNING') return { executionArn, alreadyRunning: true };
      throw new ExecutionNameTakenError(`the execution ${name} has ended (${existing.execution.status})`);
    }
    const holder: { execution: LocalExecution } = {
      execution: { executionArn, name, status: 'RUNNING', state: input, history: [] },
    };
    const done = this.#run(holder, input);
    this.#executions.set(executionArn, {
      get execution() {
        return holder.execution;
      },
      done,
    });
    return { executionArn, alreadyRunning: false };
  }

  /** The execution as it is now. */
  describe(executionArn: string): LocalExecution | undefined {
    return this.#executions.get(executionArn)?.execution;
  }

  /** Resolves when the execution has ended. */
  async wait(executionArn: string): Promise<LocalExecution> {
    const entry = this.#executions.get(executionArn);
    if (entry === undefined) throw new Error(`no local execution ${executionArn}`);
    return entry.done;
  }

  /** Every execution started here. */
  executions(): LocalExecution[] {
    return [...this.#executions.values()].map(({ execution }) => execution);
  }

  /** Stops every running execution at its next step (after its cleanup) and waits for them. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const wake of this.#waking) wake();
    await Promise.all([...this.#executions.values()].map(({ done }) => done));
  }

  async #run(entry: { execution: LocalExecution }, input: DnsDcvState): Promise<LocalExecution> {
    const waits = this.#options.waits ?? {};
    const maxTasks = this.#options.maxTasks ?? 500;
    const history: string[] = [];
    let tasks = 0;
    let state = input;
    const update = (patch: Partial<LocalExecution>) => {
      entry.execution = { ...entry.execution, ...patch, history: [...history] };
      return entry.execution;
    };
    const task = async (stateName: string, kind: DnsDcvTask, error?: WorkflowError) => {
      history.push(stateName);
      for (let retry = 0; ; retry += 1) {
        tasks += 1;
        if (tasks > maxTasks) throw named('States.Timeout', `more than ${maxTasks} task invocations`);
        try {
          const next = await this.#call({ dns_dcv_task: kind, state, ...(error ? { error } : {}) });
          state = next;
          update({ state });
          return next;
        } catch (failure) {
          if (nameOf(failure) !== 'UpstreamError' || retry >= MAX_RETRIES) throw failure;
          await this.#sleep((waits.retryMs ?? 50) * 2 ** retry);
        }
      }
    };
    const fail = async (failure: unknown): Promise<LocalExecution> => {
      const error: WorkflowError = { Error: nameOf(failure), Cause: messageOf(failure) };
      try {
        await task('CleanupAfterFailure', 'cleanup', error);
      } catch (cleanupFailure) {
        history.push('NotValidated');
        return update({ status: 'FAILED', error: nameOf(cleanupFailure), cause: messageOf(cleanupFailure) });
      }
      history.push('NotValidated');
      return update({ status: 'FAILED', error: 'DnsDcvNotValidated', cause: JSON.stringify(error) });
    };
    try {
      await task('Publish', 'publish');
      for (;;) {
        history.push('WaitForSync');
        await this.#sleep(waits.syncMs ?? 200);
        const synced = await task('ChangeStatus', 'change-status');
        if (synced.in_sync) break;
        if (this.#closed) throw named('States.Aborted', 'the local runner was closed');
      }
      for (;;) {
        const checked = await task('Check', 'check');
        if (checked.validated) break;
        if (checked.expired || checked.gave_up) {
          const reason = checked.expired ? 'the random value expired' : 'the day is over';
          return await failWithoutError(reason);
        }
        if (this.#closed) throw named('States.Aborted', 'the local runner was closed');
        history.push('WaitBeforeCheck');
        await this.#sleep(checked.next_check_seconds * (waits.checkMsPerSecond ?? 20));
        if (this.#closed) throw named('States.Aborted', 'the local runner was closed');
      }
      await task('Cleanup', 'cleanup');
      history.push('Validated');
      return update({ status: 'SUCCEEDED' });
    } catch (failure) {
      return fail(failure);
    }

    async function failWithoutError(reason: string): Promise<LocalExecution> {
      try {
        await task('CleanupAfterFailure', 'cleanup');
      } catch (cleanupFailure) {
        history.push('NotValidated');
        return update({ status: 'FAILED', error: nameOf(cleanupFailure), cause: messageOf(cleanupFailure) });
      }
      history.push('NotValidated');
      return update({ status: 'FAILED', error: 'DnsDcvNotValidated', cause: reason });
    }
  }

  /** A Wait state; over at once once the runner is closing. */
  #sleep(ms: number): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.#waking.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.#waking.add(wake);
    });
  }

  async #call(event: unknown): Promise<DnsDcvState> {
    const invoke = this.#invoke;
    if (invoke === undefined) throw new Error('LocalWorkflow: bind() the function before starting');
    return (await invoke(event)) as DnsDcvState;
  }
}

/** The Lambda context of one task invocation: a fresh request id and the function timeout's 5 minutes. */
export function taskContext(): Context {
  const deadline = Date.now() + 300_000;
  return lambdaContext(randomUUID(), () => Math.max(0, deadline - Date.now()));
}

function named(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

function nameOf(error: unknown): string {
  return error instanceof Error ? error.name : 'Error';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
