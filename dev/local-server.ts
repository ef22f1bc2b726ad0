/**
 * `npm start`: the resend function behind a local HTTP server on 127.0.0.1, turning each request
 * into an API Gateway HTTP API (2.0) event for the real handler. By default it embeds the DigiCert
 * simulator and the Secrets Manager stand-in, so it needs no AWS or DigiCert account.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { Env } from '../functions/shared/config.js';
import {
  DCV_EMAILS_ROUTE,
  DCV_EMAILS_ROUTE_KEY,
  HTTP_LIMITS,
  RESEND_ROUTE,
  RESEND_ROUTE_KEY,
  resendPath,
} from '../functions/shared/contract.js';
import { createHandler } from '../functions/shared/entry.js';
import { HttpRequestError, type HttpResponse, safeDecode } from '../functions/shared/inbound/api-gateway.js';
import { errorResponse } from '../functions/shared/inbound/error-mapping.js';
import { DEMO_FORBIDDEN_DOMAIN, DEMO_ORDERS } from './digicert-simulator.js';
import { lambdaContext } from './lambda-events.js';
import { type LocalMode, localMode, startBackend } from './local-backend.js';
import { checkLocalRequest, type LocalGuardOptions, newLocalToken } from './local-guard.js';

/** Bodies larger than this are refused by the local server itself (API Gateway's own limit is 10 MB). */
const READ_LIMIT = HTTP_LIMITS.maxBodyBytes * 2;
/** The resend route as API Gateway matches it: group 1 is the order id segment. */
const ROUTE_PATH = new RegExp(`^${RESEND_ROUTE.path.replace('{order_id}', '([^/]+)')}$`);
/** The DCV address route: group 1 is the domain segment. */
const DCV_EMAILS_PATH = new RegExp(`^${DCV_EMAILS_ROUTE.path.replace('{domain}', '([^/]+)')}$`);

export interface LocalServer {
  readonly url: string;
  /** What the server talks to, in words. */
  readonly description: string;
  readonly mode: LocalMode;
  /**
   * The token every request must carry (`Authorization: Bearer <token>` or `x-local-token`) when
   * the server talks to the real DigiCert; `undefined` with the simulator.
   */
  readonly token: string | undefined;
  close(): Promise<void>;
}

export async function startLocalServer(
  port: number,
  log: (line: string) => void = console.log,
  env: Env = process.env,
): Promise<LocalServer> {
  const backend = await startBackend(env);
  const handler = createHandler(() => backend.runtime);
  const mode = localMode(env);
  const token = mode === 'simulator' ? undefined : newLocalToken();
  // Known once listening (port 0 picks a free one).
  const guard: { port: number; token: string | undefined } = { port, token };

  const server = createServer((req, res) => {
    void serve(req, res, handler, guard).catch((error: unknown) => {
      log(`local server: unexpected error ${error instanceof Error ? error.message : String(error)}`);
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  guard.port = (server.address() as AddressInfo).port;
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
    mode,
  };
}

async function serve(
  req: IncomingMessage,
  res: ServerResponse,
  handler: ReturnType<typeof createHandler>,
  guard: LocalGuardOptions,
): Promise<void> {
  const requestId = randomUUID();
  const refusal = checkLocalRequest(req.headers, guard);
  if (refusal) {
    req.resume();
    return send(res, {
      statusCode: refusal.status,
      headers: { 'content-type': 'application/json', 'x-request-id': requestId },
      body: JSON.stringify({ errors: [{ code: refusal.code, message: refusal.message }] }),
    });
  }
  const body = await readBody(req);
  if (body === undefined) {
    req.resume();
    return send(
      res,
      errorResponse(new HttpRequestError('payload_too_large', 'Request body is too large'), requestId),
    );
  }
  const event = toEvent(req, body, requestId);
  const started = Date.now();
  const context = lambdaContext(
    randomUUID(),
    () => Math.max(0, started + HTTP_LIMITS.budgetMs + 2_000 - Date.now()),
    'resend-dcv-emails-local',
  );
  const result = await handler(event, context);
  if ('statusCode' in result) return send(res, result);
  return send(res, {
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
function toEvent(req: IncomingMessage, body: Buffer, requestId: string): APIGatewayProxyEventV2 {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const textual = /^(application\/(json|[a-z.+-]*\+json)|text\/)/i.test(headers['content-type'] ?? '');
  const method = req.method ?? 'GET';
  const match = ROUTE_PATH.exec(url.pathname);
  const dcvEmails = DCV_EMAILS_PATH.exec(url.pathname);
  const now = Date.now();
  return {
    version: '2.0',
    routeKey: match ? RESEND_ROUTE_KEY : dcvEmails ? DCV_EMAILS_ROUTE_KEY : '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(match?.[1] ? { pathParameters: { order_id: safeDecode(match[1]) } } : {}),
    ...(dcvEmails?.[1] ? { pathParameters: { domain: safeDecode(dcvEmails[1]) } } : {}),
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
      routeKey: '$default',
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
    ...(body.length > 0
      ? { body: textual ? body.toString('utf8') : body.toString('base64'), isBase64Encoded: !textual }
      : { isBase64Encoded: false }),
  };
}

const isMain = import.meta.url === `file://${process.argv[1]}`;
if (isMain) {
  const port = Number(process.env.PORT ?? 3000);
  const server = await startLocalServer(port);
  const auth = server.token === undefined ? '' : ` -H 'authorization: Bearer ${server.token}'`;
  const example = `curl -i -X ${RESEND_ROUTE.method} ${server.url}${resendPath(123)}${auth} -H 'content-type: application/json' -d '{"domain_approval_emails":[{"domain":"example.com","email":"admin@example.com"}],"locale":"en"}'`;
  const demo =
    server.mode === 'simulator'
      ? `\nOrder ids with a fixed simulated outcome: ${[...DEMO_ORDERS.keys()].join(', ')} (each answers like DigiCert with that status).\nDCV addresses of a domain: curl ${server.url}/domain/example.com/dcv/emails (${DEMO_FORBIDDEN_DOMAIN} shows DigiCert's 403).`
      : '';
  const tokenNote =
    server.token === undefined
      ? ''
      : `\nEvery request must carry this run's token: Authorization: Bearer ${server.token} (or x-local-token).`;
  console.log(`dcv-resend listening on ${server.url}
Talking to ${server.description}.${tokenNote}
Try:
  ${example}${demo}
Press Ctrl+C to stop.`);
  const stop = () => {
    void server.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
