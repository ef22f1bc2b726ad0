/**
 * A pass-through proxy on 127.0.0.1 in front of an AWS JSON-protocol server (dynalite,
 * local-aws-sqs) that counts the requests by operation (`X-Amz-Target`'s last part: `UpdateItem`,
 * `TransactWriteItems`, ...): what the bench counts per order, and what the tests' fault proxies
 * forward. The real SDK talks to it as to the service. With `delayMs`, every request waits that long
 * before it is forwarded: a round trip to the service in the function's region (a few milliseconds)
 * instead of loopback's tenth of one, for the bench's latency and cold-start rows as deployed.
 */
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { LoopbackServer } from './loopback-server.js';

/** Forwards a request, with the body already read, to `target` unchanged, and its answer back. */
export function passThrough(
  target: string,
): (req: IncomingMessage, res: ServerResponse, body: Buffer) => void {
  const upstream = new URL(target);
  return (req, res, body) => {
    const forwarded = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forwarded.on('error', () => res.destroy());
    forwarded.end(body);
  };
}

/** The operation an AWS JSON-protocol request names (`DynamoDB_20120810.UpdateItem` → `UpdateItem`). */
export function operationOf(req: IncomingMessage): string {
  const header = req.headers['x-amz-target'];
  return typeof header === 'string' ? (header.split('.').pop() ?? header) : '';
}

export interface CountingProxy {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  /** Requests forwarded since the start or the last `reset()`, by operation. */
  readonly counts: ReadonlyMap<string, number>;
  total(): number;
  reset(): void;
  close(): Promise<void>;
}

export interface CountingProxyOptions {
  /** Sees each request's operation and body before it is forwarded (the bench's cost row reads units). */
  readonly observe?: (operation: string, body: Buffer) => void;
  /** Milliseconds every request waits before it is forwarded. @default 0 */
  readonly delayMs?: number;
}

/** Starts the proxy in front of `target`. */
export async function startCountingProxy(
  target: string,
  options: CountingProxyOptions = {},
): Promise<CountingProxy> {
  const delayMs = options.delayMs ?? 0;
  const counts = new Map<string, number>();
  const pass = passThrough(target);
  const server = await LoopbackServer.listen((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const operation = operationOf(req);
      counts.set(operation, (counts.get(operation) ?? 0) + 1);
      const body = Buffer.concat(chunks);
      options.observe?.(operation, body);
      if (delayMs > 0) setTimeout(() => pass(req, res, body), delayMs);
      else pass(req, res, body);
    });
  });
  return {
    endpoint: server.origin,
    counts,
    total: () => [...counts.values()].reduce((sum, n) => sum + n, 0),
    reset: () => counts.clear(),
    close: () => server.close(),
  };
}
