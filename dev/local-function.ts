/**
 * The function as the local servers (`npm start`, `npm run start:lambda`, `npm run start:queue`) run
 * it: the backend of `local-backend.ts` (the simulator or the real DigiCert) with a state table, so
 * that deliveries and the rate budget behave as deployed, after the start-up checks that turn what
 * would be a 503 on every request into one line at start-up. (The CLI's `--local` uses the backend
 * alone: this module brings dynalite, which the CLI bundle must not.)
 */
import type { Env } from '../functions/app/config.js';
import { ENV } from '../functions/app/contract.js';
import { awsSetupProblem, describeAwsSetupProblem } from '../functions/aws/setup-errors.js';
import { ConfigurationError } from '../functions/lib/errors.js';
import { createHandler, type Handler } from '../functions/resend-dcv-emails/handler.js';
import { type Backend, type BackendOptions, localMode, startBackend } from './local-backend.js';
import { startLocalStateTable } from './local-state-table.js';

export interface LocalFunction extends Backend {
  /** The Lambda handler over `runtime`; its invocations wait for the embedded table to exist. */
  readonly handler: Handler;
  /** Which state table the function uses, in words, for the start-up banner. */
  readonly stateDescription: string;
  /**
   * Creates the embedded table in the background, so that the first request does not wait for it
   * (about a second, most of it loading the DynamoDB client). Call it once listening.
   */
  warm(): void;
}

export interface LocalFunctionOptions extends Pick<BackendOptions, 'logger'> {
  /**
   * Whether to embed the state table when `STATE_TABLE_NAME` is unset; without one, an
   * `Idempotency-Key` is not remembered and the rate budget is this process's own. @default true
   */
  readonly embedStateTable?: boolean;
}

/**
 * Starts the backend with the embedded state table (`local-state-table.ts`), or with the table
 * `STATE_TABLE_NAME` names when it is set. Throws `ConfigurationError` naming a bad variable,
 * having closed whatever it started.
 */
export async function startLocalFunction(
  env: Env,
  options: LocalFunctionOptions = {},
): Promise<LocalFunction> {
  if (localMode(env) === 'digicert-secret') await requireAwsRegion();
  const own = env[ENV.STATE_TABLE_NAME]?.trim();
  const table = own || options.embedStateTable === false ? undefined : await startLocalStateTable();
  // The stack tells each container how many may run at once, so that one that cannot reach the
  // table in time keeps to its share of the budget instead of refusing. The embedded table serves
  // this one process: its share is the whole budget.
  const shared =
    table && !env[ENV.DIGICERT_RATE_LIMIT_SHARE_DIVISOR]
      ? { ...env, [ENV.DIGICERT_RATE_LIMIT_SHARE_DIVISOR]: '1' }
      : env;
  let backend: Backend;
  try {
    backend = await startBackend(shared, {
      ...(options.logger ? { logger: options.logger } : {}),
      ...(table ? { stateTable: table } : {}),
    });
  } catch (error) {
    await table?.close();
    throw error;
  }
  const handler = createHandler(() => backend.runtime);
  return {
    runtime: backend.runtime,
    handler: table
      ? async (event, context) => {
          await table.ready();
          return handler(event, context);
        }
      : handler,
    description: backend.description,
    workflow: backend.workflow,
    ...(backend.route53 ? { route53: backend.route53 } : {}),
    stateDescription: table
      ? `embedded (dynalite on ${table.endpoint.url}, in memory until this stops): Idempotency-Key replays and the shared rate budget work as deployed; set ${ENV.STATE_TABLE_NAME} to use a table of your own`
      : own
        ? `${own} (${ENV.STATE_TABLE_NAME}), through the AWS SDK's own endpoint and credentials`
        : "none: an Idempotency-Key is not remembered, and the rate budget is this process's own",
    warm: () => {
      // A failure is the first request's to report: `ready()` tries again then.
      table?.ready().catch(() => undefined);
    },
    close: async () => {
      await backend.close();
      await table?.close();
    },
  };
}

/**
 * The key is read from Secrets Manager at the first request; without a region every request would
 * answer 503. The region is resolved as the SDK resolves it (`AWS_REGION`, then the profile's), and
 * its absence is reported with the CLI's words for it.
 */
async function requireAwsRegion(): Promise<void> {
  if ((process.env.AWS_REGION ?? '') !== '') return;
  const { SecretsManagerClient } = await import('../functions/secrets/secrets-manager-sdk.js');
  const client = new SecretsManagerClient({});
  try {
    await client.config.region();
  } catch (error) {
    const problem = awsSetupProblem(error);
    if (problem?.kind !== 'no_region') throw error;
    throw new ConfigurationError(
      'invalid_configuration',
      `cannot read the secret ${ENV.DIGICERT_API_KEY_SECRET_ID} names: ${describeAwsSetupProblem(problem, 'Secrets Manager', 'AWS_ENDPOINT_URL_SECRETS_MANAGER')}`,
      { cause: error },
    );
  } finally {
    client.destroy();
  }
}
