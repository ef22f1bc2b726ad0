/**
 * `npm start`: the resend function behind a local HTTP server on 127.0.0.1, turning each request
 * into an API Gateway HTTP API (2.0) event for the real handler. By default it embeds the DigiCert
 * simulator, the Secrets Manager stand-in and the state table, so it needs no AWS or DigiCert
 * account, and `Idempotency-Key` works as deployed.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { Env } from '../functions/app/config.js';
import {
  DCV_EMAILS_ROUTE,
  DCV_STATUS_ROUTE,
  DNS_DCV_ROUTE,
  HTTP_LIMITS,
  RESEND_ROUTE,
  resendPath,
} from '../functions/app/contract.js';
import { createLogger, type Logger, resolveLogLevel } from '../functions/observability/logger.js';
import type { Handler } from '../functions/resend-dcv-emails/handler.js';
import { type HttpResponse, payloadTooLarge, safeDecode } from '../functions/triggers/api-gateway.js';
import { errorResponse } from '../functions/triggers/error-mapping.js';
import { DEMO_FORBIDDEN_DOMAIN, DEMO_ORDERS, DEMO_STUCK_ORDER } from './digicert-simulator.js';
import { lambdaContext } from './lambda-events.js';
import { type LocalMode, localMode } from './local-backend.js';
import { startLocalFunction } from './local-function.js';
import { checkLocalRequest, type LocalGuardOptions, newLocalToken } from './local-guard.js';
import { quietSdkNodeWarning } from './sdk-endpoint.js';
import { parsePort, portFailure, startOrExit } from './start-failure.js';

/** Bodies larger than this are refused by the local server itself (API Gateway's own limit is 10 MB). */
const READ_LIMIT = HTTP_LIMITS.maxBodyBytes * 2;

/** A route of the deployed HTTP API, matched as API Gateway matches it: whole path, exact method. */
interface LocalRoute {
  readonly method: string;
  /** `METHOD /path/{param}`, the event's `routeKey`. */
  readonly routeKey: string;
  /** The path with each `{param}` as a named group of one non-empty segment. */
  readonly pattern: RegExp;
}

function localRoute(route: { readonly method: string; readonly path: string }): LocalRoute {
  const source = route.path.replace(/\{([a-z_]+)\}/g, '(?<$1>[^/]+)');
  return {
    method: route.method,
    routeKey: `${route.method} ${route.path}`,
    pattern: new RegExp(`^${source}$`),
  };
}

/**
 * The deployed API's routes (infra/constructs/resend-api.ts), one line each. Anything else gets
 * API Gateway's own 404 without reaching the function, as deployed: a path that works here works there.
 */
const ROUTES: readonly LocalRoute[] = [
  localRoute(RESEND_ROUTE),
  localRoute(DCV_EMAILS_ROUTE),
  localRoute(DCV_STATUS_ROUTE),
  localRoute(DNS_DCV_ROUTE),
];

/** API Gateway's answer when no route matches (HTTP APIs have no 405). */
const NO_ROUTE: HttpResponse = {
  statusCode: 404,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ message: 'Not Found' }),
};

interface RouteMatch {
  readonly route: LocalRoute;
  readonly pathParameters: Record<string, string>;
}

function matchRoute(method: string, path: string): RouteMatch | undefined {
  for (const route of ROUTES) {
    const groups = route.method === method ? route.pattern.exec(path)?.groups : undefined;
    if (!groups) continue;
    const pathParameters: Record<string, string> = {};
    for (const [name, value] of Object.entries(groups)) pathParameters[name] = safeDecode(value);
    return { route, pathParameters };
  }
  return undefined;
}

/** What one request came to, for the one line per request printed on a terminal. */
export interface RequestSummary {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly orderId: string | undefined;
  /** `sent` (204), `ok` (another 2xx), or the first error code of the answer. */
  readonly outcome: string;
  readonly ms: number;
}

/** `PUT /order/certificate/123/resend-emails 204 order 123 sent 41 ms`. */
export function formatRequestLine(summary: RequestSummary): string {
  const order = summary.orderId === undefined ? '' : ` order ${summary.orderId}`;
  return `${summary.method} ${summary.path} ${summary.status}${order} ${summary.outcome} ${summary.ms} ms`;
}

function outcomeOf(response: HttpResponse): string {
  if (response.statusCode === 204) return 'sent';
  if (response.statusCode < 300) return 'ok';
  try {
    const body = JSON.parse(response.body) as { errors?: { code?: unknown }[]; message?: unknown };
    const code = body.errors?.[0]?.code;
    if (typeof code === 'string') return code;
    if (typeof body.message === 'string') return body.message.toLowerCase().replaceAll(' ', '_');
  } catch {
    // Not JSON: the status says it all.
  }
  return 'failed';
}

export interface LocalServerOptions {
  /** Where the function's log lines go. @default - JSON lines on standard output, as in Lambda */
  readonly logger?: Logger;
  /** Called once per answered request. */
  readonly onRequest?: (summary: RequestSummary) => void;
  /** Whether to embed the state table when `STATE_TABLE_NAME` is unset. @default true */
  readonly embedStateTable?: boolean;
}

export interface LocalServer {
  readonly url: string;
  /** What the server talks to, in words. */
  readonly description: string;
  /** Which state table the function uses, in words. */
  readonly stateDescription: string;
  readonly mode: LocalMode;
  /**
   * The token every request must carry (`Authorization: Bearer <token>` or `x-local-token`) when
   * the server talks to the real DigiCert; `undefined` with the simulator.
   */
  readonly token: string | undefined;
  close(): Promise<void>;
}

/**
 * Starts the server; throws `ConfigurationError` for a bad variable and `PortError` when `port`
 * cannot be listened on, having closed whatever it started.
 */
export async function startLocalServer(
  port: number,
  log: (line: string) => void = console.log,
  env: Env = process.env,
  options: LocalServerOptions = {},
): Promise<LocalServer> {
  const backend = await startLocalFunction(env, {
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.embedStateTable === undefined ? {} : { embedStateTable: options.embedStateTable }),
  });
  const handler = backend.handler;
  const mode = localMode(env);
  const token = mode === 'simulator' ? undefined : newLocalToken();
  // Known once listening (port 0 picks a free one).
  const guard: { port: number; token: string | undefined } = { port, token };
  const onRequest = options.onRequest ?? (() => undefined);

  const server = createServer((req, res) => {
    void serve(req, res, handler, guard, onRequest).catch((error: unknown) => {
      log(`local server: unexpected error ${error instanceof Error ? error.message : String(error)}`);
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
  } catch (error) {
    await backend.close();
    throw portFailure(error, port, 'npm start');
  }
  guard.port = (server.address() as AddressInfo).port;
  backend.warm();
  const url = `http://127.0.0.1:${guard.port}`;
  return {
    url,
    token,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await backend.close();
    },
    description: backend.description,
    stateDescription: backend.stateDescription,
    mode,
  };
}

async function serve(
  req: IncomingMessage,
  res: ServerResponse,
  handler: Handler,
  guard: LocalGuardOptions,
  onRequest: (summary: RequestSummary) => void,
): Promise<void> {
  const started = Date.now();
  const method = req.method ?? 'GET';
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  const match = matchRoute(method, path);
  const answer = (response: HttpResponse) => {
    send(res, response);
    onRequest({
      method,
      path,
      status: response.statusCode,
      orderId: match?.pathParameters.order_id,
      outcome: outcomeOf(response),
      ms: Date.now() - started,
    });
  };
  const requestId = randomUUID();
  const refusal = checkLocalRequest(req.headers, guard);
  if (refusal) {
    req.resume();
    return answer({
      statusCode: refusal.status,
      headers: { 'content-type': 'application/json', 'x-request-id': requestId },
      body: JSON.stringify({ errors: [{ code: refusal.code, message: refusal.message }] }),
    });
  }
  if (!match) {
    req.resume();
    return answer(NO_ROUTE);
  }
  const body = await readBody(req);
  if (body === undefined) {
    req.resume();
    return answer(errorResponse(payloadTooLarge(), requestId));
  }
  const event = toEvent(req, body, requestId, match);
  const context = lambdaContext(
    randomUUID(),
    () => Math.max(0, started + HTTP_LIMITS.budgetMs + 2_000 - Date.now()),
    'resend-dcv-emails-local',
  );
  const result = await handler(event, context);
  if ('statusCode' in result) return answer(result);
  return answer({
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(result),
  });
}

function send(res: ServerResponse, response: HttpResponse): void {
  res.writeHead(response.statusCode, response.headers);
  res.end(response.body);
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > READ_LIMIT) {
        req.removeAllListeners('data');
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Builds the event API Gateway's HTTP API would send: textual bodies as-is, others base64. */
function toEvent(
  req: IncomingMessage,
  body: Buffer,
  requestId: string,
  match: RouteMatch,
): APIGatewayProxyEventV2 {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const textual = /^(application\/(json|[a-z.+-]*\+json)|text\/)/i.test(headers['content-type'] ?? '');
  const method = req.method ?? 'GET';
  const now = Date.now();
  return {
    version: '2.0',
    routeKey: match.route.routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    pathParameters: match.pathParameters,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: '127.0.0.1',
      domainPrefix: 'local',
      http: {
        method,
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey: match.route.routeKey,
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
    ...(body.length > 0
      ? { body: textual ? body.toString('utf8') : body.toString('base64'), isBase64Encoded: !textual }
      : { isBase64Encoded: false }),
  };
}

/**
 * On a terminal, one readable line per request instead of the function's JSON log lines (about
 * 1 KB each); piped or redirected, the JSON lines as Lambda writes them.
 */
function terminalOptions(env: Env): LocalServerOptions {
  if (!process.stdout.isTTY) return {};
  return {
    logger: createLogger({ level: resolveLogLevel(env), write: () => undefined }),
    onRequest: (summary) => console.log(formatRequestLine(summary)),
  };
}

const isMain = import.meta.url === `file://${process.argv[1]}`;
if (isMain) {
  quietSdkNodeWarning();
  const server = await startOrExit('npm start', () =>
    startLocalServer(
      parsePort(process.env.PORT, 3000, 'npm start'),
      console.log,
      process.env,
      terminalOptions(process.env),
    ),
  );
  const auth = server.token === undefined ? '' : ` -H 'authorization: Bearer ${server.token}'`;
  const example = `curl -i -X ${RESEND_ROUTE.method} ${server.url}${resendPath(123)}${auth} -H 'content-type: application/json' -d '{"domain_approval_emails":[{"domain":"example.com","email":"admin@example.com"}],"locale":"en"}'`;
  const demo =
    server.mode === 'simulator'
      ? `\nOrder ids with a fixed simulated outcome: ${[...DEMO_ORDERS.keys()].join(', ')}: the simulator fails each as DigiCert would with that status, and you get what the deployed API answers: 404, 403 and 400 as DigiCert sent them; 429, and 502 for 500/502/503, after the retries; 504 when DigiCert does not answer in time.\nDCV addresses of a domain: curl ${server.url}/domain/example.com/dcv/emails (${DEMO_FORBIDDEN_DOMAIN} shows DigiCert's 403).\nAn order's DCV status: curl ${server.url}/order/certificate/${DEMO_STUCK_ORDER}/dcv (a stuck email-DCV order; 1001 to 1005 are in the simulated book).\nMove it to DNS DCV: curl -i -X POST ${server.url}/order/certificate/${DEMO_STUCK_ORDER}/dcv/dns${auth} (the workflow publishes the TXT in the Route 53 stand-in's example.com, DigiCert checks it, then it is removed).\nWhat the pending-DCV sweep would do to them: npx dcv-resend sweep --dry-run (--policy resend to see what it would resend).`
      : '';
  const tokenNote =
    server.token === undefined
      ? ''
      : `\nEvery request must carry this run's token: Authorization: Bearer ${server.token} (or x-local-token).`;
  const logNote = process.stdout.isTTY
    ? '\nOne line per request here; pipe the output (npm start | cat) for the JSON log lines.'
    : '';
  console.log(`dcv-resend listening on ${server.url}
Talking to ${server.description}.${tokenNote}
State table: ${server.stateDescription}.
Try:
  ${example}${demo}${logNote}
Press Ctrl+C to stop.`);
  const stop = () => {
    void server.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
