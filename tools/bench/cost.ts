/**
 * What a thousand resends and a thousand DNS validations cost in AWS charges (issue 26, item 7): a
 * pure model. The bench's `cost` row (`rows/cost.ts`) feeds it the counts and durations it measured
 * in the same run; the prices are here, each with its unit, region, source and the date it was read.
 *
 * List prices in us-east-1, with no free tier (the free tiers are per account and month, shared with
 * everything else the account runs) and no volume tiers (the first tier of each). Fixed monthly
 * charges (a hosted zone, a secret, a schedule) are not per resend: `FIXED_MONTHLY` lists them apart.
 *
 * The sources are the stored copies the `search` tool serves (no live web here). Where AWS's own
 * page is stored without its figures (several render their rate tables in the browser), the source
 * names the page the figure came from instead; one price was not found at all and says so.
 */

/** One price: US dollars per `unit`. */
export interface Price {
  readonly usd: number;
  readonly unit: string;
  readonly region: 'us-east-1';
  /** Where the figure was read (a URL), or why it is not a read figure. */
  readonly source: string;
  /** The day it was read. */
  readonly read: string;
}

const READ = '2026-12-07';
const REGION = 'us-east-1';

/** The prices the model uses, per unit. */
export const PRICES = {
  lambdaArmGbSecond: {
    usd: 0.0000133334,
    unit: 'GB-second of duration, arm64 (first 7.5 billion GB-s a month)',
    region: REGION,
    source:
      'https://cloudchipr.com/blog/aws-lambda-pricing ("ARM Pricing, First 7.5 Billion GB-seconds per month: $0.0000133334", US East (N. Virginia)); the stored https://aws.amazon.com/lambda/pricing/ renders its rate table in the browser, without figures. It does say duration includes initialization code (the INIT phase is billed)',
    read: READ,
  },
  lambdaRequests: {
    usd: 0.2,
    unit: 'million requests (x86 and arm64 alike)',
    region: REGION,
    source:
      'https://git.mcrn.ar/mariano/lambda_local_runner/src/commit/957e45b8adae23ce50b966346229585b5df18b4d/docs/lambdas-md/lambda-13-cost.md?display=rendered (table: requests $0.20 / 1M for x86_64 and arm64)',
    read: READ,
  },
  apiGatewayHttpRequests: {
    usd: 1.0,
    unit: 'million HTTP API requests (first 300 million a month; metered in 512 KB increments)',
    region: REGION,
    source:
      'https://docs.aws.amazon.com/pt_br/whitepapers/latest/best-practices-api-gateway-private-apis-integration/cost-optimization.html (Table 4, HTTP, us-east-1: "First 300 million requests (per month): $1.00 (per million)")',
    read: READ,
  },
  dynamoDbWriteRequestUnits: {
    usd: 0.625,
    unit: 'million write request units, on-demand (a standard write of up to 1 KB is 1; a transactional one 2)',
    region: REGION,
    source:
      'https://airbyte.com/data-engineering-resources/dynamodb-pricing ("Write Request Units (WRU): $0.625 per million", US East, after the November 2024 cut); 2x for transactions: the stored copy of https://aws.amazon.com/dynamodb/pricing/provisioned ("Transactional write requests require two WCUs") and https://infratally.com/articles/aws-dynamodb-pricing-explained-on-demand-vs-provisioned-capacity-free-tier-2026/ ("Transactional reads and writes cost 2x")',
    read: READ,
  },
  dynamoDbReadRequestUnits: {
    usd: 0.125,
    unit: 'million read request units, on-demand (a strongly consistent read of up to 4 KB is 1, eventually consistent 0.5, transactional 2)',
    region: REGION,
    source:
      'https://airbyte.com/data-engineering-resources/dynamodb-pricing ("Read Request Units (RRU): $0.125 per million", US East)',
    read: READ,
  },
  sqsRequests: {
    usd: 0.4,
    unit: 'million standard-queue requests (each 64 KB chunk of a payload is one request; first 100 billion a month)',
    region: REGION,
    source:
      'https://cloudburn.io/blog/amazon-sqs-pricing ("Standard $0.40/M (first 100B)", US East (N. Virginia), March 2026) and https://unanswered.io/guide/aws-sqs-pricing-and-cost-optimization (the 64 KB chunk rule)',
    read: READ,
  },
  stepFunctionsStateTransitions: {
    usd: 0.025,
    unit: '1,000 state transitions, Standard workflows (retries count)',
    region: REGION,
    source:
      'https://aws.amazon.com/step-functions/pricing/ (state transitions pricing table: US East (N. Virginia) $0.0250 per 1,000)',
    read: READ,
  },
  route53ApiCalls: {
    usd: 0,
    unit: 'Route 53 API call (ChangeResourceRecordSets, GetChange, ListResourceRecordSets, ListHostedZonesByName)',
    region: REGION,
    source:
      'not found in stored pages; value 0 from the Route 53 pricing page as we remember it (it charges hosted zones, queries and health checks, not API calls), unverified here: no stored page states a price or its absence',
    read: READ,
  },
  route53StandardQueries: {
    usd: 0.4,
    unit: 'million standard DNS queries (first billion a month)',
    region: REGION,
    source:
      'https://github.com/dron22/r53dyndns README ("Standard Queries $0.400 per million queries – first 1 Billion queries / month", as of April 2016: an old page, the only one stored with the figure)',
    read: READ,
  },
  secretsManagerApiCalls: {
    usd: 0.05,
    unit: '10,000 API calls',
    region: REGION,
    source:
      'https://hivebook.wiki/wiki/aws-secrets-manager-rotated-secrets-dynamic-db-credentials-kms ("$0.40 per secret per month + $0.05 per 10k API calls")',
    read: READ,
  },
  cloudWatchLogsIngestion: {
    usd: 0.5,
    unit: 'GB ingested (standard log class; GB taken as 2^30 bytes)',
    region: REGION,
    source:
      'https://coralogix.com/blog/is-cloudwatch-really-cost-efficient ("Data ingestion in the Collect stage costs $0.50 per GB") and https://www.factualminds.com/blog/amazon-cloudwatch-pricing-metrics-logs-alarms-dashboards/ ("Logs ingestion at $0.50/GB"); the stored https://aws.amazon.com/cloudwatch/pricing/ shows the free tier (5 GB) but not the rate',
    read: READ,
  },
  eventBridgeSchedulerInvocations: {
    usd: 1.0,
    unit: 'million scheduled invocations, after 14 million free a month',
    region: REGION,
    source:
      'https://cloudburn.io/blog/amazon-eventbridge-pricing ("Scheduler: Per million invocations $1.00, 14M invocations/month free", US East (N. Virginia), March 2026); the Price List transcription https://huggingface.co/datasets/labofsahil/aws-pricing-dataset (AWSEvents.csv: "$0 for the first 14 million scheduled invocations")',
    read: READ,
  },
} as const satisfies Record<string, Price>;

/**
 * Monthly charges that do not grow with resends or validations: what the stack costs standing still
 * (besides the alarms and the dashboard, which docs/deploy.md lists).
 */
export const FIXED_MONTHLY = {
  route53HostedZone: {
    usd: 0.5,
    unit: 'hosted zone a month (first 25); the zones exist for the domains anyway',
    region: REGION,
    source:
      'https://ns1.com/resources/aws-dns ("DNS zones—$0.50 per hosted DNS zone / month for the first 25 hosted zones")',
    read: READ,
  },
  secretsManagerSecret: {
    usd: 0.4,
    unit: 'secret a month (the DigiCert key; the naive deployment has it too)',
    region: REGION,
    source: PRICES.secretsManagerApiCalls.source,
    read: READ,
  },
} as const satisfies Record<string, Price>;

const MILLION = 1_000_000;
const GB = 2 ** 30;

/** What one resend (or one validation) uses, on average: the model's input. */
export interface Usage {
  /** Lambda invocations, and their billed duration in total, at `memoryMb`. */
  readonly lambda: { readonly invocations: number; readonly billedMs: number; readonly memoryMb: number };
  /** API Gateway HTTP API requests. */
  readonly apiRequests?: number;
  /** DynamoDB on-demand request units ({@link dynamoDbUnits}). */
  readonly table?: { readonly readUnits: number; readonly writeUnits: number };
  /** SQS requests (64 KB chunks). */
  readonly queueRequests?: number;
  /** Secrets Manager `GetSecretValue` calls. */
  readonly secretsCalls?: number;
  /** Bytes written to CloudWatch Logs (the function's lines and Lambda's own START/END/REPORT). */
  readonly logBytes?: number;
}

/** What one DNS validation uses besides a resend's kinds of usage. */
export interface DnsValidationUsage extends Usage {
  /** Step Functions Standard state transitions. */
  readonly stateTransitions?: number;
  /** Route 53 API calls (free, counted so the table shows them). */
  readonly route53ApiCalls?: number;
  /** DNS queries Route 53 answers for the records (DigiCert's checks). */
  readonly dnsQueries?: number;
}

export type Service =
  | 'lambdaRequests'
  | 'lambdaDuration'
  | 'apiGateway'
  | 'dynamoDbWrites'
  | 'dynamoDbReads'
  | 'sqs'
  | 'secretsManager'
  | 'logs'
  | 'stepFunctions'
  | 'route53Api'
  | 'route53Queries';

/** US dollars per 1,000 resends (or validations), in total and per service. */
export interface CostBreakdown {
  readonly total: number;
  readonly byService: Readonly<Record<Service, number>>;
}

type Prices = { readonly [K in keyof typeof PRICES]: { readonly usd: number } };

function per1000(usage: DnsValidationUsage, prices: Prices): CostBreakdown {
  const n = 1000;
  const gbSeconds = (usage.lambda.billedMs / 1000) * (usage.lambda.memoryMb / 1024);
  const byService: Record<Service, number> = {
    lambdaRequests: ((n * usage.lambda.invocations) / MILLION) * prices.lambdaRequests.usd,
    lambdaDuration: n * gbSeconds * prices.lambdaArmGbSecond.usd,
    apiGateway: ((n * (usage.apiRequests ?? 0)) / MILLION) * prices.apiGatewayHttpRequests.usd,
    dynamoDbWrites: ((n * (usage.table?.writeUnits ?? 0)) / MILLION) * prices.dynamoDbWriteRequestUnits.usd,
    dynamoDbReads: ((n * (usage.table?.readUnits ?? 0)) / MILLION) * prices.dynamoDbReadRequestUnits.usd,
    sqs: ((n * (usage.queueRequests ?? 0)) / MILLION) * prices.sqsRequests.usd,
    secretsManager: ((n * (usage.secretsCalls ?? 0)) / 10_000) * prices.secretsManagerApiCalls.usd,
    logs: ((n * (usage.logBytes ?? 0)) / GB) * prices.cloudWatchLogsIngestion.usd,
    stepFunctions: ((n * (usage.stateTransitions ?? 0)) / 1000) * prices.stepFunctionsStateTransitions.usd,
    route53Api: n * (usage.route53ApiCalls ?? 0) * prices.route53ApiCalls.usd,
    route53Queries: ((n * (usage.dnsQueries ?? 0)) / MILLION) * prices.route53StandardQueries.usd,
  };
  const total = Object.values(byService).reduce((sum, usd) => sum + usd, 0);
  return { total, byService };
}

/** US dollars for 1,000 resends that each use `usage`. */
export function costPer1000Resends(usage: Usage, prices: Prices = PRICES): CostBreakdown {
  return per1000(usage, prices);
}

/** US dollars for 1,000 DNS validations that each use `usage`. */
export function costPer1000DnsValidations(usage: DnsValidationUsage, prices: Prices = PRICES): CostBreakdown {
  return per1000(usage, prices);
}

/**
 * The request units one DynamoDB request consumes, from its operation and JSON body, assuming every
 * item is small (a write under 1 KB, a read under 4 KB: the state table's items are). A transaction
 * costs two units per item; a batch one (or half, eventually consistent) per item.
 */
export function dynamoDbUnits(
  operation: string,
  body: unknown,
): { readonly read: number; readonly write: number } {
  const input = isRecord(body) ? body : {};
  const read = (consistent: unknown) => (consistent === true ? 1 : 0.5);
  switch (operation) {
    case 'PutItem':
    case 'UpdateItem':
    case 'DeleteItem':
      return { read: 0, write: 1 };
    case 'GetItem':
    case 'Query':
    case 'Scan':
      return { read: read(input.ConsistentRead), write: 0 };
    case 'TransactWriteItems':
      return { read: 0, write: 2 * arrayLength(input.TransactItems) };
    case 'TransactGetItems':
      return { read: 2 * arrayLength(input.TransactItems), write: 0 };
    case 'BatchWriteItem':
      return { read: 0, write: sumOverTables(input.RequestItems, (entries) => arrayLength(entries)) };
    case 'BatchGetItem':
      return {
        read: sumOverTables(input.RequestItems, (entry) =>
          isRecord(entry) ? arrayLength(entry.Keys) * read(entry.ConsistentRead) : 0,
        ),
        write: 0,
      };
    default:
      return { read: 0, write: 0 };
  }
}

/** {@link dynamoDbUnits} of a request as it travels: its operation and its JSON body's bytes. */
export function dynamoDbRequestUnits(
  operation: string,
  body: Uint8Array | string,
): { readonly read: number; readonly write: number } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof body === 'string' ? body : Buffer.from(body).toString('utf8'));
  } catch {
    parsed = undefined;
  }
  return dynamoDbUnits(operation, parsed);
}

function sumOverTables(items: unknown, units: (entry: unknown) => number): number {
  return isRecord(items) ? Object.values(items).reduce<number>((sum, entry) => sum + units(entry), 0) : 0;
}

function arrayLength(value: unknown): number {
  return Array.isArray(value) ? value.length : 0;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
