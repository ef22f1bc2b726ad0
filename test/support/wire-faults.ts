/**
 * A fault stand-in in front of an AWS JSON-protocol server (dynalite, local-aws-sqs) that fails
 * chosen calls: each request is matched against the rules by its operation (`X-Amz-Target`'s last
 * part: `UpdateItem`, `SendMessageBatch`, ...) and body; a matching rule with failures left answers
 * HTTP 500 (which the SDK retries like any 5xx), everything else is passed through unchanged. The
 * real SDK talks to it as to the service.
 */
import { operationOf, passThrough } from '../../dev/counting-proxy.js';
import { LoopbackServer } from '../../dev/loopback-server.js';

export interface WireFaultRule {
  /** Operation name, as in `X-Amz-Target` after the dot. */
  readonly operation: string;
  /** Only requests whose body contains this text. @default every request of the operation */
  readonly bodyIncludes?: string;
  /** Matching requests to fail; `Infinity` for every one. */
  readonly times: number;
}

export interface WireFaultProxy {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  /** Adds a rule; it fails the next `times` matching requests. */
  fail(rule: WireFaultRule): void;
  /** Every request received, as `{ operation, failed }`. */
  readonly calls: { readonly operation: string; readonly body: string; readonly failed: boolean }[];
  close(): Promise<void>;
}

/** Starts the stand-in on 127.0.0.1, passing requests through to `target`. */
export async function startWireFaultProxy(target: string): Promise<WireFaultProxy> {
  const rules: { rule: WireFaultRule; left: number }[] = [];
  const calls: { operation: string; body: string; failed: boolean }[] = [];

  const pass = passThrough(target);

  const server = await LoopbackServer.listen((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const text = body.toString('utf8');
      const operation = operationOf(req);
      const match = rules.find(
        ({ rule, left }) =>
          left > 0 &&
          rule.operation === operation &&
          (rule.bodyIncludes === undefined || text.includes(rule.bodyIncludes)),
      );
      calls.push({ operation, body: text, failed: match !== undefined });
      if (match === undefined) return pass(req, res, body);
      match.left -= 1;
      res.writeHead(500, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(JSON.stringify({ __type: 'InternalFailure', message: 'Injected by the test' }));
    });
  });

  return {
    endpoint: server.origin,
    calls,
    fail(rule) {
      rules.push({ rule, left: rule.times });
    },
    close: () => server.close(),
  };
}
