/**
 * The contract audit's own fakes (the `*-contract.int.test.ts` files): a DigiCert, a Secrets Manager and
 * an SQS written from DigiCert's documentation (`resend-emails.md`) and the AWS JSON protocols, not
 * the project's simulator and stand-ins, so that the audit does not share their assumptions.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoopbackServer } from '../../dev/loopback-server.js';

/** The API key the fake Secrets Manager holds: the canary no output may contain (docs/contract.md §5). */
export const KEY = `AUDIT-CANARY-${randomUUID()}`;
/** A secret whose value is the bare key. */
export const SECRET_BARE = 'audit/digicert-key';
/** A secret whose value is JSON with an `api_key` field. */
export const SECRET_JSON = 'audit/digicert-key-json';

// ---------------------------------------------------------------------------------------------
// The listening plumbing the three fakes share (127.0.0.1, a free port, connections dropped on
// close): the project's `LoopbackServer`; what each fake answers is written here, from the docs.

export abstract class FakeServer {
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

export interface Recorded {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}
export interface Scripted {
  readonly status: number;
  readonly body?: string;
  readonly headers?: Record<string, string>;
  /** The answer waits for this. */
  readonly hold?: Promise<void>;
}

export class FakeDigiCert extends FakeServer {
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

export class FakeSecretsManager extends FakeServer {
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

export class FakeSqs extends FakeServer {
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
