/**
 * `dcv-resend dns-dcv --order N`: moves an order to DNS DCV (docs/contract.md §12) and starts the
 * workflow that publishes the records in the allowed Route 53 zones, waits for DigiCert to validate
 * them and removes them again; in this process (`--local`: the workflow runs here, with the
 * embedded simulator a Route 53 stand-in holds the demo zone example.com) or by invoking the
 * deployed function (`--function-name`, the `dns-dcv` action; `--follow` then reads the Step
 * Functions execution). Prints the records, whether each is published (or what to publish by
 * hand), and the execution; `--follow` waits for the end and says whether the order was validated.
 */

import { startBackend } from '../../dev/local-backend.js';
import type { DnsDcvMethod } from '../../functions/app/contract.js';
import { awsSetupProblem, describeAwsSetupProblem } from '../../functions/aws/setup-errors.js';
import { createExecutionReader } from '../../functions/aws/workflow-starter.js';
import { createResendClient } from '../../functions/client/invoke-client.js';
import type { DnsDcvStarted, DnsDcvState } from '../../functions/dcv/dns/state.js';
import { ConfigurationError } from '../../functions/lib/errors.js';
import { parseDirectInvocation } from '../../functions/triggers/direct-payload.js';
import { COMMON_OPTIONS, parseOptions } from '../args.js';
import { functionLogger, type Target, targetOf } from '../backend.js';
import { EXIT, type ExitCode, UsageError } from '../exit-codes.js';
import type { Io } from '../io.js';
import { output } from '../output.js';

export const DNS_DCV_HELP = `Usage: dcv-resend dns-dcv --order ID [--method dns-txt-token|dns-cname-token] [--follow]
                        [--local | --function-name NAME] [--json] [--verbose]

Move an order from email to DNS DCV (email DCV ends on 2028-03-15): switch its DCV method at
DigiCert, publish the random value in the allowed Route 53 hosted zones (DNS_DCV_HOSTED_ZONE_IDS;
other TXT values at the name are kept), ask DigiCert to check until the order is validated, then
remove what was published. A record outside the allowed zones is printed for you to publish by hand.

Options:
  --order ID              the DigiCert order id
  --method M              dns-txt-token (the default) or dns-cname-token
  --follow                wait for the workflow's end and say whether DigiCert validated the order

Target:
  --local                 in this process (the default): the workflow runs here and only while this
                          command runs (use --follow). With no DigiCert key, the embedded simulator
                          and a Route 53 stand-in holding example.com (orders 1001 to 1005)
  --function-name NAME    invoke the deployed function NAME (the "dns-dcv" action); --follow reads
                          the Step Functions execution with your AWS credentials

Output:
  --json                  one JSON document on stdout (the API's answer, with "outcome" when followed)
  --verbose               the function's own log lines on stderr (local runs)
  -h, --help              this help

Exit codes: 0 started (validated with --follow), 1 DigiCert failed or not validated, 2 usage error,
3 invalid order id or method, 4 configuration error.

Examples:
  dcv-resend dns-dcv --order 1001 --follow
  dcv-resend dns-dcv --order 123456 --function-name "$FUNCTION_NAME" --follow`;

const { 'dry-run': _dryRun, ...TARGET_OPTIONS } = COMMON_OPTIONS;
const OPTIONS = {
  ...TARGET_OPTIONS,
  order: { type: 'string' },
  method: { type: 'string' },
  follow: { type: 'boolean' },
} as const;

/** How long a local start may take: a few DigiCert calls with their retries. */
const LOCAL_DEADLINE_MS = 60_000;
/** How often `--follow` reads a deployed execution (its waits are minutes long). */
const FOLLOW_POLL_MS = 15_000;

/** How the workflow ended. */
export interface WorkflowOutcome {
  readonly status: string;
  readonly validated: boolean;
  readonly error?: string | undefined;
  readonly cause?: string | undefined;
  /** DigiCert checks made (locally, and from a deployed execution's output). */
  readonly checks?: number | undefined;
}

/** Runs `dns-dcv` with its arguments; resolves to the exit code. */
export async function dnsDcvCommand(args: readonly string[], io: Io): Promise<ExitCode> {
  const values = parseOptions(args, OPTIONS, {
    command: 'dns-dcv',
    repeatHints: { order: 'dns-dcv moves one order; run it once per order' },
  });
  if (values.help) {
    io.stdout(`${DNS_DCV_HELP}\n`);
    return EXIT.ok;
  }
  if (values.order === undefined) throw new UsageError('--order is required (the DigiCert order id)');
  // The function's own rules for the order id and the method (ValidationError: exit 3).
  const payload = parseDirectInvocation({
    action: 'dns-dcv',
    order_id: values.order.trim(),
    ...(values.method === undefined ? {} : { method: values.method.trim() }),
  });
  if (payload.kind !== 'action' || payload.action !== 'dns-dcv') throw new UsageError('expected one order');
  const target = targetOf(values);
  const follow = values.follow === true;
  const { started, outcome } = await run(payload.orderId, payload.method, target, io, {
    follow,
    verbose: values.verbose === true,
  });
  const code = outcome === undefined || outcome.validated ? EXIT.ok : EXIT.failed;
  const human = [describeStart(started), ...(outcome ? [describeOutcome(started.order_id, outcome)] : [])];
  if (!follow && target.kind === 'local') {
    human.push('note: the local workflow stopped with this command (its records removed); use --follow');
  }
  return output(io, values.json, outcome ? { ...started, outcome } : started, human.join('\n'), code);
}

async function run(
  orderId: number,
  method: DnsDcvMethod,
  target: Target,
  io: Io,
  options: { readonly follow: boolean; readonly verbose: boolean },
): Promise<{ started: DnsDcvStarted; outcome?: WorkflowOutcome }> {
  if (target.kind === 'function') {
    try {
      const started = await createResendClient({ functionName: target.name }).dnsDcv(orderId, method);
      if (!options.follow) return { started };
      io.stderr(`following ${started.execution} (DigiCert is asked every 1 to 15 minutes)...\n`);
      return { started, outcome: await followDeployed(started.execution) };
    } catch (error) {
      const problem = awsSetupProblem(error);
      if (!problem) throw error;
      throw new ConfigurationError(
        'invalid_configuration',
        `cannot reach AWS: ${describeAwsSetupProblem(problem, 'Lambda', 'AWS_ENDPOINT_URL_LAMBDA')}`,
        { cause: error },
      );
    }
  }
  const backend = await startBackend(io.env, { logger: functionLogger(io, options.verbose) });
  try {
    if (backend.description.startsWith('the embedded')) io.stderr(`note: using ${backend.description}\n`);
    const started = await backend.runtime.dnsDcv.start(orderId, method, {
      deadline: Date.now() + LOCAL_DEADLINE_MS,
    });
    if (!options.follow) return { started };
    const ended = await backend.workflow.wait(started.execution);
    return {
      started,
      outcome: {
        status: ended.status,
        validated: ended.status === 'SUCCEEDED',
        error: ended.error,
        cause: ended.cause,
        checks: ended.state.checks,
      },
    };
  } finally {
    await backend.close();
  }
}

async function followDeployed(executionArn: string): Promise<WorkflowOutcome> {
  const describe = createExecutionReader();
  for (;;) {
    const execution = await describe(executionArn);
    if (execution.status !== 'RUNNING') {
      const state = parseState(execution.output);
      return {
        status: execution.status,
        validated: execution.status === 'SUCCEEDED',
        error: execution.error,
        cause: execution.cause,
        checks: state?.checks,
      };
    }
    await new Promise((resolve) => setTimeout(resolve, FOLLOW_POLL_MS));
  }
}

function parseState(text: string | undefined): Partial<DnsDcvState> | undefined {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as Partial<DnsDcvState>;
  } catch {
    return undefined;
  }
}

/** The records, each published or to publish by hand, and the execution. */
export function describeStart(started: DnsDcvStarted): string {
  const lines = [
    `order ${started.order_id}: moved to ${started.method}; random value ${started.random_value} (expires ${started.expires_at})`,
  ];
  for (const record of started.records) {
    const where = record.published
      ? `published by the workflow in hosted zone ${record.hosted_zone_id ?? ''}`
      : 'NOT published: no allowed hosted zone holds it; publish it by hand';
    lines.push(`  ${record.type} ${record.name} ${JSON.stringify(record.value)}: ${where}`);
  }
  lines.push(`execution ${started.execution}`);
  return lines.join('\n');
}

export function describeOutcome(orderId: number, outcome: WorkflowOutcome): string {
  const checks =
    outcome.checks === undefined ? '' : ` after ${outcome.checks} check${outcome.checks === 1 ? '' : 's'}`;
  if (outcome.validated)
    return `✓ order ${orderId}: validated by DigiCert${checks}; the records were removed`;
  const why = [outcome.error, outcome.cause].filter(Boolean).join(': ');
  const cleaned = outcome.error === 'DnsDcvNotValidated' ? '; the records were removed' : '';
  return `✗ order ${orderId}: not validated${checks} (${outcome.status}${why ? `, ${why}` : ''})${cleaned}`;
}
