/**
 * A local stand-in for AWS Secrets Manager that speaks the awsJson1_1 wire protocol the SDK uses
 * (`POST /`, `X-Amz-Target: secretsmanager.GetSecretValue`). Point the real SDK at it with
 * `AWS_ENDPOINT_URL_SECRETS_MANAGER`. Any other target, method or content type is answered with a
 * loud error and recorded in `protocolErrors`, so a test notices when the code drifts. A request
 * signed more than 5 minutes away from the stand-in's clock is refused as AWS refuses it
 * (`InvalidSignatureException`, "Signature expired"), with the stand-in's time in `Date`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoopbackServer } from './loopback-server.js';

export type SecretFault =
  | 'ResourceNotFoundException'
  | 'AccessDeniedException'
  | 'DecryptionFailure'
  | 'ThrottlingException'
  | 'InternalServiceError';

export interface GetSecretValueCall {
  readonly secretId: string;
  readonly authorization: string | undefined;
  readonly receivedAt: number;
}

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
const JSON_11 = 'application/x-amz-json-1.1';
/** How far a request's `x-amz-date` may be from the server's clock (SigV4's limit). */
const MAX_CLOCK_SKEW_MS = 5 * 60_000;

const FAULT_STATUS: Record<SecretFault, number> = {
  ResourceNotFoundException: 400,
  AccessDeniedException: 400,
  DecryptionFailure: 400,
  ThrottlingException: 400,
  InternalServiceError: 500,
};

export class SecretsManagerStandIn {
  readonly calls: GetSecretValueCall[] = [];
  readonly protocolErrors: string[] = [];
  readonly #http: LoopbackServer;
  #secrets = new Map<string, { value: string; version: number }>();
  #faults: SecretFault[] = [];
  #delayMs = 0;
  #timers = new Set<NodeJS.Timeout>();

  private constructor(http: LoopbackServer) {
    this.#http = http;
  }

  static async start(secrets: Record<string, string> = {}): Promise<SecretsManagerStandIn> {
    let standIn: SecretsManagerStandIn | undefined;
    const http = await LoopbackServer.listen((req, res) => {
      if (standIn) standIn.#onRequest(req, res);
    });
    standIn = new SecretsManagerStandIn(http);
    for (const [name, value] of Object.entries(secrets)) standIn.setSecret(name, value);
    return standIn;
  }

  /** The value for `AWS_ENDPOINT_URL_SECRETS_MANAGER`. */
  get endpoint(): string {
    return this.#http.origin;
  }

  /** The ARN the stand-in reports for a secret name. */
  static arnOf(name: string): string {
    return `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}-AbCdEf`;
  }

  /** Creates or rotates a secret (a new version becomes current). */
  setSecret(name: string, value: string): void {
    const version = (this.#secrets.get(name)?.version ?? 0) + 1;
    this.#secrets.set(name, { value, version });
  }

  deleteSecret(name: string): void {
    this.#secrets.delete(name);
  }

  /** The next calls fail with these faults, one each, in order. */
  failNext(...faults: SecretFault[]): void {
    this.#faults.push(...faults);
  }

  /**
   * Delays every answer (to widen races in single-flight tests, or to play a hung Secrets Manager).
   * Calls are recorded when they arrive.
   */
  setDelay(ms: number): void {
    this.#delayMs = ms;
  }

  reset(): void {
    this.calls.length = 0;
    this.protocolErrors.length = 0;
    this.#faults = [];
    this.#delayMs = 0;
  }

  async close(): Promise<void> {
    for (const timer of this.#timers) clearTimeout(timer);
    await this.#http.close();
  }

  #onRequest(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => this.#answer(req, Buffer.concat(chunks).toString('utf8'), res));
  }

  /** Records the call and decides the answer at once; only sending it waits for the delay. */
  #answer(req: IncomingMessage, raw: string, res: ServerResponse) {
    const delayMs = this.#delayMs;
    const requestId = `standin-${this.calls.length}`;
    const send = (status: number, body: unknown) => {
      const write = () => {
        if (res.destroyed) return;
        res.writeHead(status, { 'content-type': JSON_11, 'x-amzn-requestid': requestId });
        res.end(JSON.stringify(body));
      };
      if (delayMs > 0) this.#later(delayMs, write);
      else write();
    };
    const refuse = (problem: string) => {
      this.protocolErrors.push(problem);
      send(400, { __type: 'UnknownOperationException', message: `Secrets Manager stand-in: ${problem}` });
    };
    const target = req.headers['x-amz-target'];
    if (req.method !== 'POST' || req.url !== '/')
      return refuse(`expected POST /, got ${req.method} ${req.url}`);
    if (req.headers['content-type'] !== JSON_11) {
      return refuse(`expected content-type ${JSON_11}, got ${String(req.headers['content-type'])}`);
    }
    if (target !== 'secretsmanager.GetSecretValue') {
      return refuse(`only secretsmanager.GetSecretValue is supported, got ${String(target)}`);
    }
    const authorization = req.headers.authorization;
    if (typeof authorization !== 'string' || !authorization.startsWith('AWS4-HMAC-SHA256 ')) {
      return refuse('request is not SigV4-signed');
    }
    let secretId: unknown;
    try {
      secretId = (JSON.parse(raw) as { SecretId?: unknown }).SecretId;
    } catch {
      return refuse('body is not JSON');
    }
    if (typeof secretId !== 'string') return refuse('SecretId is missing');
    this.calls.push({ secretId, authorization, receivedAt: Date.now() });

    const signedAt = signingTime(req.headers['x-amz-date']);
    if (signedAt === undefined) return refuse('x-amz-date is missing or not yyyymmddThhmmssZ');
    if (Math.abs(signedAt - Date.now()) > MAX_CLOCK_SKEW_MS) {
      return send(400, {
        __type: 'InvalidSignatureException',
        message: `Signature expired: ${String(req.headers['x-amz-date'])} is now earlier or later than the server's time allows (5 min.)`,
      });
    }

    const fault = this.#faults.shift();
    if (fault) return send(FAULT_STATUS[fault], { __type: fault, message: `Injected ${fault}` });

    const name = this.#nameOf(secretId);
    const secret = name === undefined ? undefined : this.#secrets.get(name);
    if (name === undefined || secret === undefined) {
      return send(400, {
        __type: 'ResourceNotFoundException',
        message: "Secrets Manager can't find the specified secret.",
      });
    }
    send(200, {
      ARN: SecretsManagerStandIn.arnOf(name),
      Name: name,
      VersionId: `00000000-0000-4000-8000-${String(secret.version).padStart(12, '0')}`,
      SecretString: secret.value,
      VersionStages: ['AWSCURRENT'],
      CreatedDate: Math.floor(Date.now() / 1000),
    });
  }

  #later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      fn();
    }, ms);
    this.#timers.add(timer);
  }

  #nameOf(secretId: string): string | undefined {
    if (!secretId.startsWith('arn:')) return secretId;
    for (const name of this.#secrets.keys()) {
      if (secretId === SecretsManagerStandIn.arnOf(name) || secretId.endsWith(`:secret:${name}`)) return name;
    }
    return undefined;
  }
}

/** `20261207T063000Z` as epoch milliseconds; `undefined` when it is not that format. */
function signingTime(value: string | string[] | undefined): number | undefined {
  const match =
    typeof value === 'string' ? /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value) : null;
  if (!match) return undefined;
  const [, y, mo, d, h, mi, sec] = match.map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  return Date.UTC(y, mo - 1, d, h, mi, sec);
}
