/**
 * A local stand-in for the AWS Lambda `Invoke` API: a real HTTP server on 127.0.0.1 speaking
 * Lambda's REST-JSON protocol (`POST /2015-03-31/functions/{name}/invocations`), which runs the
 * registered handlers in-process. Point the real `LambdaClient` at it with `endpoint` or
 * `AWS_ENDPOINT_URL_LAMBDA`.
 *
 * As Lambda does, it answers 200 with the handler's result as JSON; when the handler throws, 200
 * with `X-Amz-Function-Error: Unhandled` and `{"errorType": error.name, "errorMessage":
 * error.message, "trace": []}`. `Event` invocations are answered 202 and run afterwards; `DryRun`
 * is 204. Lambda API errors (unknown function, a body that is not JSON, an oversized payload) use
 * Lambda's error shapes, so the SDK raises its own named exceptions.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context } from 'aws-lambda';
import { fakeContext } from './lambda-events.js';
import { LoopbackServer } from './loopback-server.js';

export type InvokedHandler = (event: unknown, context: Context) => Promise<unknown>;

export interface InvocationRecord {
  readonly functionName: string;
  readonly qualifier: string | undefined;
  readonly invocationType: string;
  readonly payload: unknown;
  readonly authorization: string | undefined;
  readonly receivedAt: number;
}

export interface LambdaInvokeStandInOptions {
  /** Handlers by function name. */
  readonly functions: Readonly<Record<string, InvokedHandler>>;
  /** The configured timeout each invocation's `Context` counts down from. @default 30000 */
  readonly timeoutMs?: number;
  /** @default a free port */
  readonly port?: number;
}

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
/** Lambda's limit on a synchronous request and response payload. */
const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;
const ROUTE = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;
const ARN = /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:([A-Za-z0-9_-]+)(?::([A-Za-z0-9$_-]+))?$/;
const PARTIAL_ARN = /^(?:\d{12}:function:)?([A-Za-z0-9_-]+)(?::([A-Za-z0-9$_-]+))?$/;

export class LambdaInvokeStandIn {
  readonly invocations: InvocationRecord[] = [];
  /** Background `Event` invocations still running. */
  readonly #pending = new Set<Promise<unknown>>();
  readonly #http: LoopbackServer;
  readonly #options: LambdaInvokeStandInOptions;

  private constructor(http: LoopbackServer, options: LambdaInvokeStandInOptions) {
    this.#http = http;
    this.#options = options;
  }

  static async start(options: LambdaInvokeStandInOptions): Promise<LambdaInvokeStandIn> {
    let standIn: LambdaInvokeStandIn | undefined;
    const http = await LoopbackServer.listen((req, res) => {
      if (standIn) standIn.#onRequest(req, res);
    }, options.port);
    standIn = new LambdaInvokeStandIn(http, options);
    return standIn;
  }

  /** The value for `AWS_ENDPOINT_URL_LAMBDA` or a `LambdaClient`'s `endpoint`. */
  get endpoint(): string {
    return this.#http.origin;
  }

  /** The ARN the stand-in reports for a function name. */
  static arnOf(name: string): string {
    return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;
  }

  /** Waits for background `Event` invocations (bounded by the handlers' own deadlines). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.#pending]);
  }

  reset(): void {
    this.invocations.length = 0;
  }

  async close(): Promise<void> {
    await this.settled();
    await this.#http.close();
  }

  #onRequest(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_PAYLOAD_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      void this.#answer(req, res, size > MAX_PAYLOAD_BYTES ? undefined : Buffer.concat(chunks)).catch(
        (error: unknown) => {
          if (!res.headersSent) {
            apiError(res, 500, 'ServiceException', `Lambda stand-in failed: ${String(error)}`);
          }
        },
      );
    });
  }

  async #answer(req: IncomingMessage, res: ServerResponse, raw: Buffer | undefined): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const route = ROUTE.exec(url.pathname);
    if (req.method !== 'POST' || !route?.[1]) {
      return apiError(
        res,
        404,
        'UnknownOperationException',
        `No Lambda operation at ${req.method} ${url.pathname}`,
      );
    }
    const authorization = req.headers.authorization;
    if (typeof authorization !== 'string' || !authorization.startsWith('AWS4-HMAC-SHA256 ')) {
      return apiError(res, 403, 'MissingAuthenticationTokenException', 'Request is not SigV4-signed');
    }
    const target = parseFunctionName(decodeURIComponent(route[1]));
    const qualifier = url.searchParams.get('Qualifier') ?? target?.qualifier;
    const handler = target ? this.#options.functions[target.name] : undefined;
    if (!target || !handler) {
      return apiError(
        res,
        404,
        'ResourceNotFoundException',
        `Function not found: ${LambdaInvokeStandIn.arnOf(target?.name ?? route[1])}`,
      );
    }
    if (raw === undefined) {
      return apiError(
        res,
        413,
        'RequestTooLargeException',
        `Request must be smaller than ${MAX_PAYLOAD_BYTES} bytes for the InvokeFunction operation`,
      );
    }
    let event: unknown;
    try {
      // An absent payload reaches the handler as `{}`, as in Lambda.
      event = raw.length === 0 ? {} : JSON.parse(raw.toString('utf8'));
    } catch {
      return apiError(
        res,
        400,
        'InvalidRequestContentException',
        'Could not parse request body into json: the payload is not valid JSON',
      );
    }
    const invocationType = headerOf(req, 'x-amz-invocation-type') ?? 'RequestResponse';
    this.invocations.push({
      functionName: target.name,
      qualifier,
      invocationType,
      payload: event,
      authorization,
      receivedAt: Date.now(),
    });
    const common = {
      'x-amz-executed-version': '$LATEST',
      'x-amzn-requestid': `standin-${this.invocations.length}`,
    };
    if (invocationType === 'DryRun') {
      res.writeHead(204, common).end();
      return;
    }
    if (invocationType === 'Event') {
      const run = this.#run(handler, event).finally(() => this.#pending.delete(run));
      this.#pending.add(run);
      res.writeHead(202, common).end();
      return;
    }
    if (invocationType !== 'RequestResponse') {
      return apiError(res, 400, 'InvalidParameterValueException', `Unknown InvocationType ${invocationType}`);
    }
    const outcome = await this.#run(handler, event);
    const body = JSON.stringify(outcome.ok ? (outcome.result ?? null) : outcome.error);
    res.writeHead(200, {
      ...common,
      'content-type': 'application/json',
      ...(outcome.ok ? {} : { 'x-amz-function-error': 'Unhandled' }),
    });
    res.end(body);
  }

  async #run(
    handler: InvokedHandler,
    event: unknown,
  ): Promise<{ ok: true; result: unknown } | { ok: false; error: LambdaErrorPayload }> {
    try {
      return { ok: true, result: await handler(event, fakeContext(this.#options.timeoutMs ?? 30_000)) };
    } catch (error) {
      return { ok: false, error: toErrorPayload(error) };
    }
  }
}

/** What Lambda's Node.js runtime sends for a thrown error. */
export interface LambdaErrorPayload {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly trace: readonly string[];
}

/** Lambda's serialisation of a thrown value: `error.name` and `error.message`. */
export function toErrorPayload(error: unknown): LambdaErrorPayload {
  if (error instanceof Error) return { errorType: error.name, errorMessage: error.message, trace: [] };
  return { errorType: typeof error, errorMessage: String(error), trace: [] };
}

function parseFunctionName(raw: string): { name: string; qualifier: string | undefined } | undefined {
  const match = ARN.exec(raw) ?? PARTIAL_ARN.exec(raw);
  return match?.[1] ? { name: match[1], qualifier: match[2] } : undefined;
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** A Lambda API error: the SDK reads the type from `x-amzn-ErrorType`. */
function apiError(res: ServerResponse, status: number, type: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': type });
  res.end(JSON.stringify({ Type: 'User', message }));
}
