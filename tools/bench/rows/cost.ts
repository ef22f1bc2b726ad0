/**
 * Row `cost` (issue 26, item 7): what 1,000 resends and 1,000 DNS validations cost in AWS charges,
 * computed by the pure model in `cost.ts` from counts measured in this run, beside a naive
 * deployment of the same job. Informative: the figures are list prices times counts, and the
 * durations rest on the assumptions named below.
 *
 * Measured here, in this process, against the stand-ins on 127.0.0.1:
 * - a resend: the handler's own time (median of warm in-process calls against the simulator, no
 *   table) and the bytes it logs; the state table's requests and request units per order (the table
 *   row's `measureStateTable`: dynalite behind the counting proxy); the bulk queue's requests per
 *   order (`submit`'s code and two event-source pollers over local-aws-sqs behind the proxy);
 * - a DNS validation: workflows run by `dev/local-workflow.ts` (the state machine followed state by
 *   state) through the real handler, with the Route 53 stand-in, a DNS server answering from it
 *   and the simulator's `check-dcv` resolving through that server: Lambda invocations and their
 *   time, DigiCert and Route 53 requests, DNS queries, table requests, log bytes, and the states
 *   each execution entered, counted into Step Functions transitions (`transitionsOf`).
 *
 * Billed Lambda time = the handler's own time ÷ {@link LAMBDA_CPU_SHARE} (256 MB gets that share
 * of a vCPU; measured here on a full core, so this errs high) + the round trips it waits for, each a
 * named assumption. Route 53 request counts come from one happy-path workflow per order here; the
 * `dns-scale` row measures them for 100 workflows at once.
 */
import { submitOrders } from '../../../cli/queue-submit.js';
import { startCountingProxy } from '../../../dev/counting-proxy.js';
import { DigiCertSimulator, type SimulatedOrder } from '../../../dev/digicert-simulator.js';
import { LocalDnsServer } from '../../../dev/dns-server.js';
import { fakeContext, httpV2Event } from '../../../dev/lambda-events.js';
import { EventSourcePoller, localSqsClient, queueDepth, startLocalQueues } from '../../../dev/local-queue.js';
import { startLocalStateTable } from '../../../dev/local-state-table.js';
import { LocalWorkflow, taskContext } from '../../../dev/local-workflow.js';
import { pointRoute53At, Route53StandIn } from '../../../dev/route53-standin.js';
import { pointSqsAt } from '../../../dev/sdk-endpoint.js';
import {
  DEPLOYMENT_DEFAULTS,
  FUNCTION_DEFAULTS,
  RATE_LIMIT_WINDOWS_MS,
} from '../../../functions/app/contract.js';
import { createRuntime, type RuntimeOverrides } from '../../../functions/app/runtime.js';
import { createStateTableClient } from '../../../functions/aws/state-table.js';
import type { DnsDcvState } from '../../../functions/dcv/dns/state.js';
import { createLogger } from '../../../functions/observability/logger.js';
import { createRateLimiter } from '../../../functions/rate-limit/container-limiter.js';
import { createSlidingWindowLimiter } from '../../../functions/rate-limit/sliding-window.js';
import { createHandler } from '../../../functions/resend-dcv-emails/handler.js';
import {
  type CostBreakdown,
  costPer1000DnsValidations,
  costPer1000Resends,
  type DnsValidationUsage,
  dynamoDbRequestUnits,
  type Service,
  type Usage,
} from '../cost.js';
import { KEY } from '../fixtures.js';
import { type BenchContext, type BenchRow, fixed, median, type Row } from '../row.js';
import { measureStateTable, type TableMeasure } from './table.js';

/** Assumed: one DigiCert API round trip from us-east-1, TLS connection reused. */
export const DIGICERT_ROUND_TRIP_MS = 150;
/** Assumed: one in-region DynamoDB request (issue 26's figure). */
export const TABLE_ROUND_TRIP_MS = 5;
/** Assumed: one Route 53 API request (a global endpoint in us-east-1). */
export const ROUTE53_ROUND_TRIP_MS = 50;
/** A 256 MB function's share of a vCPU: Lambda gives a full vCPU at 1,769 MB, CPU in proportion. */
export const LAMBDA_CPU_SHARE = DEPLOYMENT_DEFAULTS.memorySize / 1769;
/** Assumed: containers started per 1,000 resends (each serves 100 before Lambda recycles it). */
export const COLD_STARTS_PER_1000 = 10;
/**
 * Cold start, import + first invocation, ms on this machine (docs/performance.md, peers row, last
 * figures: ours 194, naive 369); divided by the CPU share like the handler's time.
 */
export const COLD_START_MS = { ours: 194, naive: 369 } as const;
/** Lambda's own lines per invocation (text log format, as the stack deploys): their bytes are billed. */
const PLATFORM_LINES = [
  'START RequestId: 8f5b1c1e-2a47-4a8e-9d3c-0c6e4d1f2a3b Version: $LATEST',
  'END RequestId: 8f5b1c1e-2a47-4a8e-9d3c-0c6e4d1f2a3b',
  'REPORT RequestId: 8f5b1c1e-2a47-4a8e-9d3c-0c6e4d1f2a3b\tDuration: 151.25 ms\tBilled Duration: 152 ms\tMemory Size: 256 MB\tMax Memory Used: 98 MB\t',
];
export const PLATFORM_LOG_BYTES = PLATFORM_LINES.reduce((sum, line) => sum + Buffer.byteLength(line) + 1, 0);
/**
 * The naive function's one log line (`peers/naive.ts`: `console.log` of its JSON, which the Node.js
 * runtime prefixes with the time, the request id and the level).
 */
const NAIVE_LOG_LINE = `2026-12-07T12:00:00.000Z\t8f5b1c1e-2a47-4a8e-9d3c-0c6e4d1f2a3b\tINFO\t${JSON.stringify(
  {
    level: 'info',
    message: 'resend',
    requestId: 'Vf1x2jGdoAMEVbA=',
    orderId: 910_000,
    status: 204,
    durationMs: 152,
  },
)}`;
const NAIVE_LOG_BYTES = Buffer.byteLength(NAIVE_LOG_LINE) + 1;

const RESEND_WARMUP = 50;
const RESEND_CALLS = 300;
const QUEUE_ORDERS = 1_000;
const DNS_WORKFLOWS = 5;
const DAY_MS = 86_400_000;
/** The state machine's WaitForSync (`DNS_DCV_SYNC_WAIT_SECONDS` in the construct). */
const SYNC_WAIT_SECONDS = 5;

export const costRow: BenchRow = {
  id: 'cost',
  label: 'cost per 1,000 resends and per 1,000 DNS validations, from counts measured in this run',
  run: (context) => cost(context),
};

async function cost(context: BenchContext): Promise<Row[]> {
  const resend = await measureResend(context);
  const table = await measureStateTable(context);
  const queue = await measureQueue(context);
  const dns = await measureDns(context);
  return [resendRow(resend, table, queue), dnsRow(dns)];
}

// ---- A resend ----------------------------------------------------------------------------------

interface ResendMeasure {
  /** The handler's own time, median, ms (in-process, loopback simulator, no table). */
  readonly handlerMs: number;
  /** Bytes the function logged per resend (its line and its EMF document). */
  readonly logBytes: number;
}

async function measureResend(context: BenchContext): Promise<ResendMeasure> {
  let bytes = 0;
  const runtime = createRuntime(context.env, {
    logger: createLogger({
      write: (line) => {
        bytes += Buffer.byteLength(line);
      },
    }),
  });
  const handler = createHandler(() => runtime);
  const durations: number[] = [];
  for (let i = 0; i < RESEND_WARMUP + RESEND_CALLS; i += 1) {
    if (i === RESEND_WARMUP) bytes = 0;
    const started = performance.now();
    await handler(httpV2Event({ orderId: String(940_000 + i) }), fakeContext());
    if (i >= RESEND_WARMUP) durations.push(performance.now() - started);
  }
  return { handlerMs: median(durations), logBytes: bytes / RESEND_CALLS };
}

interface QueueMeasure {
  /** SQS requests per order by operation (empty receives left out: they depend on idle time, not orders). */
  readonly perOrder: { readonly send: number; readonly receive: number; readonly delete: number };
  readonly invocationsPerOrder: number;
  readonly logBytesPerOrder: number;
  readonly emptyReceives: number;
}

/** 1,000 orders written with `submit`'s code and drained by two pollers, SQS behind the counting proxy. */
async function measureQueue(context: BenchContext): Promise<QueueMeasure> {
  const queues = await startLocalQueues();
  const proxy = await startCountingProxy(queues.endpoint);
  const client = localSqsClient(proxy.endpoint);
  pointSqsAt(queues.endpoint);
  const pollers: EventSourcePoller[] = [];
  let bytes = 0;
  try {
    const orders = Array.from({ length: QUEUE_ORDERS }, (_, i) => ({ order_id: 950_000 + i }));
    await submitOrders(client, queues.ordersQueueUrl, orders);
    for (let i = 0; i < DEPLOYMENT_DEFAULTS.queueMaxConcurrency; i += 1) {
      const runtime = createRuntime(
        { ...context.env, FAILURE_QUEUE_URL: queues.failureQueueUrl },
        {
          logger: createLogger({
            write: (line) => {
              bytes += Buffer.byteLength(line);
            },
          }),
        },
      );
      pollers.push(
        new EventSourcePoller({
          client,
          queueUrl: queues.ordersQueueUrl,
          handler: createHandler(() => runtime),
          waitSeconds: 0,
          functionTimeoutMs: 120_000,
        }).start(),
      );
    }
    const deadline = Date.now() + 60_000;
    for (;;) {
      const depth = await queueDepth(queues.client, queues.ordersQueueUrl);
      if ((depth.visible === 0 && depth.inFlight === 0) || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await Promise.all(pollers.map((poller) => poller.stop()));
    const invocations = pollers.reduce((sum, poller) => sum + poller.invocations, 0);
    const count = (operation: string) => proxy.counts.get(operation) ?? 0;
    const receives = count('ReceiveMessage');
    return {
      perOrder: {
        send: count('SendMessageBatch') / QUEUE_ORDERS,
        // One receive per invocation brought its messages; the others came back empty.
        receive: invocations / QUEUE_ORDERS,
        delete: count('DeleteMessageBatch') / QUEUE_ORDERS,
      },
      invocationsPerOrder: invocations / QUEUE_ORDERS,
      logBytesPerOrder: bytes / QUEUE_ORDERS,
      emptyReceives: receives - invocations,
    };
  } finally {
    await Promise.all(pollers.map((poller) => poller.stop()));
    client.destroy();
    await proxy.close();
    await queues.close();
  }
}

/** Billed ms of one resend over HTTP: the handler's time, the round trips, a share of cold starts. */
function httpBilledMs(handlerMs: number, tableRequests: number, coldMs: number): number {
  return (
    handlerMs / LAMBDA_CPU_SHARE +
    DIGICERT_ROUND_TRIP_MS +
    tableRequests * TABLE_ROUND_TRIP_MS +
    (COLD_STARTS_PER_1000 / 1000) * (coldMs / LAMBDA_CPU_SHARE)
  );
}

/**
 * Billed ms per order of a backlogged bulk queue: the consumers wait for the shared budget, and a
 * waiting Lambda is billed. Two consumers at the sustained 900 per 3 minutes (5 a second) each hold
 * an order's slot for 2 / 5 s; unthrottled it would be the round trips over the batch's concurrency.
 */
export function queueBilledMsPerOrder(handlerMs: number, tableRequests: number): number {
  const sustainedPerSecond = FUNCTION_DEFAULTS.rateLimitPer3Min / (RATE_LIMIT_WINDOWS_MS.per3Minutes / 1000);
  const waiting = (DEPLOYMENT_DEFAULTS.queueMaxConcurrency * 1000) / sustainedPerSecond;
  const working =
    handlerMs / LAMBDA_CPU_SHARE + (DIGICERT_ROUND_TRIP_MS + tableRequests * TABLE_ROUND_TRIP_MS) / 8;
  return Math.max(waiting, working);
}

function resendRow(
  resend: ResendMeasure,
  table: Awaited<ReturnType<typeof measureStateTable>>,
  queue: QueueMeasure,
): Row {
  const memoryMb = DEPLOYMENT_DEFAULTS.memorySize;
  const secretsCalls = COLD_STARTS_PER_1000 / 1000;
  const ours: Usage = {
    lambda: {
      invocations: 1,
      billedMs: httpBilledMs(resend.handlerMs, table.plain.perOrder, COLD_START_MS.ours),
      memoryMb,
    },
    apiRequests: 1,
    table: { readUnits: table.plain.units.read, writeUnits: table.plain.units.write },
    secretsCalls,
    logBytes: resend.logBytes + PLATFORM_LOG_BYTES,
  };
  const naive: Usage = {
    lambda: {
      invocations: 1,
      // The naive handler's own time is taken as ours (the peers row: 174 against 189 µs warm).
      billedMs: httpBilledMs(resend.handlerMs, 0, COLD_START_MS.naive),
      memoryMb,
    },
    apiRequests: 1,
    secretsCalls,
    logBytes: NAIVE_LOG_BYTES + PLATFORM_LOG_BYTES,
  };
  const queueRequests = queue.perOrder.send + queue.perOrder.receive + queue.perOrder.delete;
  const bulk: Usage = {
    lambda: {
      invocations: queue.invocationsPerOrder,
      billedMs: queueBilledMsPerOrder(resend.handlerMs, table.batch.perOrder),
      memoryMb,
    },
    table: { readUnits: table.batch.units.read, writeUnits: table.batch.units.write },
    queueRequests,
    logBytes: queue.logBytesPerOrder + queue.invocationsPerOrder * PLATFORM_LOG_BYTES,
  };
  const [o, n, b] = [costPer1000Resends(ours), costPer1000Resends(naive), costPer1000Resends(bulk)];
  const ratio = o.total / n.total;
  return {
    id: 'cost-resend',
    figure: 'Cost: US$ per 1,000 resends over HTTP, ours / naive (us-east-1 list prices)',
    value: o.total,
    display: `${usd(o.total)} / ${usd(n.total)} (${fixed(ratio)}x)`,
    target: 'info',
    verdict: 'info',
    gated: false,
    detail:
      `ours (API Gateway, Lambda, state table): ${breakdown(o)}; naive (API Gateway, one Lambda, no table): ${breakdown(n)}; ` +
      `bulk queue, per 1,000 orders: ${usd(b.total)} (${breakdown(b)}). ` +
      `Inputs per resend: state table ${fixed(table.plain.perOrder)} requests (${units(table.plain)}; direct batch ${fixed(table.batch.perOrder)}, ${units(table.batch)}), ` +
      `billed ${fixed(ours.lambda.billedMs, 0)} ms ours, ${fixed(naive.lambda.billedMs, 0)} ms naive at ${memoryMb} MB arm64 ` +
      `(handler ${fixed(resend.handlerMs, 3)} ms measured ÷ CPU share ${fixed(LAMBDA_CPU_SHARE, 3)}, + DigiCert ${DIGICERT_ROUND_TRIP_MS} ms, + ${TABLE_ROUND_TRIP_MS} ms per table request, + ${COLD_STARTS_PER_1000} cold starts per 1,000), ` +
      `logs ${fixed(resend.logBytes, 0)} B ours, ${NAIVE_LOG_BYTES} B naive, + ${PLATFORM_LOG_BYTES} B of Lambda's lines; ` +
      `queue per order: SendMessageBatch ${fixed(queue.perOrder.send, 3)}, ReceiveMessage ${fixed(queue.perOrder.receive, 3)}, DeleteMessageBatch ${fixed(queue.perOrder.delete, 3)} (${queue.emptyReceives} empty receives left out), ` +
      `billed ${fixed(bulk.lambda.billedMs, 0)} ms per order while the consumers wait for the budget`,
  };
}

// ---- A DNS validation --------------------------------------------------------------------------

interface DnsMeasure {
  readonly workflows: number;
  /** Per workflow. */
  readonly invocations: number;
  readonly handlerMs: number;
  readonly digicertRequests: number;
  readonly route53Requests: number;
  readonly route53ByOperation: Readonly<Record<string, number>>;
  readonly dnsQueries: number;
  readonly tableRequests: number;
  readonly tableUnits: { readonly read: number; readonly write: number };
  readonly logBytes: number;
  readonly transitions: number;
  readonly history: readonly string[];
  readonly syncPolls: number;
  readonly checks: number;
  /** Bytes of the state the workflow carries (Step Functions logs it with every event). */
  readonly stateBytes: number;
  /** Seconds the state machine waited (Wait states). */
  readonly waitedSeconds: number;
}

/**
 * Step Functions Standard transitions of one execution from the states `dev/local-workflow.ts`
 * entered: each one named in its history, plus the Choice state the local runner routes without
 * naming after each `ChangeStatus` (`InSync`) and each `Check` (`CheckOutcome`), plus each retry of a
 * task (billed as a transition too).
 */
export function transitionsOf(history: readonly string[], retries: number): number {
  const named = (state: string) => history.filter((entered) => entered === state).length;
  return history.length + named('ChangeStatus') + named('Check') + retries;
}

/**
 * Bytes the state machine's execution log (level ALL with execution data, as the stack deploys it)
 * gets per execution, estimated: each state entered and exited is an event carrying the state,
 * each task adds scheduled, started and succeeded events, two of them with the state; about 300 bytes
 * of envelope per event.
 */
export function stepFunctionsLogBytes(transitions: number, tasks: number, stateBytes: number): number {
  const envelope = 300;
  return transitions * 2 * (envelope + stateBytes) + tasks * (3 * envelope + 2 * stateBytes);
}

/** `DNS_WORKFLOWS` happy-path workflows, one after another, each for an apex and its `www`. */
async function measureDns(context: BenchContext): Promise<DnsMeasure> {
  const timed = await runDnsWorkflows(context, false);
  const counted = await runDnsWorkflows(context, true);
  return { ...counted, handlerMs: timed.handlerMs };
}

async function runDnsWorkflows(context: BenchContext, withTable: boolean): Promise<DnsMeasure> {
  const zone = { id: 'Z0000000000COST', name: 'example.com' };
  const route53 = await Route53StandIn.start({ inSyncAfter: { polls: 1, ms: 0 } });
  route53.addZone({
    ...zone,
    records: [{ name: zone.name, type: 'TXT', ttl: 300, values: ['"v=spf1 -all"'] }],
  });
  let dnsQueries = 0;
  const dns = await LocalDnsServer.start({
    records: (name) => {
      dnsQueries += 1;
      const txt = route53.lookup(name, 'TXT');
      return txt === undefined
        ? undefined
        : { txt: txt.values.map((value) => [value.replace(/^"|"$/g, '')]) };
    },
  });
  const orders: SimulatedOrder[] = Array.from({ length: DNS_WORKFLOWS }, (_, i) => ({
    id: 860_000 + i,
    status: 'pending',
    dnsNames: ['example.com', 'www.example.com'],
    dcvMethod: 'email',
    createdAt: Date.now() - 3 * DAY_MS,
  }));
  const warmUpOrder: SimulatedOrder = { ...(orders[0] as SimulatedOrder), id: 869_999 };
  const simulator = await DigiCertSimulator.start({
    validKeys: [KEY],
    orders: [warmUpOrder, ...orders],
    dnsServers: [dns.address],
    dnsTimeoutMs: 500,
  });
  pointRoute53At(route53.endpoint);
  const state = withTable ? await startLocalStateTable() : undefined;
  const units = { read: 0, write: 0 };
  const proxy = state
    ? await startCountingProxy(state.endpoint.url, {
        observe: (operation, body) => {
          const used = dynamoDbRequestUnits(operation, body);
          units.read += used.read;
          units.write += used.write;
        },
      })
    : undefined;
  const workflow = new LocalWorkflow({
    waits: { syncMs: 5, checkMsPerSecond: 2, retryMs: 5 },
    maxTasks: 200,
  });
  try {
    await state?.ready();
    let logBytes = 0;
    const overrides: RuntimeOverrides = {
      workflow,
      logger: createLogger({
        write: (line) => {
          logBytes += Buffer.byteLength(line);
        },
      }),
      ...(state && proxy ? { stateTableEndpoint: { ...state.endpoint, url: proxy.endpoint } } : {}),
      // Route 53's budget with the same writes, but room for every request at once: the runner
      // shortens the Wait states to milliseconds, so at 5 per second the tasks would wait for slots
      // that, 5 s apart as deployed, are always free, and that wait would be billed here as if it
      // were Lambda time.
      route53Limiter:
        state && proxy
          ? createRateLimiter({
              config: {
                rateLimits: [{ limit: 1_000, windowMs: 1_000 }],
                rateLimitShareDivisor: undefined,
                stateTableName: state.tableName,
                digicertTimeoutMs: 5_000,
              },
              stateTable: createStateTableClient({}, { ...state.endpoint, url: proxy.endpoint }),
              logger: createLogger({ write: () => undefined }),
              shared: { keyPrefix: 'route53-budget' },
            })
          : createSlidingWindowLimiter({ windows: [{ limit: 1_000, windowMs: 1_000 }] }),
    };
    const runtime = createRuntime(
      {
        ...context.env,
        DIGICERT_BASE_URL: simulator.baseUrl,
        DNS_DCV_HOSTED_ZONE_IDS: zone.id,
        ...(state ? { STATE_TABLE_NAME: state.tableName } : {}),
      },
      overrides,
    );
    const handler = createHandler(() => runtime);
    const durations: number[] = [];
    let taskInvocations = 0;
    const time = async <T>(call: () => Promise<T>): Promise<T> => {
      const started = performance.now();
      try {
        return await call();
      } finally {
        durations.push(performance.now() - started);
      }
    };
    workflow.bind((event) => {
      taskInvocations += 1;
      return time(() => handler(event, taskContext()));
    });
    // A first workflow loads the container's key, its Route 53 client and the budget's first read:
    // outside the counts, as a warm container's validations would be.
    const warmUp = (await handler({ action: 'dns-dcv', order_id: warmUpOrder.id }, fakeContext())) as {
      readonly execution?: unknown;
    };
    if (typeof warmUp.execution === 'string') await workflow.wait(warmUp.execution);
    simulator.reset();
    route53.requests.length = 0;
    proxy?.reset();
    [units.read, units.write, logBytes, dnsQueries] = [0, 0, 0, 0];
    durations.length = 0;
    taskInvocations = 0;
    const histories: string[][] = [];
    let stateBytes = 0;
    let syncPolls = 0;
    let checks = 0;
    let waitedSeconds = 0;
    for (const order of orders) {
      const started = (await time(() =>
        handler({ action: 'dns-dcv', order_id: order.id }, fakeContext()),
      )) as {
        readonly execution?: unknown;
      };
      if (typeof started.execution !== 'string')
        throw new Error(`DNS DCV did not start for order ${order.id}`);
      const ended = await workflow.wait(started.execution);
      if (ended.status !== 'SUCCEEDED')
        throw new Error(`the workflow for order ${order.id} ended ${ended.status}`);
      histories.push([...ended.history]);
      const final: DnsDcvState = ended.state;
      stateBytes = Math.max(stateBytes, Buffer.byteLength(JSON.stringify(final)));
      syncPolls += final.sync_polls;
      checks += final.checks;
      // The Wait states, in real seconds: WaitForSync's 5 s, and DigiCert's rhythm (a minute at first).
      const entered = (name: string) => ended.history.filter((step) => step === name).length;
      waitedSeconds += entered('WaitForSync') * SYNC_WAIT_SECONDS + entered('WaitBeforeCheck') * 60;
    }
    const n = orders.length;
    const taskEntries = histories
      .flat()
      .filter((entered) => !/^(Wait|Validated|NotValidated)/.test(entered)).length;
    const retries = taskInvocations - taskEntries;
    const transitions = histories.reduce((sum, history) => sum + transitionsOf(history, 0), 0) + retries;
    const route53ByOperation: Record<string, number> = {};
    for (const request of route53.requests)
      route53ByOperation[request.operation] = (route53ByOperation[request.operation] ?? 0) + 1 / n;
    return {
      workflows: n,
      invocations: (n + taskInvocations) / n,
      handlerMs: durations.reduce((sum, ms) => sum + ms, 0) / n,
      digicertRequests: simulator.requests.length / n,
      route53Requests: route53.requests.length / n,
      route53ByOperation,
      dnsQueries: dnsQueries / n,
      tableRequests: (proxy?.total() ?? 0) / n,
      tableUnits: { read: units.read / n, write: units.write / n },
      logBytes: logBytes / n,
      transitions: transitions / n,
      history: histories[0] ?? [],
      syncPolls: syncPolls / n,
      checks: checks / n,
      stateBytes,
      waitedSeconds: waitedSeconds / n,
    };
  } finally {
    await workflow.close();
    await proxy?.close();
    await state?.close();
    await Promise.all([simulator.close(), dns.close(), route53.close()]);
  }
}

function dnsRow(dns: DnsMeasure): Row {
  const memoryMb = DEPLOYMENT_DEFAULTS.memorySize;
  const waitingMs =
    dns.digicertRequests * DIGICERT_ROUND_TRIP_MS + dns.route53Requests * ROUTE53_ROUND_TRIP_MS;
  const tasks = dns.invocations - 1;
  const ours: DnsValidationUsage = {
    lambda: {
      invocations: dns.invocations,
      billedMs: dns.handlerMs / LAMBDA_CPU_SHARE + waitingMs + dns.tableRequests * TABLE_ROUND_TRIP_MS,
      memoryMb,
    },
    apiRequests: 1,
    table: { readUnits: dns.tableUnits.read, writeUnits: dns.tableUnits.write },
    stateTransitions: dns.transitions,
    route53ApiCalls: dns.route53Requests,
    dnsQueries: dns.dnsQueries,
    logBytes:
      dns.logBytes +
      dns.invocations * PLATFORM_LOG_BYTES +
      stepFunctionsLogBytes(dns.transitions, tasks, dns.stateBytes),
  };
  // The naive one: a single invocation does the same calls and sleeps through the same waits.
  const naive: DnsValidationUsage = {
    lambda: {
      invocations: 1,
      billedMs: dns.handlerMs / LAMBDA_CPU_SHARE + waitingMs + dns.waitedSeconds * 1000,
      memoryMb,
    },
    apiRequests: 1,
    route53ApiCalls: dns.route53Requests,
    dnsQueries: dns.dnsQueries,
    logBytes: NAIVE_LOG_BYTES + PLATFORM_LOG_BYTES,
  };
  const [o, n] = [costPer1000DnsValidations(ours), costPer1000DnsValidations(naive)];
  // Each further DigiCert check a minute later: Wait, Check and its Choice, one invocation; the
  // naive function sleeps the minute.
  const checkMs =
    DIGICERT_ROUND_TRIP_MS + (dns.tableRequests / Math.max(1, dns.digicertRequests)) * TABLE_ROUND_TRIP_MS;
  const perCheck = costPer1000DnsValidations({
    lambda: { invocations: 1, billedMs: checkMs, memoryMb },
    stateTransitions: 3,
  }).total;
  const perCheckNaive = costPer1000DnsValidations({
    lambda: { invocations: 0, billedMs: 60_000 + DIGICERT_ROUND_TRIP_MS, memoryMb },
  }).total;
  const breakEven = (o.total - n.total) / (perCheckNaive - perCheck);
  return {
    id: 'cost-dns',
    figure: 'Cost: US$ per 1,000 DNS validations, ours (Step Functions) / naive (one polling Lambda)',
    value: o.total,
    display: `${usd(o.total)} / ${usd(n.total)} (${fixed(o.total / n.total)}x)`,
    target: 'info',
    verdict: 'info',
    gated: false,
    detail:
      `ours: ${breakdown(o)}; naive (one Lambda invocation publishes, sleeps through the same waits, checks and cleans up; no Step Functions, no table; cannot outlast Lambda's 15 minutes): ${breakdown(n)}. ` +
      `Measured per workflow over ${dns.workflows} happy-path runs of dev/local-workflow.ts (DigiCert validated at check ${fixed(dns.checks, 0)}, INSYNC at ChangeStatus ${fixed(dns.syncPolls, 0)}, the Route 53 stand-in answering PENDING once per change): ` +
      `${fixed(dns.transitions, 1)} state transitions (${dns.history.join(' > ')}, plus a Choice after each ChangeStatus and Check), ` +
      `${fixed(dns.invocations, 1)} Lambda invocations (${fixed(dns.handlerMs, 2)} ms handler time in all, billed ${fixed(ours.lambda.billedMs, 0)} ms with ${DIGICERT_ROUND_TRIP_MS} ms per DigiCert and ${ROUTE53_ROUND_TRIP_MS} ms per Route 53 request), ` +
      `DigiCert ${fixed(dns.digicertRequests, 1)} requests, Route 53 ${fixed(dns.route53Requests, 1)} (${Object.entries(
        dns.route53ByOperation,
      )
        .map(([operation, count]) => `${operation} ${fixed(count, 1)}`)
        .join(
          ', ',
        )}), ${fixed(dns.dnsQueries, 1)} DNS queries, state table ${fixed(dns.tableRequests, 1)} requests (${fixed(dns.tableUnits.write, 1)} WRU, ${fixed(dns.tableUnits.read, 1)} RRU), ` +
      `logs ${fixed(dns.logBytes, 0)} B from the function + the state machine's execution log estimated at ${fixed(stepFunctionsLogBytes(dns.transitions, tasks, dns.stateBytes), 0)} B (state ${dns.stateBytes} B). ` +
      `Each further check a minute later adds ${usd(perCheck)} per 1,000 to ours and ${usd(perCheckNaive)} to the naive one: ours is cheaper once DigiCert needs about ${fixed(breakEven, 1)} more checks (minutes)`,
  };
}

// ---- Helpers -----------------------------------------------------------------------------------

function usd(value: number): string {
  return `$${value >= 0.01 ? value.toFixed(4) : value.toPrecision(3)}`;
}

function units(measure: TableMeasure): string {
  return `${fixed(measure.units.write)} WRU, ${fixed(measure.units.read)} RRU`;
}

/** The services that cost something, largest first. */
function breakdown(cost: CostBreakdown): string {
  return (Object.entries(cost.byService) as [Service, number][])
    .filter(([, value]) => value > 0)
    .sort(([, a], [, b]) => b - a)
    .map(([service, value]) => `${service} ${usd(value)}`)
    .join(', ');
}
