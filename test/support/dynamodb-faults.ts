/**
 * A fault stand-in in front of a DynamoDB-compatible server (dynalite): each request takes the next
 * scripted fault (DynamoDB's throttling answer, a 500, or no answer for a while) and, once the
 * script is used up, is passed through unchanged. The real SDK talks to it as to DynamoDB.
 */
import type { ServerResponse } from 'node:http';
import { operationOf, passThrough } from '../../dev/counting-proxy.js';
import { LoopbackServer } from '../../dev/loopback-server.js';

export type DynamoFault =
  /** HTTP 400 `ThrottlingException`, which the SDK retries with backoff. */
  | { readonly kind: 'throttle' }
  /** HTTP 500 `InternalServerError`. */
  | { readonly kind: 'server_error' }
  /** No answer: the request is never passed on, and the connection is dropped after `delayMs`. */
  | { readonly kind: 'hang'; readonly delayMs: number };

export interface DynamoFaultProxy {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  /** The faults for the next requests, in order; `always` repeats the last one for every request. */
  script(faults: readonly DynamoFault[], options?: { always?: boolean }): void;
  /** `X-Amz-Target` operation of every request received (`PutItem`, `GetItem`, ...). */
  readonly operations: string[];
  close(): Promise<void>;
}

/** Starts the stand-in on 127.0.0.1, passing requests through to `target` (dynalite's endpoint). */
export async function startDynamoFaultProxy(target: string): Promise<DynamoFaultProxy> {
  let faults: DynamoFault[] = [];
  let always = false;
  const operations: string[] = [];
  const timers = new Set<NodeJS.Timeout>();

  const pass = passThrough(target);

  const error = (res: ServerResponse, status: number, type: string, message: string) => {
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
    res.end(JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message }));
  };

  const server = await LoopbackServer.listen((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      operations.push(operationOf(req));
      const fault = always && faults.length === 1 ? faults[0] : faults.shift();
      if (fault === undefined) return pass(req, res, body);
      switch (fault.kind) {
        case 'throttle':
          return error(res, 400, 'ThrottlingException', 'Rate of requests exceeds the allowed throughput.');
        case 'server_error':
          return error(res, 500, 'InternalServerError', 'Internal server error');
        case 'hang': {
          const timer = setTimeout(() => {
            timers.delete(timer);
            res.destroy();
          }, fault.delayMs);
          timers.add(timer);
        }
      }
    });
  });

  return {
    endpoint: server.origin,
    operations,
    script(next, options = {}) {
      faults = [...next];
      always = options.always ?? false;
    },
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      await server.close();
    },
  };
}
