/**
 * `npm run start:lambda`: the resend function behind a local stand-in for the Lambda Invoke API on
 * 127.0.0.1, so that `aws lambda invoke --endpoint-url ...`, the invoke client and any SDK caller
 * can try direct, scheduled and batch payloads without an AWS or DigiCert account. It embeds the
 * DigiCert simulator (with the demo order ids of `npm start`), the Secrets Manager stand-in and the
 * state table, so that an `idempotency_key` is honoured as deployed.
 */

import { DEMO_ORDERS } from './digicert-simulator.js';
import { LambdaInvokeStandIn } from './lambda-invoke-standin.js';
import { startLocalFunction } from './local-function.js';
import { quietSdkNodeWarning } from './sdk-endpoint.js';
import { parsePort, portFailure, startOrExit } from './start-failure.js';

export const LOCAL_FUNCTION_NAME = 'resend-dcv-emails';

export interface LocalLambda {
  readonly endpoint: string;
  /** What the function talks to, in words. */
  readonly description: string;
  /** Which state table the function uses, in words. */
  readonly stateDescription: string;
  close(): Promise<void>;
}

/**
 * Starts the stand-in; throws `ConfigurationError` for a bad variable and `PortError` when `port`
 * cannot be listened on, having closed whatever it started.
 */
export async function startLocalLambda(
  port: number,
  env: NodeJS.ProcessEnv = process.env,
): Promise<LocalLambda> {
  const backend = await startLocalFunction(env);
  let lambda: LambdaInvokeStandIn;
  try {
    lambda = await LambdaInvokeStandIn.start({
      functions: { [LOCAL_FUNCTION_NAME]: backend.handler },
      timeoutMs: 120_000,
      port,
    });
  } catch (error) {
    await backend.close();
    throw portFailure(error, port, 'npm run start:lambda');
  }
  backend.warm();
  return {
    endpoint: lambda.endpoint,
    description: backend.description,
    stateDescription: backend.stateDescription,
    close: async () => {
      await lambda.close();
      await backend.close();
    },
  };
}

const isMain = import.meta.url === `file://${process.argv[1]}`;
if (isMain) {
  quietSdkNodeWarning();
  const local = await startOrExit('npm run start:lambda', () =>
    startLocalLambda(parsePort(process.env.PORT, 3001, 'npm run start:lambda')),
  );
  console.log(`Lambda Invoke stand-in for ${LOCAL_FUNCTION_NAME} on ${local.endpoint}
Talking to ${local.description}.
State table: ${local.stateDescription}.
Try (AWS CLI v2; with v1 leave out --cli-binary-format; any dummy credentials sign the request):
  AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local aws lambda invoke --region us-east-1 --endpoint-url ${local.endpoint} \\
    --function-name ${LOCAL_FUNCTION_NAME} --cli-binary-format raw-in-base64-out \\
    --payload '{"orders":[{"order_id":123},{"order_id":404},{"order_id":503}]}' response.json && cat response.json
Order ids with a fixed simulated outcome: ${[...DEMO_ORDERS.keys()].join(', ')}.
Press Ctrl+C to stop.`);
  const stop = () => {
    void local.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
