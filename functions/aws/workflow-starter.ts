/**
 * The DNS-DCV workflow on Step Functions (docs/contract.md §12): `StartExecution` of
 * `DNS_DCV_STATE_MACHINE_ARN` with the state as input, and `DescribeExecution` (a running execution
 * of the same name; the CLI's `--follow`). The SDK reads `AWS_ENDPOINT_URL_SFN` itself.
 *
 * The Step Functions client is loaded on first use, like the failure queue's SQS client: only a
 * DNS-DCV start needs it, and the other invocations should not pay for it at cold start.
 */
import type { SFNClient } from '@aws-sdk/client-sfn';
import { ExecutionNameTakenError, type WorkflowStarter } from '../dcv/dns/ports.js';
import type { DnsDcvState } from '../dcv/dns/state.js';
import type { ClientBounds } from '../lib/client-bounds.js';
import { ConfigurationError, UpstreamError } from '../lib/errors.js';

/** Step Functions answers its control-plane calls in well under a second. */
export const SFN_BOUNDS: ClientBounds = {
  maxAttempts: 3,
  connectionTimeoutMs: 1_000,
  requestTimeoutMs: 5_000,
};

/** What `DescribeExecution` tells of one execution. */
export interface ExecutionDescription {
  readonly status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE';
  /** The final state (JSON), once it succeeded. */
  readonly output?: string | undefined;
  readonly error?: string | undefined;
  readonly cause?: string | undefined;
}

type Sdk = typeof import('@aws-sdk/client-sfn');

/** One lazily built client per process. */
function lazyClient(bounds: ClientBounds, given?: SFNClient): () => Promise<{ sdk: Sdk; client: SFNClient }> {
  let loaded: Promise<{ sdk: Sdk; client: SFNClient }> | undefined;
  return () =>
    (loaded ??= import('@aws-sdk/client-sfn').then((sdk) => ({
      sdk,
      client:
        given ??
        new sdk.SFNClient({
          maxAttempts: bounds.maxAttempts,
          requestHandler: {
            connectionTimeout: bounds.connectionTimeoutMs,
            requestTimeout: bounds.requestTimeoutMs,
            // Without this the SDK only logs a warning when requestTimeout passes, and keeps waiting.
            throwOnRequestTimeout: true,
          },
        }),
    })));
}

/** Starts executions of one state machine. */
export class SfnWorkflowStarter implements WorkflowStarter {
  readonly #stateMachineArn: string;
  readonly #load: () => Promise<{ sdk: Sdk; client: SFNClient }>;

  constructor(options: { readonly stateMachineArn: string; readonly client?: SFNClient }) {
    this.#stateMachineArn = options.stateMachineArn;
    this.#load = lazyClient(SFN_BOUNDS, options.client);
  }

  async start(name: string, input: DnsDcvState) {
    const { sdk, client } = await this.#load();
    try {
      const out = await client.send(
        new sdk.StartExecutionCommand({
          stateMachineArn: this.#stateMachineArn,
          name,
          input: JSON.stringify(input),
        }),
      );
      return { executionArn: out.executionArn ?? this.#executionArn(name), alreadyRunning: false };
    } catch (error) {
      if (!(error instanceof Error && error.name === 'ExecutionAlreadyExists')) throw sfnError(error);
    }
    // The same name: running, it is the one to answer; ended, the name cannot be used again.
    const executionArn = this.#executionArn(name);
    const { status } = await describeExecution(executionArn, this.#load);
    if (status === 'RUNNING') return { executionArn, alreadyRunning: true };
    throw new ExecutionNameTakenError(`the execution ${name} has ended (${status})`);
  }

  /** `arn:aws:states:<region>:<account>:execution:<state machine name>:<name>`. */
  #executionArn(name: string): string {
    return `${this.#stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
  }
}

/** Reads one execution (the CLI's `--follow`); the client is loaded on first use. */
export function createExecutionReader(): (executionArn: string) => Promise<ExecutionDescription> {
  const load = lazyClient(SFN_BOUNDS);
  return (executionArn) => describeExecution(executionArn, load);
}

async function describeExecution(
  executionArn: string,
  load: () => Promise<{ sdk: Sdk; client: SFNClient }>,
): Promise<ExecutionDescription> {
  const { sdk, client } = await load();
  try {
    const out = await client.send(new sdk.DescribeExecutionCommand({ executionArn }));
    return {
      status: out.status ?? 'RUNNING',
      output: out.output,
      error: out.error,
      cause: out.cause,
    };
  } catch (error) {
    throw sfnError(error);
  }
}

/** Throttling, a 5xx or a timeout: worth retrying; anything else (access denied, no such state machine): configuration. */
function sfnError(error: unknown): Error {
  const name = error instanceof Error ? error.name : 'Unknown';
  const status = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata
    ?.httpStatusCode;
  const message = `Step Functions failed: ${name}`;
  if (status === undefined || status >= 500 || /Throttl|Timeout|ECONNRE/i.test(name)) {
    return new UpstreamError('upstream_unavailable', message, { cause: error });
  }
  return new ConfigurationError('invalid_configuration', message, { cause: error });
}
