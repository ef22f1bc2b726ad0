/**
 * The runtime behind local runs (`npm start` and the CLI's `--local`): the real DigiCert when a key
 * or a secret id is in the environment, the embedded simulator otherwise. DNS DCV workflows run in
 * this process (`local-workflow.ts`); with the simulator, its `check-dcv` resolves through a local
 * DNS server that serves a Route 53 stand-in's demo zone (`example.com`, `Z0000000000DEMO`), where
 * the workflow publishes.
 */

import { type Env, parseBaseUrl } from '../functions/app/config.js';
import { ENV } from '../functions/app/contract.js';
import { createRuntime, type Runtime, type RuntimeOverrides } from '../functions/app/runtime.js';
import { unquoteTxt } from '../functions/aws/route53/names.js';
import type { StateTableEndpoint } from '../functions/aws/state-table.js';
import type { Logger } from '../functions/observability/logger.js';
import { createHandler } from '../functions/resend-dcv-emails/handler.js';
import { StaticApiKeyProvider } from '../functions/secrets/static-api-key-provider.js';
import { DEMO_ORDERS, DigiCertSimulator, demoBook } from './digicert-simulator.js';
import { LocalDnsServer } from './dns-server.js';
import { LocalWorkflow, type LocalWorkflowOptions, taskContext } from './local-workflow.js';
import { pointRoute53At, Route53StandIn } from './route53-standin.js';
import { pointSdkAt } from './sdk-endpoint.js';
import { SecretsManagerStandIn } from './secrets-manager-standin.js';

const LOCAL_KEY = 'local-simulator-key-0123456789';

/** The Route 53 stand-in's demo zone: the demo orders' names are in it. */
export const DEMO_ZONE = { id: 'Z0000000000DEMO', name: 'example.com' } as const;
const SECRET_NAME = 'dcv-resend/local';

/** Where the local server sends requests, decided by the environment. */
export type LocalMode = 'simulator' | 'digicert-key' | 'digicert-secret';

export function localMode(env: Env): LocalMode {
  if (env.DIGICERT_API_KEY) return 'digicert-key';
  if (env.DIGICERT_API_KEY_SECRET_ID) return 'digicert-secret';
  return 'simulator';
}

export interface Backend {
  readonly runtime: Runtime;
  readonly description: string;
  /** Where DNS-DCV workflows run (`--follow` waits on it). */
  readonly workflow: LocalWorkflow;
  /** With the simulator: the Route 53 stand-in holding the demo zone. */
  readonly route53?: Route53StandIn;
  close(): Promise<void>;
}

export interface BackendOptions {
  /** Where the function's log lines go. @default - JSON lines on standard output, as in Lambda */
  readonly logger?: Logger;
  /**
   * A state table for the runtime (`STATE_TABLE_NAME` and its endpoint): the embedded one of the
   * local servers. @default - the environment's `STATE_TABLE_NAME`, through the SDK's own endpoint
   */
  readonly stateTable?: { readonly tableName: string; readonly endpoint: StateTableEndpoint };
  /** The local workflow's shortened waits. */
  readonly workflow?: LocalWorkflowOptions;
}

/**
 * The runtime behind the local server: the real DigiCert with `DIGICERT_API_KEY` (a key in the
 * environment, local use only) or `DIGICERT_API_KEY_SECRET_ID` (read with your AWS credentials);
 * otherwise the embedded simulator and Secrets Manager stand-in. Throws `ConfigurationError` naming
 * a bad variable, having closed whatever it started.
 */
export async function startBackend(given: Env, options: BackendOptions = {}): Promise<Backend> {
  const mode = localMode(given);
  const table = options.stateTable;
  const env: Env = table ? { ...given, [ENV.STATE_TABLE_NAME]: table.tableName } : given;
  const workflow = new LocalWorkflow(options.workflow);
  const overrides: RuntimeOverrides = {
    ...(options.logger ? { logger: options.logger } : {}),
    ...(table ? { stateTableEndpoint: table.endpoint } : {}),
    workflow,
  };
  // The workflow's tasks invoke the real handler around the runtime built below.
  const bindWorkflow = (runtime: Runtime) => {
    const handler = createHandler(() => runtime);
    workflow.bind((event) => handler(event, taskContext()));
    return runtime;
  };
  if (mode === 'digicert-key') {
    const runtime = bindWorkflow(
      createRuntime(
        { ...env, DIGICERT_API_KEY_SECRET_ID: 'local/DIGICERT_API_KEY' },
        { apiKeys: new StaticApiKeyProvider(env.DIGICERT_API_KEY ?? ''), ...overrides },
      ),
    );
    return {
      runtime,
      description: `REAL DigiCert at ${runtime.config.digicertBaseUrl}, key from DIGICERT_API_KEY: requests resend real emails`,
      workflow,
      close: () => workflow.close(),
    };
  }
  if (mode === 'digicert-secret') {
    const runtime = bindWorkflow(createRuntime(env, overrides));
    return {
      runtime,
      description: `REAL DigiCert at ${runtime.config.digicertBaseUrl}, key from secret ${runtime.config.secretId}: requests resend real emails`,
      workflow,
      close: () => workflow.close(),
    };
  }
  // The simulator replaces DIGICERT_BASE_URL, but a bad value is still refused: it would be used
  // as soon as a key is set, and a setting that is silently ignored hides the typo until then.
  const baseUrl = env[ENV.DIGICERT_BASE_URL];
  if (baseUrl !== undefined && baseUrl !== '')
    parseBaseUrl(baseUrl, ENV.DIGICERT_BASE_URL, { allowLoopbackHttp: true });
  const unusedBaseUrl =
    baseUrl !== undefined && baseUrl !== ''
      ? ` (${ENV.DIGICERT_BASE_URL} is not used with the simulator)`
      : '';
  // DNS DCV end to end: the workflow publishes in the stand-in's demo zone, the DNS server serves
  // the stand-in's records, and the simulator's check-dcv resolves through it.
  const route53 = await Route53StandIn.start({
    zones: [
      {
        ...DEMO_ZONE,
        records: [{ name: DEMO_ZONE.name, type: 'TXT', ttl: 300, values: ['"v=spf1 -all"'] }],
      },
    ],
  });
  let dnsServer: LocalDnsServer | undefined;
  let simulator: DigiCertSimulator | undefined;
  let secrets: SecretsManagerStandIn | undefined;
  const close = async () => {
    await workflow.close();
    await Promise.all([simulator?.close(), secrets?.close(), route53.close(), dnsServer?.close()]);
  };
  try {
    dnsServer = await LocalDnsServer.start({ records: (name) => standInRecords(route53, name) });
    simulator = await DigiCertSimulator.start({
      validKeys: [LOCAL_KEY],
      fixedBehaviours: DEMO_ORDERS,
      // A few stuck orders to read: `GET /order/certificate/1001/dcv`, `dcv-resend status --order 1001`.
      orders: demoBook(),
      // A local server may run for long: keep the recent requests only.
      maxRecordedRequests: 1_000,
      dnsServers: [dnsServer.address],
    });
    secrets = await SecretsManagerStandIn.start({ [SECRET_NAME]: LOCAL_KEY });
    pointSdkAt(secrets.endpoint);
    pointRoute53At(route53.endpoint);
    const runtime = bindWorkflow(
      createRuntime(
        {
          ...env,
          DIGICERT_API_KEY_SECRET_ID: SECRET_NAME,
          DIGICERT_BASE_URL: simulator.baseUrl,
          DIGICERT_TIMEOUT_MS: env.DIGICERT_TIMEOUT_MS ?? '3000',
          [ENV.DNS_DCV_HOSTED_ZONE_IDS]: env[ENV.DNS_DCV_HOSTED_ZONE_IDS] ?? DEMO_ZONE.id,
        },
        overrides,
      ),
    );
    return {
      runtime,
      description: `the embedded DigiCert simulator and Secrets Manager stand-in (no AWS or DigiCert account used; set DIGICERT_API_KEY or DIGICERT_API_KEY_SECRET_ID to talk to the real DigiCert)${unusedBaseUrl}`,
      workflow,
      route53,
      close,
    };
  } catch (error) {
    // A bad variable (DIGICERT_TIMEOUT_MS=soon) throws here: the listening servers would keep the
    // process alive forever, and the caller would never get to report the error and exit.
    await close();
    throw error;
  }
}

/** The stand-in's TXT and CNAME at `name`, as the DNS server answers them (TXT unquoted). */
function standInRecords(route53: Route53StandIn, name: string) {
  const txt = route53.lookup(name, 'TXT');
  const cname = route53.lookup(name, 'CNAME');
  if (txt === undefined && cname === undefined) return undefined;
  return {
    ...(txt === undefined ? {} : { txt: txt.values.map((value) => [unquoteTxt(value)]) }),
    ...(cname?.values[0] === undefined ? {} : { cname: cname.values[0] }),
  };
}
