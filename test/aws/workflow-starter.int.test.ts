/**
 * The DNS-DCV workflow's starter on Step Functions (`@aws-sdk/client-sfn`, reached through
 * `AWS_ENDPOINT_URL_SFN` as the SDK reads it) against a JSON 1.0 stand-in: the execution's name
 * and input, a second start while it runs, a name already used by an ended execution, and what a
 * refusal becomes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StepFunctionsStandIn } from '../../dev/step-functions-standin.js';
import { createExecutionReader, SfnWorkflowStarter } from '../../functions/aws/workflow-starter.js';
import { ExecutionNameTakenError } from '../../functions/dcv/dns/ports.js';
import type { DnsDcvState } from '../../functions/dcv/dns/state.js';
import { ConfigurationError, UpstreamError } from '../../functions/lib/errors.js';

const STATE_MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:DnsDcv';
const STATE = { order_id: 123, method: 'dns-txt-token', random_value: 'v' } as unknown as DnsDcvState;

let sfn: StepFunctionsStandIn;

beforeAll(async () => {
  sfn = await StepFunctionsStandIn.start();
  process.env.AWS_ENDPOINT_URL_SFN = sfn.endpoint;
  process.env.AWS_REGION ??= 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID ??= 'AKIDLOCAL';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
});
afterAll(async () => {
  await sfn.close();
});

describe('SfnWorkflowStarter', () => {
  it('starts the named execution of the state machine with the state as its input', async () => {
    const started = await new SfnWorkflowStarter({ stateMachineArn: STATE_MACHINE }).start(
      'dcv-123-a',
      STATE,
    );

    expect(started).toEqual({
      executionArn: 'arn:aws:states:us-east-1:123456789012:execution:DnsDcv:dcv-123-a',
      alreadyRunning: false,
    });
    expect(JSON.parse(sfn.executions.get(started.executionArn)?.input ?? '')).toEqual(STATE);
  });

  it('answers the running execution of the same name instead of starting another', async () => {
    const starter = new SfnWorkflowStarter({ stateMachineArn: STATE_MACHINE });
    const first = await starter.start('dcv-123-b', STATE);

    const second = await starter.start('dcv-123-b', STATE);

    expect(second).toEqual({ executionArn: first.executionArn, alreadyRunning: true });
    expect(sfn.operations.slice(-2)).toEqual(['StartExecution', 'DescribeExecution']);
  });

  it('says the name is taken when the execution of that name has ended', async () => {
    const starter = new SfnWorkflowStarter({ stateMachineArn: STATE_MACHINE });
    const first = await starter.start('dcv-123-c', STATE);
    sfn.end(first.executionArn, { status: 'FAILED', error: 'DnsDcvNotValidated' });

    const failure = await starter.start('dcv-123-c', STATE).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(ExecutionNameTakenError);
  });

  it.each([
    ['throttling', 'ThrottlingException', 400, 3, UpstreamError],
    ['a 5xx', 'ServiceUnavailable', 503, 3, UpstreamError],
    ['access denied', 'AccessDeniedException', 400, 1, ConfigurationError],
    ['a state machine that does not exist', 'StateMachineDoesNotExist', 400, 1, ConfigurationError],
  ])('turns %s into the error the callers map', async (_, code, status, attempts, type) => {
    sfn.operations.splice(0);
    // The SDK retries throttling and 5xx itself (3 attempts): every attempt fails.
    for (let i = 0; i < attempts; i += 1) sfn.failNext('StartExecution', code, status);

    const failure = await new SfnWorkflowStarter({ stateMachineArn: STATE_MACHINE })
      .start(`dcv-123-${code}`, STATE)
      .catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(type);
    expect(sfn.operations.splice(0).filter((operation) => operation === 'StartExecution')).toHaveLength(
      attempts,
    );
  });
});

describe('createExecutionReader', () => {
  it('reads an ended execution: its status, output and error', async () => {
    const { executionArn } = await new SfnWorkflowStarter({ stateMachineArn: STATE_MACHINE }).start(
      'dcv-123-d',
      STATE,
    );
    sfn.end(executionArn, { status: 'SUCCEEDED', output: '{"validated":true}' });

    const described = await createExecutionReader()(executionArn);

    expect(described).toMatchObject({ status: 'SUCCEEDED', output: '{"validated":true}' });
  });
});
