/**
 * A loopback stand-in for Step Functions' control plane, speaking the JSON 1.0 protocol the SDK
 * speaks (`POST /`, `x-amz-target: AWSStepFunctions.<Operation>`), for exactly the calls the
 * DNS-DCV starter and the CLI make: `StartExecution` (names unique per state machine:
 * `ExecutionAlreadyExists` for a name used before) and `DescribeExecution`. Executions do not run:
 * a test ends them with {@link StepFunctionsStandIn.end}. Point the SDK at it with
 * `AWS_ENDPOINT_URL_SFN`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoopbackServer } from './loopback-server.js';

export interface StandInExecution {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly input: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  output?: string;
  error?: string;
  cause?: string;
}

export class StepFunctionsStandIn {
  readonly executions = new Map<string, StandInExecution>();
  /** Every request's operation, in order. */
  readonly operations: string[] = [];
  readonly #http: LoopbackServer;
  #faults: { operation: string; status: number; code: string }[] = [];
  #onStart: ((execution: StandInExecution) => void) | undefined;

  private constructor(http: LoopbackServer) {
    this.#http = http;
  }

  static async start(): Promise<StepFunctionsStandIn> {
    let standIn: StepFunctionsStandIn | undefined;
    const http = await LoopbackServer.listen((req, res) => {
      if (standIn) standIn.#onRequest(req, res);
    });
    standIn = new StepFunctionsStandIn(http);
    return standIn;
  }

  /** The value for `AWS_ENDPOINT_URL_SFN`. */
  get endpoint(): string {
    return this.#http.origin;
  }

  /** Ends an execution. */
  end(executionArn: string, result: Pick<StandInExecution, 'status' | 'output' | 'error' | 'cause'>): void {
    const execution = this.executions.get(executionArn);
    if (execution === undefined) throw new Error(`no execution ${executionArn}`);
    Object.assign(execution, result);
  }

  /** Runs `hook` on every execution started from now on (a test ends it there, at once). */
  onStart(hook: ((execution: StandInExecution) => void) | undefined): void {
    this.#onStart = hook;
  }

  /** The next call of `operation` answers `code` with `status` (`ThrottlingException` 400, `AccessDeniedException` 400, ...). */
  failNext(operation: string, code: string, status = 400): void {
    this.#faults.push({ operation, status, code });
  }

  async close(): Promise<void> {
    await this.#http.close();
  }

  #onRequest(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const operation = String(req.headers['x-amz-target'] ?? '').replace(/^AWSStepFunctions\./, '');
      this.operations.push(operation);
      const answer = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(JSON.stringify(body));
      };
      const fault = this.#faults.find((f) => f.operation === operation);
      if (fault !== undefined) {
        this.#faults.splice(this.#faults.indexOf(fault), 1);
        answer(fault.status, { __type: fault.code, message: `${fault.code} (stand-in)` });
        return;
      }
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      } catch {
        answer(400, { __type: 'SerializationException', message: 'not JSON' });
        return;
      }
      if (operation === 'StartExecution') {
        const stateMachineArn = String(body.stateMachineArn ?? '');
        const name = String(body.name ?? '');
        const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
        if (this.executions.has(executionArn)) {
          answer(400, {
            __type: 'ExecutionAlreadyExists',
            message: `Execution Already Exists: '${executionArn}'`,
          });
          return;
        }
        const input = String(body.input ?? '{}');
        const execution: StandInExecution = { executionArn, stateMachineArn, name, input, status: 'RUNNING' };
        this.executions.set(executionArn, execution);
        this.#onStart?.(execution);
        answer(200, { executionArn, startDate: Date.now() / 1000 });
        return;
      }
      if (operation === 'DescribeExecution') {
        const execution = this.executions.get(String(body.executionArn ?? ''));
        if (execution === undefined) {
          answer(400, { __type: 'ExecutionDoesNotExist', message: 'Execution Does Not Exist' });
          return;
        }
        answer(200, { ...execution, startDate: Date.now() / 1000 });
        return;
      }
      answer(400, { __type: 'UnknownOperationException', message: `not supported here: ${operation}` });
    });
  }
}
