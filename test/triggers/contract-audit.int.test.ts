/**
 * An independent audit of the deployable bundle against docs/contract.md, done the way acceptance
 * tests do it: the bundle is built as the stack builds it (`tools/bundle-options.ts`), imported, and
 * driven with events shaped like AWS's published samples (HTTP API payload 2.0 with IAM and JWT
 * authorizers, on the `$default` and on a named stage; REST API 1.0 proxy events; EventBridge
 * Scheduler input; EventBridge rule envelopes; Lambda `Invoke` and Step Functions payloads).
 *
 * DigiCert and Secrets Manager are small fakes written here from DigiCert's documentation
 * (`resend-emails.md`) and the awsJson1_1 protocol, not the project's simulator and stand-in, so
 * that the audit does not share their assumptions; DynamoDB is dynalite (a third-party emulator).
 * Each "container" is a fresh import of the bundle whose environment is set for its first call.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it, type MockInstance, vi } from 'vitest';
import { LoopbackServer } from '../../dev/loopback-server.js';
import { BUNDLE_FILE, esbuildOptions } from '../../tools/bundle-options.js';
import { LocalDnsServer } from '../support/dns-server.js';
import { type Dynalite, startDynalite } from '../support/dynalite.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const KEY = `AUDIT-CANARY-${randomUUID()}`;
const SECRET_BARE = 'audit/digicert-key';
const SECRET_JSON = 'audit/digicert-key-json';
const SUNSET = 'Wed, 15 Mar 2028 00:00:00 GMT';

// ---------------------------------------------------------------------------------------------
// The listening plumbing the three fakes share (127.0.0.1, a free port, connections dropped on
// close): the project's `LoopbackServer`; what each fake answers is written here, from the docs.

abstract class FakeServer {
  #server: LoopbackServer | undefined;

  protected abstract serve(req: IncomingMessage, res: ServerResponse): void;

  async start(): Promise<void> {
    this.#server = await LoopbackServer.listen((req, res) => this.serve(req, res));
  }

  /** `http://127.0.0.1:<port>` */
  get endpoint(): string {
    return this.#server?.origin ?? 'http://127.0.0.1:0';
  }

  async close(): Promise<void> {
    await this.#server?.close();
  }
}

// ---------------------------------------------------------------------------------------------
// A fake DigiCert, from resend-emails.md and FACTS.md: PUT .../resend-emails answers 204 for a
// known key, 401 for any other; scripted answers per order id override that.

interface Recorded {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}
interface Scripted {
  readonly status: number;
  readonly body?: string;
  readonly headers?: Record<string, string>;
  /** The answer waits for this. */
  readonly hold?: Promise<void>;
}

class FakeDigiCert extends FakeServer {
  readonly requests: Recorded[] = [];
  readonly #scripts = new Map<string, Scripted[]>();

  protected serve(req: IncomingMessage, res: ServerResponse): void {
    void this.#serve(req, res);
  }

  get baseUrl(): string {
    return `${this.endpoint}/services/v2`;
  }

  /** The next answers for `orderId` (or for a domain path segment), in order. */
  script(id: number | string, ...answers: Scripted[]): void {
    this.#scripts.set(String(id), [...(this.#scripts.get(String(id)) ?? []), ...answers]);
  }

  to(orderId: number): Recorded[] {
    return this.requests.filter((r) => r.path.includes(`/order/certificate/${orderId}/`));
  }

  async #serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const path = req.url ?? '';
    this.requests.push({
      method: req.method ?? '',
      path,
      headers: req.headers,
      body: Buffer.concat(chunks).toString(),
    });
    const order = /^\/services\/v2\/order\/certificate\/(\d+)\/resend-emails$/.exec(path)?.[1];
    const domain = /^\/services\/v2\/domain\/([^/]+)\/dcv\/emails$/.exec(path)?.[1];
    const id = order ?? domain;
    const next = id === undefined ? undefined : this.#scripts.get(id)?.shift();
    if (next) {
      await next.hold;
      res.writeHead(next.status, { 'content-type': 'application/json', ...next.headers });
      res.end(next.body ?? '');
      return;
    }
    if (req.headers['x-dc-devkey'] !== KEY) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'invalid_api_key', message: 'bad key' }] }));
    } else if (order !== undefined && req.method === 'PUT') {
      res.writeHead(204);
      res.end();
    } else if (domain !== undefined && req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ emails: { [domain]: [`admin@${domain}`] } }));
    } else {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'not_found', message: 'no such path' }] }));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// A minimal Secrets Manager (awsJson1_1, GetSecretValue only).

class FakeSecretsManager extends FakeServer {
  readonly reads: string[] = [];
  readonly #secrets = new Map<string, string>([
    [SECRET_BARE, KEY],
    [SECRET_JSON, JSON.stringify({ api_key: KEY })],
  ]);

  protected serve(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const input = JSON.parse(Buffer.concat(chunks).toString() || '{}') as { SecretId?: string };
      const id = input.SecretId ?? '';
      this.reads.push(id);
      const value = this.#secrets.get(id);
      res.setHeader('content-type', 'application/x-amz-json-1.1');
      if (req.headers['x-amz-target'] !== 'secretsmanager.GetSecretValue' || value === undefined) {
        res.statusCode = 400;
        res.end(
          JSON.stringify({
            __type: 'ResourceNotFoundException',
            message: "Secrets Manager can't find the specified secret.",
          }),
        );
        return;
      }
      res.end(
        JSON.stringify({
          ARN: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${id}-AbCdEf`,
          Name: id,
          SecretString: value,
          VersionId: randomUUID(),
          VersionStages: ['AWSCURRENT'],
          CreatedDate: 1_764_633_600,
        }),
      );
    });
  }
}

// ---------------------------------------------------------------------------------------------
// A minimal SQS (AWS JSON 1.0, SendMessage and SendMessageBatch), for the failure queue.

class FakeSqs extends FakeServer {
  /** Every message body written, with the queue URL it was sent to. */
  readonly messages: { queueUrl: string; body: string }[] = [];

  protected serve(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const input = JSON.parse(Buffer.concat(chunks).toString() || '{}') as {
        QueueUrl?: string;
        MessageBody?: string;
        Entries?: { Id: string; MessageBody: string }[];
      };
      const target = String(req.headers['x-amz-target'] ?? '');
      const md5 = (body: string) => createHash('md5').update(body).digest('hex');
      res.setHeader('content-type', 'application/x-amz-json-1.0');
      const queueUrl = input.QueueUrl ?? '';
      if (target === 'AmazonSQS.SendMessageBatch') {
        const entries = input.Entries ?? [];
        for (const entry of entries) this.messages.push({ queueUrl, body: entry.MessageBody });
        res.end(
          JSON.stringify({
            Successful: entries.map((e) => ({
              Id: e.Id,
              MessageId: randomUUID(),
              MD5OfMessageBody: md5(e.MessageBody),
            })),
            Failed: [],
          }),
        );
      } else if (target === 'AmazonSQS.SendMessage') {
        const body = input.MessageBody ?? '';
        this.messages.push({ queueUrl, body });
        res.end(JSON.stringify({ MessageId: randomUUID(), MD5OfMessageBody: md5(body) }));
      } else {
        res.statusCode = 400;
        res.end(
          JSON.stringify({ __type: 'com.amazonaws.sqs#InvalidAction', message: `unsupported ${target}` }),
        );
      }
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Lambda: contexts, events shaped like AWS's samples, and bundle "containers".

interface HttpResult {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}
type BundleHandler = (event: unknown, context: Context) => Promise<unknown>;

function context(remainingMs = 25_000, awsRequestId: string = randomUUID()): Context {
  const deadline = Date.now() + remainingMs;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'DcvResend-Function',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:DcvResend-Function',
    memoryLimitInMB: '256',
    awsRequestId,
    logGroupName: '/aws/lambda/DcvResend-Function',
    logStreamName: '2026/12/02/[$LATEST]abcdef0123456789',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

const ROUTE_KEY = 'PUT /order/certificate/{order_id}/resend-emails';

interface V2Options {
  readonly method?: string;
  readonly orderId?: string;
  readonly rawPath?: string;
  readonly stage?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
  readonly authorizer?: 'iam' | 'jwt';
  readonly routeKey?: string;
  readonly pathParameters?: Record<string, string>;
}

/** AWS's HTTP API payload 2.0 sample, for the resend route. */
function v2(options: V2Options = {}): Record<string, unknown> {
  const orderId = options.orderId ?? '123';
  const stage = options.stage ?? '$default';
  const route = `/order/certificate/${orderId}/resend-emails`;
  const rawPath = options.rawPath ?? (stage === '$default' ? route : `/${stage}${route}`);
  const method = options.method ?? 'PUT';
  const authorizer =
    options.authorizer === 'jwt'
      ? {
          jwt: {
            claims: { iss: 'https://issuer.example.com', sub: 'user-1', scope: 'dcv/resend' },
            scopes: ['dcv/resend'],
          },
        }
      : {
          iam: {
            accessKey: 'ASIAEXAMPLEACCESSKEY',
            accountId: '111122223333',
            callerId: 'AIDAEXAMPLECALLERID',
            cognitoIdentity: null,
            principalOrgId: 'o-example',
            userArn: 'arn:aws:iam::111122223333:user/example-user',
            userId: 'AIDAEXAMPLEUSERID',
          },
        };
  const event: Record<string, unknown> = {
    version: '2.0',
    routeKey: options.routeKey ?? ROUTE_KEY,
    rawPath,
    rawQueryString: '',
    headers: {
      accept: '*/*',
      'content-length': String(options.body?.length ?? 0),
      host: 'abcdef1234.execute-api.us-east-1.amazonaws.com',
      'user-agent': 'curl/8.5.0',
      'x-amzn-trace-id': 'Root=1-5e6722a7-cc56xmpl46db7ae02d4da47e',
      'x-forwarded-for': '192.0.2.1',
      'x-forwarded-port': '443',
      'x-forwarded-proto': 'https',
      ...options.headers,
    },
    requestContext: {
      accountId: '123456789012',
      apiId: 'abcdef1234',
      authorizer,
      domainName: 'abcdef1234.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'abcdef1234',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'curl/8.5.0' },
      requestId: `JKJaXmPLvHcESHA=${Math.random().toString(36).slice(2, 8)}`,
      routeKey: options.routeKey ?? ROUTE_KEY,
      stage,
      time: '02/Dec/2026:00:30:00 +0000',
      timeEpoch: 1_796_085_000_000,
    },
    pathParameters: options.pathParameters ?? { order_id: orderId },
    isBase64Encoded: options.isBase64Encoded ?? false,
  };
  // HTTP APIs leave `body` out when there is none.
  if (options.body !== undefined) event.body = options.body;
  return event;
}

interface V1Options {
  readonly orderId?: string;
  readonly path?: string;
  readonly resource?: string;
  readonly pathParameters?: Record<string, string> | null;
  readonly headers?: Record<string, string> | null;
  readonly multiValueHeaders?: Record<string, string[]> | null;
  readonly body?: string | null;
  readonly isBase64Encoded?: boolean;
  readonly method?: string;
}

/** AWS's REST API 1.0 proxy sample, for the resend resource. */
function v1(options: V1Options = {}): Record<string, unknown> {
  const orderId = options.orderId ?? '123';
  const path = options.path ?? `/order/certificate/${orderId}/resend-emails`;
  const resource = options.resource ?? '/order/certificate/{order_id}/resend-emails';
  const headers = options.headers === undefined ? { 'Content-Type': 'application/json' } : options.headers;
  const multi =
    options.multiValueHeaders === undefined
      ? headers === null
        ? null
        : Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]]))
      : options.multiValueHeaders;
  return {
    resource,
    path,
    httpMethod: options.method ?? 'PUT',
    headers,
    multiValueHeaders: multi,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: options.pathParameters === undefined ? { order_id: orderId } : options.pathParameters,
    stageVariables: null,
    requestContext: {
      resourceId: '2gxmpl',
      resourcePath: resource,
      httpMethod: options.method ?? 'PUT',
      extendedRequestId: 'JJbxmplHYosFVYQ=',
      requestTime: '02/Dec/2026:00:30:00 +0000',
      path: `/prod${path}`,
      accountId: '123456789012',
      protocol: 'HTTP/1.1',
      stage: 'prod',
      domainPrefix: '70ixmpl4fl',
      requestTimeEpoch: 1_796_085_000_000,
      requestId: 'e1506fd5-9e7b-434f-bd42-4f8fa224b599',
      identity: {
        cognitoIdentityPoolId: null,
        accountId: '111122223333',
        caller: 'AIDAEXAMPLE',
        sourceIp: '192.0.2.1',
        principalOrgId: null,
        accessKey: 'ASIAEXAMPLE',
        userArn: 'arn:aws:iam::111122223333:user/example-user',
        userAgent: 'curl/8.5.0',
        user: 'AIDAEXAMPLE',
      },
      domainName: '70ixmpl4fl.execute-api.us-east-2.amazonaws.com',
      apiId: '70ixmpl4fl',
    },
    body: options.body === undefined ? null : options.body,
    isBase64Encoded: options.isBase64Encoded ?? false,
  };
}

/** EventBridge rule event envelope around `detail`. */
function eventBridge(detail: unknown, id: string = randomUUID()): Record<string, unknown> {
  return {
    version: '0',
    id,
    'detail-type': 'DCV resend requested',
    source: 'com.example.certificates',
    account: '123456789012',
    time: '2026-12-02T00:30:00Z',
    region: 'us-east-1',
    resources: [],
    detail,
  };
}

interface SqsMessage {
  readonly messageId: string;
  readonly body: string;
  readonly receiveCount?: number;
}

/** AWS's SQS event sample (an event source mapping's batch). */
function sqsEvent(messages: readonly SqsMessage[]): Record<string, unknown> {
  return {
    Records: messages.map((m) => ({
      messageId: m.messageId,
      receiptHandle: `AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a${m.messageId}`,
      body: m.body,
      attributes: {
        ApproximateReceiveCount: String(m.receiveCount ?? 1),
        SentTimestamp: '1796085000000',
        SenderId: 'AIDAIENQZJOLO23YVJ4VO',
        ApproximateFirstReceiveTimestamp: '1796085000001',
      },
      messageAttributes: {},
      md5OfBody: createHash('md5').update(m.body).digest('hex'),
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:DcvResend-Orders',
      awsRegion: 'us-east-1',
    })),
  };
}

let sqs: FakeSqs;
let fake: FakeDigiCert;
let secrets: FakeSecretsManager;
let dynamo: Dynalite;
let dns: LocalDnsServer;
let outdir: string;
let bundleUrl: string;
let instance = 0;
let stdout: MockInstance;
let stderr: MockInstance;
/** Every response and thrown error, for the canary search. */
const outputs: string[] = [];
const savedEnv = { ...process.env };

/** The function's own variables: none leaks from the test process into a container. */
const FUNCTION_VARS = [
  'DIGICERT_API_KEY_SECRET_ID',
  'DIGICERT_BASE_URL',
  'DIGICERT_TIMEOUT_MS',
  'DIGICERT_MAX_ATTEMPTS',
  'DIGICERT_RATE_LIMIT_PER_5S',
  'DIGICERT_RATE_LIMIT_PER_3MIN',
  'SECRET_CACHE_TTL_SECONDS',
  'STATE_TABLE_NAME',
  'IDEMPOTENCY_TTL_SECONDS',
  'DCV_PRECHECK',
  'DNS_SERVERS',
  'LOG_LEVEL',
  'AWS_LAMBDA_FUNCTION_NAME',
  'FAILURE_QUEUE_URL',
  'ORDERS_QUEUE_URL',
];

/**
 * A fresh container: a new instance of the bundle module. Its environment is in place for each
 * call's synchronous start, where the handler builds (or fails to build) its runtime.
 */
async function container(env: Record<string, string | undefined>): Promise<BundleHandler> {
  instance += 1;
  const module = (await import(`${bundleUrl}?container=${instance}`)) as { handler: BundleHandler };
  const full: Record<string, string | undefined> = {
    DIGICERT_API_KEY_SECRET_ID: SECRET_BARE,
    DIGICERT_BASE_URL: fake.baseUrl,
    DNS_SERVERS: '127.0.0.1:9',
    ...env,
  };
  return (event, ctx) => {
    for (const name of FUNCTION_VARS) delete process.env[name];
    for (const [name, value] of Object.entries(full)) if (value !== undefined) process.env[name] = value;
    try {
      const answer = module.handler(event, ctx);
      answer.then(
        (value) => outputs.push(JSON.stringify(value)),
        (error: unknown) => outputs.push(serialise(error)),
      );
      return answer;
    } finally {
      for (const name of FUNCTION_VARS) delete process.env[name];
    }
  };
}

function serialise(error: unknown): string {
  return error instanceof Error
    ? JSON.stringify({ ...error, name: error.name, message: error.message, stack: error.stack })
    : String(error);
}

async function http(handler: BundleHandler, event: unknown, ctx: Context = context()): Promise<HttpResult> {
  const result = (await handler(event, ctx)) as HttpResult;
  expect(typeof result.statusCode).toBe('number');
  return result;
}

async function thrown(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof Error)) throw new Error(`expected a thrown Error, got ${String(error)}`);
  return error;
}

interface ErrorBody {
  readonly errors: readonly { code: string; message: string; field?: string }[];
}

/** Header lookup by any case (API Gateway accepts either). */
function header(response: HttpResult, name: string): string | undefined {
  const found = Object.entries(response.headers ?? {}).find(([k]) => k.toLowerCase() === name.toLowerCase());
  return found?.[1];
}

/** The checks every error response must pass (docs/contract.md §2); its envelope. */
function errorOf(response: HttpResult, status: number, code: string): ErrorBody {
  expect({ status: response.statusCode, body: response.body }).toMatchObject({ status });
  expect(header(response, 'x-request-id')).toBeTruthy();
  expect(header(response, 'content-type')).toMatch(/^application\/json/);
  const body = JSON.parse(response.body) as ErrorBody;
  expect(Array.isArray(body.errors)).toBe(true);
  expect(body.errors.length).toBeGreaterThan(0);
  for (const entry of body.errors) {
    expect(typeof entry.code).toBe('string');
    expect(typeof entry.message).toBe('string');
  }
  expect(body.errors.map((e) => e.code)).toContain(code);
  return body;
}

/** A 204 as the contract describes it. */
function expectSent(response: HttpResult): void {
  expect({ status: response.statusCode, body: response.body }).toEqual({ status: 204, body: '' });
  expect(header(response, 'x-request-id')).toBeTruthy();
  expect(header(response, 'sunset')).toBe(SUNSET);
  expect(header(response, 'link')).toMatch(/^<https:\/\/[^>]*cabforum\.org[^>]*>;\s*rel="sunset"$/);
}

/** The JSON message of a direct error, with `message` and `code` (docs/contract.md §3). */
function detailOf(error: Error, name: string): { message: string; code: string; [k: string]: unknown } {
  expect(error.name).toBe(name);
  const detail = JSON.parse(error.message) as { message: string; code: string };
  expect(typeof detail.message).toBe('string');
  expect(typeof detail.code).toBe('string');
  return detail;
}

const waitFor = async (condition: () => boolean): Promise<void> => {
  for (let i = 0; i < 200 && !condition(); i += 1) await new Promise((r) => setTimeout(r, 10));
  expect(condition()).toBe(true);
};

const DOC_BODY = {
  domain_approval_emails: [
    { domain: 'example.com', email: 'someone@example.com' },
    { domain: 'sub.example2.com', email: 'someone@example2.com', email_domain: 'example2.com' },
  ],
  locale: 'en',
};

let main: BundleHandler;

beforeAll(async () => {
  stdout = vi.spyOn(process.stdout, 'write');
  stderr = vi.spyOn(process.stderr, 'write');
  fake = new FakeDigiCert();
  secrets = new FakeSecretsManager();
  sqs = new FakeSqs();
  await Promise.all([fake.start(), secrets.start(), sqs.start()]);
  dynamo = await startDynalite();
  dns = await LocalDnsServer.start({ txt: {}, caa: {}, mx: { 'example.com': ['mx.example.com'] } });
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDAUDIT',
    AWS_SECRET_ACCESS_KEY: 'audit-secret',
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_ENDPOINT_URL_SQS: sqs.endpoint,
    AWS_EC2_METADATA_DISABLED: 'true',
  });
  delete process.env.AWS_SESSION_TOKEN;
  outdir = await mkdtemp(join(tmpdir(), 'dcv-audit-'));
  // Under a node_modules folder, the test runner leaves the bundle to Node: it is loaded as Lambda
  // loads it, untransformed, and each container's import costs milliseconds.
  const bundleDir = join(outdir, 'node_modules', 'dcv-resend-bundle');
  await build(esbuildOptions({ projectRoot: ROOT, outdir: bundleDir }));
  bundleUrl = pathToFileURL(join(bundleDir, BUNDLE_FILE)).href;
  main = await container({ DIGICERT_MAX_ATTEMPTS: '1' });
}, 60_000);

afterAll(async () => {
  stdout.mockRestore();
  stderr.mockRestore();
  await Promise.all([fake.close(), secrets.close(), sqs.close(), dynamo.close(), dns.close()]);
  await rm(outdir, { recursive: true, force: true });
  for (const name of Object.keys(process.env)) if (!(name in savedEnv)) delete process.env[name];
  Object.assign(process.env, savedEnv);
});

// ---------------------------------------------------------------------------------------------

describe('HTTP (docs/contract.md §2): events as API Gateway sends them', () => {
  const body = JSON.stringify(DOC_BODY);
  const json = { 'content-type': 'application/json' };
  const cases: readonly [string, () => Record<string, unknown>, number][] = [
    ['HTTP API, $default stage, IAM authorizer', () => v2({ orderId: '201', headers: json, body }), 201],
    [
      'HTTP API, named stage in rawPath, JWT authorizer',
      () => v2({ orderId: '202', stage: 'prod', authorizer: 'jwt', headers: json, body }),
      202,
    ],
    [
      'HTTP API, $default route with {proxy+} and no order_id parameter',
      () =>
        v2({
          orderId: '203',
          routeKey: '$default',
          pathParameters: { proxy: 'order/certificate/203/resend-emails' },
          headers: json,
          body,
        }),
      203,
    ],
    [
      'HTTP API, no Content-Type and a base64 body (as API Gateway encodes an untyped body)',
      () => v2({ orderId: '204', body: Buffer.from(body).toString('base64'), isBase64Encoded: true }),
      204,
    ],
    ['REST API proxy event', () => v1({ orderId: '205', body }), 205],
    [
      'REST API, header only in multiValueHeaders, base64 body',
      () =>
        v1({
          orderId: '206',
          headers: {},
          multiValueHeaders: { 'Content-Type': ['application/json; charset=UTF-8'] },
          body: Buffer.from(body).toString('base64'),
          isBase64Encoded: true,
        }),
      206,
    ],
    [
      'REST API with a custom-domain base path and a {proxy+} resource',
      () =>
        v1({
          path: '/dcv/order/certificate/207/resend-emails',
          resource: '/{proxy+}',
          pathParameters: { proxy: 'order/certificate/207/resend-emails' },
          body,
        }),
      207,
    ],
  ];
  it.each(cases)(
    'resends for %s: 204 with the sunset headers, and sends DigiCert exactly the body',
    async (_, event, orderId) => {
      const response = await http(main, event());
      expectSent(response);
      const [sent] = fake.to(orderId);
      expect(fake.to(orderId)).toHaveLength(1);
      expect(sent?.method).toBe('PUT');
      expect(sent?.path).toBe(`/services/v2/order/certificate/${orderId}/resend-emails`);
      expect(sent?.headers['x-dc-devkey']).toBe(KEY);
      expect(sent?.headers['content-type']).toMatch(/^application\/json/);
      expect(JSON.parse(sent?.body ?? '')).toEqual(DOC_BODY);
    },
  );

  it('normalises the order id and the domain before sending', async () => {
    const response = await http(
      main,
      v2({
        orderId: '000211',
        headers: json,
        body: JSON.stringify({
          domain_approval_emails: [{ domain: 'WWW.Example.COM', email: 'admin@example.com' }],
        }),
      }),
    );
    expectSent(response);
    expect(fake.to(211)).toHaveLength(1);
    expect(JSON.parse(fake.to(211)[0]?.body ?? '')).toEqual({
      domain_approval_emails: [{ domain: 'www.example.com', email: 'admin@example.com' }],
    });
  });

  const lenient: readonly [string, Record<string, string>, string | undefined][] = [
    ['no body at all', json, undefined],
    ['an empty body', json, ''],
    ['a JSON null body', json, 'null'],
    ['a JSON body without Content-Type', {}, JSON.stringify({ locale: 'en' })],
    ['a JSON null body without Content-Type', {}, 'null'],
    ['an empty body with a non-JSON Content-Type', { 'content-type': 'text/plain' }, ''],
  ];
  it.each(lenient)('accepts %s (docs/contract.md §2 leniency)', async (_, headers, sentBody) => {
    const orderId = 220 + lenient.findIndex(([name]) => name === _);
    const response = await http(main, v2({ orderId: String(orderId), headers, body: sentBody }));
    expectSent(response);
    expect(fake.to(orderId)).toHaveLength(1);
    const upstream = fake.to(orderId)[0]?.body ?? '';
    const expected = sentBody?.includes('locale') ? { locale: 'en' } : {};
    expect(upstream === '' ? {} : JSON.parse(upstream)).toEqual(expected);
  });

  it('treats a REST API event with null headers and a null body as an absent body', async () => {
    const response = await http(main, v1({ orderId: '230', headers: null, body: null }));
    expectSent(response);
  });

  const refusals: readonly [string, () => Record<string, unknown>, number, string, string?][] = [
    ['a non-numeric order id', () => v2({ orderId: 'abc', headers: json }), 400, 'invalid_order_id'],
    ['order id 0', () => v2({ orderId: '0', headers: json }), 400, 'invalid_order_id'],
    ['a 13-digit order id', () => v2({ orderId: '1234567890123', headers: json }), 400, 'invalid_order_id'],
    ['malformed JSON', () => v2({ headers: json, body: '{"locale":' }), 400, 'invalid_json'],
    [
      'an unknown field (a typo)',
      () => v2({ headers: json, body: JSON.stringify({ domain_aproval_email: [] }) }),
      400,
      'invalid_input',
      'domain_aproval_email',
    ],
    [
      'a public suffix as domain',
      () =>
        v2({
          headers: json,
          body: JSON.stringify({ domain_approval_emails: [{ domain: 'co.uk', email: 'admin@co.uk' }] }),
        }),
      400,
      'invalid_input',
      'domain_approval_emails.0.domain',
    ],
    [
      'an email_domain that is not a parent of the domain',
      () =>
        v2({
          headers: json,
          body: JSON.stringify({
            domain_approval_emails: [
              { domain: 'example.com', email: 'admin@example.org', email_domain: 'example.org' },
            ],
          }),
        }),
      400,
      'invalid_input',
      'domain_approval_emails.0.email_domain',
    ],
    [
      'a bad mailbox',
      () =>
        v2({
          headers: json,
          body: JSON.stringify({
            domain_approval_emails: [{ domain: 'example.com', email: 'not-an-address' }],
          }),
        }),
      400,
      'invalid_input',
      'domain_approval_emails.0.email',
    ],
    [
      'an empty recipient list',
      () => v2({ headers: json, body: JSON.stringify({ domain_approval_emails: [] }) }),
      400,
      'invalid_input',
      'domain_approval_emails',
    ],
    [
      'a malformed locale',
      () => v2({ headers: json, body: JSON.stringify({ locale: 'english' }) }),
      400,
      'invalid_input',
      'locale',
    ],
    [
      'a non-JSON Content-Type',
      () => v2({ headers: { 'content-type': 'text/plain' }, body: '{}' }),
      415,
      'unsupported_media_type',
    ],
    [
      'a body over 128 KiB',
      () => v2({ headers: json, body: JSON.stringify({ locale: 'en', pad: 'x'.repeat(128 * 1024) }) }),
      413,
      'payload_too_large',
    ],
    [
      'a base64 body over 128 KiB (REST API)',
      () =>
        v1({
          body: Buffer.from(JSON.stringify({ locale: 'en', pad: 'x'.repeat(128 * 1024) })).toString('base64'),
          isBase64Encoded: true,
        }),
      413,
      'payload_too_large',
    ],
  ];
  it.each(refusals)(
    'refuses %s with the contract’s status and code, without calling DigiCert',
    async (_, event, status, code, field) => {
      const before = fake.requests.length;
      const body = errorOf(await http(main, event()), status, code);
      if (field) expect(body.errors.map((e) => e.field)).toContain(field);
      expect(fake.requests.length).toBe(before);
    },
  );

  it('reports one entry per problem, each with its field', async () => {
    const response = await http(
      main,
      v2({
        headers: json,
        body: JSON.stringify({
          domain_approval_emails: [{ domain: 'co.uk', email: 'nope' }],
          locale: 'english',
        }),
      }),
    );
    const body = errorOf(response, 400, 'invalid_input');
    expect(body.errors.map((e) => e.field).sort()).toEqual(
      ['domain_approval_emails.0.domain', 'domain_approval_emails.0.email', 'locale'].sort(),
    );
  });

  it('answers a wrong method and an unknown path with x-request-id and a JSON envelope', async () => {
    const wrongMethod = await http(main, v2({ method: 'POST', headers: json }));
    expect(wrongMethod.statusCode).toBe(405);
    expect(header(wrongMethod, 'x-request-id')).toBeTruthy();
    const unknown = await http(main, v2({ rawPath: '/prod/orders/123', routeKey: '$default' }));
    expect(unknown.statusCode).toBe(404);
    expect(header(unknown, 'x-request-id')).toBeTruthy();
    expect(header(unknown, 'content-type')).toMatch(/^application\/json/);
  });

  const upstream: readonly [string, Scripted, number, string | undefined][] = [
    [
      'DigiCert 404 not_found|order',
      {
        status: 404,
        body: JSON.stringify({ errors: [{ code: 'not_found|order', message: 'Order not found' }] }),
      },
      404,
      'not_found|order',
    ],
    [
      'DigiCert 403 access_denied|missing_permission',
      {
        status: 403,
        body: JSON.stringify({
          errors: [{ code: 'access_denied|missing_permission', message: 'Permission denied' }],
        }),
      },
      403,
      'access_denied|missing_permission',
    ],
    [
      'DigiCert 400 bad_request_format',
      {
        status: 400,
        body: JSON.stringify({ errors: [{ code: 'bad_request_format', message: 'Bad format' }] }),
      },
      400,
      'bad_request_format',
    ],
    ['DigiCert 503 maintenance', { status: 503, body: '{"errors":[]}' }, 502, 'upstream_unavailable'],
    [
      'DigiCert 502 with an HTML body',
      { status: 502, body: '<html>bad gateway</html>', headers: { 'content-type': 'text/html' } },
      502,
      'upstream_unavailable',
    ],
  ];
  it('treats any DigiCert 2xx as accepted (204 to the caller)', async () => {
    fake.script(255, { status: 200, body: '{"ok":true}' });
    expectSent(await http(main, v2({ orderId: '255', headers: json, body: '{}' })));
  });

  it('keeps DigiCert’s 4xx status when its body is not DigiCert’s envelope', async () => {
    fake.script(256, {
      status: 404,
      body: '<html>Not Found</html>',
      headers: { 'content-type': 'text/html' },
    });
    const response = await http(main, v2({ orderId: '256', headers: json, body: '{}' }));
    expect(response.statusCode).toBe(404);
    expect(header(response, 'content-type')).toMatch(/^application\/json/);
    expect(header(response, 'x-request-id')).toBeTruthy();
    expect((JSON.parse(response.body) as ErrorBody).errors.length).toBeGreaterThan(0);
  });

  it.each(upstream)('maps %s to the contract’s status and code', async (_, answer, status, code) => {
    const orderId = 240 + upstream.findIndex(([name]) => name === _);
    fake.script(orderId, answer);
    const response = await http(main, v2({ orderId: String(orderId), headers: json, body: '{}' }));
    errorOf(response, status, code ?? '');
  });

  it('passes DigiCert’s 4xx errors through with unknown fields dropped and the key redacted (§5)', async () => {
    fake.script(250, {
      status: 400,
      body: JSON.stringify({
        errors: [{ code: 'invalid_key_echo', message: `key ${KEY} is wrong`, internal_trace: 'abc' }],
      }),
    });
    const response = await http(main, v2({ orderId: '250', headers: json, body: '{}' }));
    const body = errorOf(response, 400, 'invalid_key_echo');
    expect(response.body).not.toContain(KEY);
    expect(Object.keys(body.errors[0] ?? {}).sort()).toEqual(['code', 'message']);
  });

  it('answers 502 upstream_auth_failed when DigiCert answers 401 even after one secret refresh', async () => {
    const handler = await container({ DIGICERT_MAX_ATTEMPTS: '2', DIGICERT_API_KEY_SECRET_ID: SECRET_JSON });
    const reads = secrets.reads.length;
    const bad = { status: 401, body: '' };
    fake.script(260, bad, bad, bad, bad);
    errorOf(
      await http(handler, v2({ orderId: '260', headers: json, body: '{}' })),
      502,
      'upstream_auth_failed',
    );
    expect(secrets.reads.length - reads).toBe(2);
    expect(fake.to(260).length).toBe(2);
  });

  it('reads the key once and reuses it within SECRET_CACHE_TTL_SECONDS, or every time with 0', async () => {
    const cached = await container({});
    const reads = secrets.reads.length;
    for (const orderId of [266, 267, 268])
      expectSent(await http(cached, v2({ orderId: String(orderId), body: '{}' })));
    expect(secrets.reads.length - reads).toBe(1);
    const uncached = await container({ SECRET_CACHE_TTL_SECONDS: '0' });
    const before = secrets.reads.length;
    for (const orderId of [269, 270])
      expectSent(await http(uncached, v2({ orderId: String(orderId), body: '{}' })));
    expect(secrets.reads.length - before).toBe(2);
  });

  it('answers 503 secret_unavailable when the secret cannot be read', async () => {
    const handler = await container({ DIGICERT_API_KEY_SECRET_ID: 'audit/no-such-secret' });
    errorOf(
      await http(handler, v2({ orderId: '261', headers: json, body: '{}' })),
      503,
      'secret_unavailable',
    );
    expect(fake.to(261)).toHaveLength(0);
  });

  it('answers 504 upstream_timeout when DigiCert does not answer in time', async () => {
    const handler = await container({ DIGICERT_TIMEOUT_MS: '200', DIGICERT_MAX_ATTEMPTS: '1' });
    let release = (): void => undefined;
    fake.script(262, {
      status: 204,
      hold: new Promise<void>((r) => {
        release = r;
      }),
    });
    const response = await http(handler, v2({ orderId: '262', headers: json, body: '{}' }));
    release();
    errorOf(response, 504, 'upstream_timeout');
  });

  it('answers 429 request_limit_exceeded with Retry-After when DigiCert still says 429', async () => {
    const handler = await container({ DIGICERT_MAX_ATTEMPTS: '1' });
    fake.script(263, {
      status: 429,
      headers: { 'retry-after': '1' },
      body: JSON.stringify({
        errors: [
          { code: 'request_limit_exceeded', message: 'Service unavailable, please limit request volume' },
        ],
      }),
    });
    const response = await http(handler, v2({ orderId: '263', headers: json, body: '{}' }));
    errorOf(response, 429, 'request_limit_exceeded');
    expect(header(response, 'retry-after')).toMatch(/^[1-9][0-9]*$/);
    // FACTS.md: DigiCert documents no Retry-After; the answer carries one all the same.
    const other = await container({ DIGICERT_MAX_ATTEMPTS: '1' });
    fake.script(265, {
      status: 429,
      body: JSON.stringify({ errors: [{ code: 'request_limit_exceeded', message: 'slow down' }] }),
    });
    const bare = await http(other, v2({ orderId: '265', headers: json, body: '{}' }));
    errorOf(bare, 429, 'request_limit_exceeded');
    expect(header(bare, 'retry-after')).toMatch(/^[1-9][0-9]*$/);
  });

  it('retries a DigiCert 5xx before answering 502 (bounded)', async () => {
    const handler = await container({});
    const fail = { status: 500, body: 'oops' };
    fake.script(264, fail, fail, fail, fail, fail, fail);
    errorOf(
      await http(handler, v2({ orderId: '264', headers: json, body: '{}' })),
      502,
      'upstream_unavailable',
    );
    expect(fake.to(264).length).toBeGreaterThan(1);
    expect(fake.to(264).length).toBeLessThanOrEqual(4);
  }, 20_000);
});

describe('direct invocation and schedules (docs/contract.md §3)', () => {
  const single = {
    order_id: 301,
    domain_approval_emails: [{ domain: 'example.com', email: 'admin@example.com' }],
  };

  it('answers a Lambda Invoke / Scheduler target input / Step Functions payload with status sent', async () => {
    await expect(main(single, context())).resolves.toEqual({ order_id: 301, status: 'sent' });
    await expect(main({ order_id: '302', locale: 'en' }, context())).resolves.toEqual({
      order_id: 302,
      status: 'sent',
    });
    expect(JSON.parse(fake.to(302)[0]?.body ?? '')).toEqual({ locale: 'en' });
  });

  it('takes the detail of an EventBridge rule event', async () => {
    await expect(main(eventBridge({ order_id: 303 }), context())).resolves.toEqual({
      order_id: 303,
      status: 'sent',
    });
    await expect(main(eventBridge({ orders: [{ order_id: 304 }] }), context())).resolves.toEqual({
      sent: 1,
      failed: 0,
      results: [{ order_id: 304, status: 'sent' }],
    });
  });

  it('answers a batch with counts and per-order results', async () => {
    const result = (await main({ orders: [{ order_id: 305 }, { order_id: 306 }] }, context())) as {
      results: { order_id: number }[];
    };
    expect(result).toMatchObject({ sent: 2, failed: 0 });
    expect(result.results.map((r) => r.order_id).sort()).toEqual([305, 306]);
  });

  const failures: readonly [string, () => Promise<unknown>, string, string][] = [
    [
      'an unknown field',
      () => main({ order_id: 310, domain_aproval_email: [] }, context()),
      'ValidationError',
      'invalid_input',
    ],
    ['a bad order id', () => main({ order_id: -1 }, context()), 'ValidationError', 'invalid_order_id'],
    [
      'a batch of 501',
      () => main({ orders: Array.from({ length: 501 }, (_, i) => ({ order_id: i + 1 })) }, context()),
      'ValidationError',
      'invalid_input',
    ],
    ['an empty batch', () => main({ orders: [] }, context()), 'ValidationError', 'invalid_input'],
    [
      'a top-level field beside orders',
      () => main({ orders: [{ order_id: 316 }], locale: 'en' }, context()),
      'ValidationError',
      'invalid_input',
    ],
    [
      'an idempotency_key of 256 characters',
      () => main({ order_id: 317, idempotency_key: 'k'.repeat(256) }, context()),
      'ValidationError',
      'invalid_input',
    ],
    [
      'an idempotency_key with a space',
      () => main({ order_id: 318, idempotency_key: 'a b' }, context()),
      'ValidationError',
      'invalid_input',
    ],
    ['an array event', () => main([{ order_id: 319 }], context()), 'ValidationError', 'invalid_input'],
    [
      'an empty EventBridge detail',
      () => main(eventBridge({}), context()),
      'ValidationError',
      'invalid_input',
    ],
  ];
  it.each(failures)(
    'throws the contract’s errorType for %s, with a JSON message',
    async (_, call, name, code) => {
      const detail = detailOf(await thrown(call()), name);
      expect(detail.code).toBe(code);
    },
  );

  it('throws DigiCertRequestError with DigiCert’s codes, UpstreamError on 5xx', async () => {
    fake.script(311, {
      status: 404,
      body: JSON.stringify({ errors: [{ code: 'not_found|order', message: 'nope' }] }),
    });
    const refused = detailOf(await thrown(main({ order_id: 311 }, context())), 'DigiCertRequestError');
    expect(JSON.stringify(refused)).toContain('not_found|order');
    fake.script(312, { status: 500, body: '' });
    detailOf(await thrown(main({ order_id: 312 }, context())), 'UpstreamError');
  });

  it('throws ConfigurationError when the secret cannot be read', async () => {
    const handler = await container({ DIGICERT_API_KEY_SECRET_ID: 'audit/no-such-secret' });
    const detail = detailOf(await thrown(handler({ order_id: 313 }, context())), 'ConfigurationError');
    expect(detail.code).toBe('secret_unavailable');
  });

  it('throws BatchError whose message is JSON with every order’s result', async () => {
    fake.script(315, {
      status: 404,
      body: JSON.stringify({ errors: [{ code: 'not_found|order', message: 'no' }] }),
    });
    const error = await thrown(main({ orders: [{ order_id: 314 }, { order_id: 315 }] }, context()));
    expect(error.name).toBe('BatchError');
    const detail = JSON.parse(error.message) as {
      sent: number;
      failed: number;
      results: { order_id: number; status: string }[];
    };
    expect(detail).toMatchObject({ sent: 1, failed: 1 });
    expect(detail.results.map((r) => [r.order_id, r.status]).sort()).toEqual([
      [314, 'sent'],
      [315, 'failed'],
    ]);
  });

  it('answers an SQS batch with batchItemFailures for transient failures only; refusals and invalid orders go to the failure queue, once (§3, §6, §8)', async () => {
    const failureQueueUrl = `${sqs.endpoint}/123456789012/DcvResend-Failures`;
    const consumer = await container({
      STATE_TABLE_NAME: dynamo.tableName,
      FAILURE_QUEUE_URL: failureQueueUrl,
      DIGICERT_MAX_ATTEMPTS: '1',
    });
    fake.script(331, {
      status: 404,
      body: JSON.stringify({ errors: [{ code: 'not_found|order', message: 'no' }] }),
    });
    fake.script(332, { status: 500, body: 'down' });
    const ids = {
      sent: randomUUID(),
      refused: randomUUID(),
      transient: randomUUID(),
      invalid: randomUUID(),
      garbage: randomUUID(),
    };
    const messages = (receiveCount: number): SqsMessage[] => [
      { messageId: ids.sent, body: JSON.stringify({ order_id: 330 }), receiveCount },
      {
        messageId: ids.refused,
        body: JSON.stringify({ orders: [{ order_id: 331 }, { order_id: 333 }] }),
        receiveCount,
      },
      { messageId: ids.transient, body: JSON.stringify({ order_id: 332 }), receiveCount },
      { messageId: ids.invalid, body: JSON.stringify({ order_id: 'x' }), receiveCount },
      { messageId: ids.garbage, body: 'not json', receiveCount },
    ];
    const first = (await consumer(sqsEvent(messages(1)), context())) as {
      batchItemFailures: { itemIdentifier: string }[];
    };
    expect(first).toEqual({ batchItemFailures: [{ itemIdentifier: ids.transient }] });
    expect(fake.to(330)).toHaveLength(1);
    expect(fake.to(333)).toHaveLength(1);
    const written = sqs.messages.filter((m) => m.queueUrl === failureQueueUrl).map((m) => m.body);
    expect(written.some((b) => b.includes('331') && b.includes('not_found|order'))).toBe(true);
    expect(written.some((b) => b.includes(ids.invalid))).toBe(true);
    expect(written.some((b) => b.includes(ids.garbage))).toBe(true);
    expect(written.some((b) => b.includes('"order_id":332'))).toBe(false);
    // The whole batch again (a redelivery): nothing already sent or refused is sent again.
    const again = await consumer(sqsEvent(messages(2)), context());
    expect(again).toEqual({ batchItemFailures: [] });
    expect(fake.to(330)).toHaveLength(1);
    expect(fake.to(331)).toHaveLength(1);
    expect(fake.to(333)).toHaveLength(1);
    expect(fake.to(332)).toHaveLength(2);
    for (const body of sqs.messages.map((m) => m.body)) expect(body).not.toContain(KEY);
  });
});

describe('configuration (docs/contract.md §4, §9)', () => {
  const bad: readonly [string, Record<string, string>, string, string][] = [
    [
      'a foreign DigiCert URL',
      { DIGICERT_BASE_URL: 'https://evil-audit.example.net/services/v2' },
      'DIGICERT_BASE_URL',
      'evil-audit',
    ],
    [
      'a look-alike DigiCert host',
      { DIGICERT_BASE_URL: 'https://www.digicert.com.evil-audit.net/services/v2' },
      'DIGICERT_BASE_URL',
      'evil-audit',
    ],
    [
      'plain http to DigiCert',
      { DIGICERT_BASE_URL: 'http://www.digicert.com/services/v2' },
      'DIGICERT_BASE_URL',
      'http://www',
    ],
    [
      'a non-numeric timeout',
      { DIGICERT_TIMEOUT_MS: 'soonish-audit' },
      'DIGICERT_TIMEOUT_MS',
      'soonish-audit',
    ],
    ['a negative TTL', { SECRET_CACHE_TTL_SECONDS: '-77123' }, 'SECRET_CACHE_TTL_SECONDS', '77123'],
    [
      'an out-of-range rate limit',
      { DIGICERT_RATE_LIMIT_PER_5S: '0' },
      'DIGICERT_RATE_LIMIT_PER_5S',
      'got 0',
    ],
    [
      'a huge idempotency TTL',
      { IDEMPOTENCY_TTL_SECONDS: '99999999999' },
      'IDEMPOTENCY_TTL_SECONDS',
      '99999999999',
    ],
    ['an unknown pre-check mode', { DCV_PRECHECK: 'strict-audit' }, 'DCV_PRECHECK', 'strict-audit'],
    ['a bad state table name', { STATE_TABLE_NAME: 'x!audit' }, 'STATE_TABLE_NAME', 'x!audit'],
    [
      'a malformed secret id',
      { DIGICERT_API_KEY_SECRET_ID: 'audit secret id!' },
      'DIGICERT_API_KEY_SECRET_ID',
      'audit secret id!',
    ],
    ['an unknown log level', { LOG_LEVEL: 'verbose-audit' }, 'LOG_LEVEL', 'verbose-audit'],
    ['a DNS server given by name', { DNS_SERVERS: 'dns.audit.example' }, 'DNS_SERVERS', 'dns.audit.example'],
  ];

  it('refuses a missing DIGICERT_API_KEY_SECRET_ID with a ConfigurationError naming it, and a 5xx over HTTP', async () => {
    const handler = await container({ DIGICERT_API_KEY_SECRET_ID: undefined });
    const detail = detailOf(await thrown(handler({ order_id: 404 }, context())), 'ConfigurationError');
    expect(detail.message).toContain('DIGICERT_API_KEY_SECRET_ID');
    const response = await http(handler, v2({ orderId: '404', body: '{}' }));
    // §9 says a configuration error is 500 internal_error; the code answers 503 secret_unavailable
    // (§2's "the secret cannot be read"): either is a 5xx with the envelope (see the audit report).
    expect([500, 503]).toContain(response.statusCode);
    expect(header(response, 'x-request-id')).toBeTruthy();
    expect(fake.to(404)).toHaveLength(0);
  });
  it.each(bad)(
    'refuses %s: ConfigurationError naming the variable, never its value; HTTP 500 internal_error',
    async (_, env, variable, value) => {
      const handler = await container(env);
      const before = stdout.mock.calls.length;
      const error = await thrown(handler({ order_id: 401 }, context()));
      const detail = detailOf(error, 'ConfigurationError');
      expect(detail.message).toContain(variable);
      expect(error.message).not.toContain(value);
      const response = await http(
        handler,
        v2({ orderId: '401', headers: { 'content-type': 'application/json' }, body: '{}' }),
      );
      const body = errorOf(response, 500, 'internal_error');
      expect(JSON.stringify(body)).not.toContain(value);
      const logged = stdout.mock.calls
        .slice(before)
        .map((c) => String(c[0]))
        .join('');
      expect(logged).toContain(variable);
      expect(logged).not.toContain(value);
      expect(fake.to(401)).toHaveLength(0);
    },
  );

  it('refuses plain http to a loopback simulator inside Lambda (AWS_LAMBDA_FUNCTION_NAME set)', async () => {
    const handler = await container({ AWS_LAMBDA_FUNCTION_NAME: 'DcvResend-Function' });
    const detail = detailOf(await thrown(handler({ order_id: 402 }, context())), 'ConfigurationError');
    expect(detail.message).toContain('DIGICERT_BASE_URL');
    expect(fake.to(402)).toHaveLength(0);
  });

  const accepted = [
    'us',
    'eu',
    'EU',
    'https://www.digicert.com/services/v2',
    'https://certcentral.digicert.eu/services/v2/',
  ];
  it.each(accepted)(
    'accepts DIGICERT_BASE_URL=%s (the key is read, so configuration passed)',
    async (url) => {
      const handler = await container({
        DIGICERT_BASE_URL: url,
        DIGICERT_API_KEY_SECRET_ID: 'audit/no-such-secret',
      });
      const detail = detailOf(await thrown(handler({ order_id: 403 }, context())), 'ConfigurationError');
      expect(detail.code).toBe('secret_unavailable');
    },
  );
});

describe('idempotency with a state table (docs/contract.md §6)', () => {
  let stateful: BundleHandler;
  const json = { 'content-type': 'application/json' };
  beforeAll(async () => {
    stateful = await container({ STATE_TABLE_NAME: dynamo.tableName, DIGICERT_MAX_ATTEMPTS: '1' });
  });

  it('replays a repeated Idempotency-Key with the same answer, marked, without calling DigiCert', async () => {
    const key = randomUUID();
    const event = () => v2({ orderId: '501', headers: { ...json, 'idempotency-key': key }, body: '{}' });
    const first = await http(stateful, event());
    expectSent(first);
    expect(header(first, 'idempotent-replayed')).toBeUndefined();
    const again = await http(stateful, event());
    expectSent(again);
    expect(header(again, 'idempotent-replayed')).toBe('true');
    expect(fake.to(501)).toHaveLength(1);
  });

  it('replays a recorded DigiCert refusal with the same status and body', async () => {
    const key = randomUUID();
    fake.script(502, {
      status: 404,
      body: JSON.stringify({ errors: [{ code: 'not_found|order', message: 'gone' }] }),
    });
    const event = () => v2({ orderId: '502', headers: { ...json, 'idempotency-key': key }, body: '{}' });
    const first = await http(stateful, event());
    errorOf(first, 404, 'not_found|order');
    const again = await http(stateful, event());
    expect({ status: again.statusCode, body: again.body }).toEqual({ status: 404, body: first.body });
    expect(header(again, 'idempotent-replayed')).toBe('true');
    expect(fake.to(502)).toHaveLength(1);
  });

  it('refuses the same key with another body: 422 idempotency_key_reused', async () => {
    const key = randomUUID();
    expectSent(
      await http(stateful, v2({ orderId: '503', headers: { ...json, 'idempotency-key': key }, body: '{}' })),
    );
    const reused = await http(
      stateful,
      v2({ orderId: '503', headers: { ...json, 'idempotency-key': key }, body: '{"locale":"fr"}' }),
    );
    errorOf(reused, 422, 'idempotency_key_reused');
    expect(fake.to(503)).toHaveLength(1);
  });

  it('answers 409 request_in_progress with Retry-After while the same delivery is running', async () => {
    const key = randomUUID();
    let release = (): void => undefined;
    fake.script(504, {
      status: 204,
      hold: new Promise<void>((r) => {
        release = r;
      }),
    });
    const event = () => v2({ orderId: '504', headers: { ...json, 'idempotency-key': key }, body: '{}' });
    const first = http(stateful, event());
    await waitFor(() => fake.to(504).length === 1);
    const during = await http(stateful, event());
    release();
    errorOf(during, 409, 'request_in_progress');
    expect(header(during, 'retry-after')).toMatch(/^[0-9]+$/);
    expectSent(await first);
    expect(fake.to(504)).toHaveLength(1);
  });

  it('answers 503 state_unavailable when the table cannot be used, without calling DigiCert', async () => {
    const handler = await container({ STATE_TABLE_NAME: 'audit-no-such-table', DIGICERT_MAX_ATTEMPTS: '1' });
    const response = await http(
      handler,
      v2({ orderId: '505', headers: { ...json, 'idempotency-key': randomUUID() }, body: '{}' }),
    );
    errorOf(response, 503, 'state_unavailable');
    expect(fake.to(505)).toHaveLength(0);
  });

  it('sends a direct payload once per idempotency_key, and refuses the key with another payload', async () => {
    const key = randomUUID();
    await expect(stateful({ order_id: 510, idempotency_key: key }, context())).resolves.toEqual({
      order_id: 510,
      status: 'sent',
    });
    await expect(stateful({ order_id: 510, idempotency_key: key }, context())).resolves.toEqual({
      order_id: 510,
      status: 'sent',
    });
    expect(fake.to(510)).toHaveLength(1);
    detailOf(await thrown(stateful({ order_id: 511, idempotency_key: key }, context())), 'ValidationError');
    expect(fake.to(511)).toHaveLength(0);
  });

  it('sends an EventBridge event once per event id, and a Lambda retry once per request id', async () => {
    const id = randomUUID();
    await stateful(eventBridge({ order_id: 512 }, id), context());
    await stateful(eventBridge({ order_id: 512 }, id), context());
    expect(fake.to(512)).toHaveLength(1);
    const requestId = randomUUID();
    await stateful({ order_id: 513 }, context(25_000, requestId));
    await stateful({ order_id: 513 }, context(25_000, requestId));
    expect(fake.to(513)).toHaveLength(1);
  });

  it('replays a recorded refusal to a direct caller as the same error, without calling DigiCert', async () => {
    const requestId = randomUUID();
    fake.script(514, {
      status: 403,
      body: JSON.stringify({ errors: [{ code: 'access_denied|missing_permission', message: 'no' }] }),
    });
    const first = await thrown(stateful({ order_id: 514 }, context(25_000, requestId)));
    const again = await thrown(stateful({ order_id: 514 }, context(25_000, requestId)));
    expect(again.name).toBe('DigiCertRequestError');
    expect(JSON.parse(again.message)).toMatchObject({
      code: (JSON.parse(first.message) as { code: string }).code,
      status: 403,
    });
    expect(fake.to(514)).toHaveLength(1);
  });

  it('retries only the orders of a batch without a recorded outcome', async () => {
    const requestId = randomUUID();
    fake.script(516, { status: 500, body: '' });
    const batch = { orders: [{ order_id: 515 }, { order_id: 516 }] };
    expect((await thrown(stateful(batch, context(25_000, requestId)))).name).toBe('BatchError');
    await expect(stateful(batch, context(25_000, requestId))).resolves.toMatchObject({ sent: 2, failed: 0 });
    expect(fake.to(515)).toHaveLength(1);
    expect(fake.to(516)).toHaveLength(2);
  });

  it('treats requests without an Idempotency-Key as new deliveries, and a key reused for another order as 422', async () => {
    expectSent(await http(stateful, v2({ orderId: '520', headers: json, body: '{}' })));
    expectSent(await http(stateful, v2({ orderId: '520', headers: json, body: '{}' })));
    expect(fake.to(520)).toHaveLength(2);
    const key = randomUUID();
    expectSent(
      await http(stateful, v2({ orderId: '521', headers: { ...json, 'idempotency-key': key }, body: '{}' })),
    );
    const other = await http(
      stateful,
      v2({ orderId: '522', headers: { ...json, 'idempotency-key': key }, body: '{}' }),
    );
    errorOf(other, 422, 'idempotency_key_reused');
    expect(fake.to(522)).toHaveLength(0);
  });

  it('tells a direct caller which code refused a reused idempotency_key, a running one and an unreachable table', async () => {
    const key = randomUUID();
    await stateful({ order_id: 523, idempotency_key: key }, context());
    const reused = detailOf(
      await thrown(stateful({ order_id: 523, locale: 'de', idempotency_key: key }, context())),
      'ValidationError',
    );
    expect(reused.code).toBe('idempotency_key_reused');

    const running = randomUUID();
    let release = (): void => undefined;
    fake.script(524, {
      status: 204,
      hold: new Promise<void>((r) => {
        release = r;
      }),
    });
    const first = stateful({ order_id: 524, idempotency_key: running }, context());
    await waitFor(() => fake.to(524).length === 1);
    const during = await thrown(stateful({ order_id: 524, idempotency_key: running }, context()));
    release();
    expect(detailOf(during, 'UpstreamError').code).toBe('request_in_progress');
    await expect(first).resolves.toEqual({ order_id: 524, status: 'sent' });

    const noTable = await container({ STATE_TABLE_NAME: 'audit-no-such-table', DIGICERT_MAX_ATTEMPTS: '1' });
    const unavailable = detailOf(await thrown(noTable({ order_id: 525 }, context())), 'UpstreamError');
    expect(unavailable.code).toBe('state_unavailable');
    expect(fake.to(525)).toHaveLength(0);
  });

  it('does not record an attempt DigiCert never answered or answered 5xx: the same key tries again', async () => {
    const handler = await container({
      STATE_TABLE_NAME: dynamo.tableName,
      DIGICERT_TIMEOUT_MS: '300',
      DIGICERT_MAX_ATTEMPTS: '1',
    });
    let release = (): void => undefined;
    const held = new Promise<void>((r) => {
      release = r;
    });
    fake.script(530, { status: 204, hold: held }, { status: 500, body: 'oops' });
    const key = randomUUID();
    const event = () => v2({ orderId: '530', headers: { ...json, 'idempotency-key': key }, body: '{}' });
    errorOf(await http(handler, event()), 504, 'upstream_timeout');
    release();
    errorOf(await http(handler, event()), 502, 'upstream_unavailable');
    const third = await http(handler, event());
    expectSent(third);
    expect(header(third, 'idempotent-replayed')).toBeUndefined();
    expect(fake.to(530)).toHaveLength(3);
  });

  it('keeps the API key out of the state table', async () => {
    const items = await dynamo.client.send(new ScanCommand({ TableName: dynamo.tableName }));
    expect((items.Items ?? []).length).toBeGreaterThan(0);
    expect(JSON.stringify(items.Items)).not.toContain(KEY);
    // §4: TTL attribute `expiration`, epoch seconds, IDEMPOTENCY_TTL_SECONDS (86400 by default) ahead.
    const day = Math.floor(Date.now() / 1000) + 86_400;
    const expirations = (items.Items ?? []).map((item) => Number(item.expiration?.N));
    expect(expirations.some((e) => Math.abs(e - day) < 600)).toBe(true);
  });
});

describe('one rate budget (docs/contract.md §7)', () => {
  it('answers 429 request_limit_exceeded with Retry-After, and UpstreamError directly, when no slot comes before the deadline', async () => {
    const handler = await container({ DIGICERT_RATE_LIMIT_PER_5S: '1' });
    expectSent(await http(handler, v2({ orderId: '601', body: '{}' })));
    const response = await http(handler, v2({ orderId: '602', body: '{}' }), context(2_000));
    errorOf(response, 429, 'request_limit_exceeded');
    expect(header(response, 'retry-after')).toMatch(/^[1-9][0-9]*$/);
    const detail = detailOf(await thrown(handler({ order_id: 603 }, context(2_000))), 'UpstreamError');
    expect(detail.code).toBe('request_limit_exceeded');
    expect(fake.to(602)).toHaveLength(0);
    expect(fake.to(603)).toHaveLength(0);
  });
});

describe('one rate budget across containers (docs/contract.md §7)', () => {
  it('counts a request sent by one container against another sharing the state table', async () => {
    const table = await dynamo.createTable();
    const env = { STATE_TABLE_NAME: table, DIGICERT_RATE_LIMIT_PER_5S: '1', DIGICERT_MAX_ATTEMPTS: '1' };
    const [first, second] = [await container(env), await container(env)];
    expectSent(await http(first, v2({ orderId: '610', body: '{}' })));
    const response = await http(second, v2({ orderId: '611', body: '{}' }), context(2_000));
    errorOf(response, 429, 'request_limit_exceeded');
    expect(header(response, 'retry-after')).toMatch(/^[1-9][0-9]*$/);
    expect(fake.to(611)).toHaveLength(0);
  });
});

describe('DCV pre-check and the address route (docs/contract.md §9)', () => {
  let enforcing: BundleHandler;
  beforeAll(async () => {
    enforcing = await container({ DCV_PRECHECK: 'enforce', DNS_SERVERS: dns.address });
  });
  const json = { 'content-type': 'application/json' };

  it('refuses an address that matches no rule: 400 dcv_email_not_allowed naming the field', async () => {
    const response = await http(
      enforcing,
      v2({
        orderId: '701',
        headers: json,
        body: JSON.stringify({
          domain_approval_emails: [{ domain: 'example.com', email: 'someone@example.com' }],
        }),
      }),
    );
    const body = errorOf(response, 400, 'dcv_email_not_allowed');
    expect(body.errors.find((e) => e.code === 'dcv_email_not_allowed')?.field).toBe(
      'domain_approval_emails.0.email',
    );
    expect(body.errors.find((e) => e.code === 'dcv_email_not_allowed')?.message).toContain(
      'admin@example.com',
    );
    expect(fake.to(701)).toHaveLength(0);
    const detail = detailOf(
      await thrown(
        enforcing(
          {
            order_id: 702,
            domain_approval_emails: [{ domain: 'example.com', email: 'someone@example.com' }],
          },
          context(),
        ),
      ),
      'ValidationError',
    );
    expect(detail.code).toBe('dcv_email_not_allowed');
    expect(fake.to(702)).toHaveLength(0);
  });

  it('lets constructed addresses through, at the domain or at email_domain', async () => {
    const response = await http(
      enforcing,
      v2({
        orderId: '703',
        headers: json,
        body: JSON.stringify({
          domain_approval_emails: [
            { domain: 'example.com', email: 'admin@example.com' },
            { domain: 'sub.example2.com', email: 'hostmaster@example2.com', email_domain: 'example2.com' },
          ],
        }),
      }),
    );
    expectSent(response);
  });

  it('never blocks a resend on a DNS failure, even in enforce mode', async () => {
    const deadDns = await container({ DCV_PRECHECK: 'enforce', DNS_SERVERS: '127.0.0.1:9' });
    const response = await http(
      deadDns,
      v2({
        orderId: '704',
        headers: json,
        body: JSON.stringify({
          domain_approval_emails: [{ domain: 'example.com', email: 'someone@example.com' }],
        }),
      }),
    );
    expectSent(response);
  });

  it('sends a mismatching address in warn mode (the default) and logs the mismatch', async () => {
    const warning = await container({ DNS_SERVERS: dns.address });
    const before = stdout.mock.calls.length;
    const response = await http(
      warning,
      v2({
        orderId: '705',
        headers: json,
        body: JSON.stringify({
          domain_approval_emails: [{ domain: 'example.com', email: 'someone@example.com' }],
        }),
      }),
    );
    expectSent(response);
    expect(fake.to(705)).toHaveLength(1);
    await waitFor(() =>
      stdout.mock.calls
        .slice(before)
        .some((c) => /pre-?check/i.test(String(c[0])) && String(c[0]).includes('"warn"')),
    );
  });

  it('answers the address route for a REST API event, with DigiCert’s own answer, and refuses a public suffix', async () => {
    const response = await http(
      enforcing,
      v1({
        method: 'GET',
        path: '/domain/shop.example.com/dcv/emails',
        resource: '/domain/{domain}/dcv/emails',
        pathParameters: { domain: 'shop.example.com' },
        headers: null,
      }),
    );
    expect(response.statusCode).toBe(200);
    expect(header(response, 'x-request-id')).toBeTruthy();
    const body = JSON.parse(response.body) as Record<string, unknown>;
    expect(body.constructed_emails).toEqual(
      expect.arrayContaining(['admin@shop.example.com', 'admin@example.com']),
    );
    expect(JSON.stringify(body)).toContain('admin@shop.example.com');
    expect(
      fake.requests.some((r) => r.method === 'GET' && r.path.includes('/domain/shop.example.com/dcv/emails')),
    ).toBe(true);
    const suffix = await http(
      enforcing,
      v2({
        method: 'GET',
        rawPath: '/domain/co.uk/dcv/emails',
        routeKey: 'GET /domain/{domain}/dcv/emails',
        pathParameters: { domain: 'co.uk' },
      }),
    );
    errorOf(suffix, 400, 'invalid_input');
  });

  it('sanitises DigiCert’s answer on the address route when it echoes the key (§5)', async () => {
    fake.script('echo.example.com', {
      status: 200,
      body: JSON.stringify({ emails: ['admin@echo.example.com'], note: `key ${KEY}` }),
    });
    fake.script('echo2.example.com', {
      status: 403,
      body: JSON.stringify({ errors: [{ code: 'access_denied', message: `key ${KEY} may not read` }] }),
    });
    for (const domain of ['echo.example.com', 'echo2.example.com']) {
      const response = await http(
        enforcing,
        v2({
          method: 'GET',
          rawPath: `/domain/${domain}/dcv/emails`,
          routeKey: 'GET /domain/{domain}/dcv/emails',
          pathParameters: { domain },
        }),
      );
      expect(response.statusCode).toBe(200);
      expect(response.body).not.toContain(KEY);
      expect(JSON.parse(response.body)).toHaveProperty('constructed_emails');
    }
  });

  it('answers GET /domain/{domain}/dcv/emails with the four fields, on a named stage too', async () => {
    for (const stage of ['$default', 'prod']) {
      const rawPath = `${stage === '$default' ? '' : `/${stage}`}/domain/example.com/dcv/emails`;
      const response = await http(
        enforcing,
        v2({
          method: 'GET',
          rawPath,
          stage,
          routeKey: 'GET /domain/{domain}/dcv/emails',
          pathParameters: { domain: 'example.com' },
        }),
      );
      expect(response.statusCode).toBe(200);
      expect(header(response, 'x-request-id')).toBeTruthy();
      expect(header(response, 'content-type')).toMatch(/^application\/json/);
      const body = JSON.parse(response.body) as Record<string, unknown>;
      expect(body.constructed_emails).toEqual(
        expect.arrayContaining(['admin@example.com', 'postmaster@example.com']),
      );
      expect(Array.isArray(body.dns_txt_emails)).toBe(true);
      expect(Array.isArray(body.caa_emails)).toBe(true);
      expect(body.has_mx).toBe(true);
      expect(response.body).not.toContain(KEY);
    }
  });
});

describe('the API key (docs/contract.md §5)', () => {
  it('appears in no response, thrown error, log line or stdout/stderr write of this whole audit', () => {
    expect(outputs.length).toBeGreaterThan(50);
    const written = [...stdout.mock.calls, ...stderr.mock.calls].map((c) => String(c[0]));
    expect(written.length).toBeGreaterThan(0);
    for (const text of [...outputs, ...written]) expect(text).not.toContain(KEY);
  });
});
