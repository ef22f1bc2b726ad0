/**
 * The shared budget's table (`rate-limit/budget-table.ts`) without the DynamoDB SDK: DynamoDB's JSON
 * protocol (`POST /`, `X-Amz-Target: DynamoDB_20120810.<operation>`, awsJson1_0), signed by the
 * SDK's own `SignatureV4`, through an undici pool, as `secrets/secrets-manager-sigv4.ts` reads the
 * key. A plain resend's cold start then loads neither the DynamoDB client nor Powertools
 * (docs/performance.md, "Eager state"): the budget needs two `UpdateItem`s per request.
 *
 * It behaves as the SDK client it stands in for (`state-table.ts`, `STATE_TABLE_BOUNDS`): the same
 * endpoint variables, the standard retry strategy's attempts, backoff and retryable errors (never a
 * refused condition), the per-attempt connection and request timeouts, the clock-skew correction of
 * its signing clock, and errors named by DynamoDB's error type. Used only where that is plain
 * (`sdkFreeEligible`): credentials and region in the environment as Lambda sets them.
 */
import type { Pool as PoolType } from 'undici';
import Pool from 'undici/lib/dispatcher/pool.js';
import { USER_AGENT } from '../app/contract.js';
import type { ClientBounds } from '../lib/client-bounds.js';
import { type ExchangeResult, exchange } from '../lib/http-exchange.js';
import type {
  BatchGetItemOutput,
  BudgetTable,
  BudgetTableCall,
  UpdateItemOutput,
} from '../rate-limit/budget-table.js';
import {
  backoffMs,
  clockSkewCorrected,
  environmentSigner,
  header,
  isRetryable,
  requestTimeout,
  sdkFreeEligible,
  signedHeaders,
  transportError,
  updatedClockOffset,
} from '../secrets/secrets-manager-sigv4.js';

const SERVICE = 'dynamodb';
const CONTENT_TYPE = 'application/x-amz-json-1.0';
const TARGET_PREFIX = 'DynamoDB_20120810.';
/** The budget's answers are a few items of a few hundred bytes. */
const MAX_RESPONSE_BYTES = 1024 * 1024;

type Env = Readonly<Record<string, string | undefined>>;

/** Whether the signed client does what the SDK would in `env` (the Secrets Manager read's rule). */
export function signedBudgetTableEligible(env: Env): boolean {
  return sdkFreeEligible(env, 'AWS_ENDPOINT_URL_DYNAMODB');
}

/** An error DynamoDB answered, shaped as the SDK's service exceptions are (`name`, `$metadata`, `Item`). */
export class DynamoDbServiceError extends Error {
  readonly $fault: 'client' | 'server';
  readonly $metadata: {
    readonly httpStatusCode: number;
    readonly requestId: string | undefined;
    clockSkewCorrected?: boolean;
  };
  /** The item as it was, on a refused condition that asked for it. */
  readonly Item: Record<string, unknown> | undefined;

  constructor(
    name: string,
    message: string,
    status: number,
    requestId: string | undefined,
    item: Record<string, unknown> | undefined,
  ) {
    super(message);
    this.name = name;
    this.$fault = status >= 500 ? 'server' : 'client';
    this.$metadata = { httpStatusCode: status, requestId };
    this.Item = item;
  }
}

/** `UpdateItem` and `BatchGetItem` over SigV4 and undici; one per container (it keeps a pool). */
export class SignedBudgetTable implements BudgetTable {
  readonly #endpoint: URL;
  readonly #bounds: ClientBounds;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #signer: ReturnType<typeof environmentSigner>;
  /** Server time minus this clock, from the last answer's `Date` (the SDK's `systemClockOffset`). */
  #clockOffsetMs = 0;
  #pool: PoolType | undefined;

  constructor(
    env: Env,
    bounds: ClientBounds,
    clock: { readonly now?: () => number; readonly random?: () => number } = {},
  ) {
    this.#endpoint = new URL(
      env.AWS_ENDPOINT_URL_DYNAMODB ||
        env.AWS_ENDPOINT_URL ||
        `https://${SERVICE}.${env.AWS_REGION ?? ''}.amazonaws.com`,
    );
    this.#bounds = bounds;
    this.#now = clock.now ?? Date.now;
    this.#random = clock.random ?? Math.random;
    this.#signer = environmentSigner(env, SERVICE);
  }

  updateItem(input: object, call: BudgetTableCall): Promise<UpdateItemOutput> {
    return this.#send('UpdateItem', JSON.stringify(input), call);
  }

  batchGetItem(input: object, call: BudgetTableCall): Promise<BatchGetItemOutput> {
    return this.#send('BatchGetItem', JSON.stringify(input), call);
  }

  async #send<T>(operation: string, body: string, call: BudgetTableCall): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return (await this.#attempt(operation, body, call)) as T;
      } catch (error) {
        if (attempt >= this.#bounds.maxAttempts || !isRetryable(error) || call.signal.aborted) throw error;
        await abortable(
          new Promise((resolve) => setTimeout(resolve, backoffMs(error, attempt, this.#random))),
          call.signal,
        );
      }
    }
  }

  async #attempt(operation: string, body: string, call: BudgetTableCall): Promise<unknown> {
    const path = this.#endpoint.pathname || '/';
    const offsetBefore = this.#clockOffsetMs;
    const headers = await signedHeaders(this.#signer, {
      host: this.#endpoint.host,
      path,
      body,
      date: new Date(this.#now() + offsetBefore),
      target: `${TARGET_PREFIX}${operation}`,
      contentType: CONTENT_TYPE,
    });
    this.#pool ??= new Pool(this.#endpoint.origin, {
      connections: 16,
      keepAliveTimeout: 4_000,
      connect: { timeout: this.#bounds.connectionTimeoutMs },
    });
    const pool = this.#pool;
    const sentAt = this.#now();
    const result = await abortable(
      call.tap(
        () =>
          exchange(pool, {
            method: 'POST',
            path,
            headers: { ...headers, 'user-agent': USER_AGENT },
            body,
            timeoutMs: this.#bounds.requestTimeoutMs,
            maxBodyBytes: MAX_RESPONSE_BYTES,
          }),
        (answer: ExchangeResult) => (answer.kind === 'answered' ? header(answer.headers.date) : undefined),
      ),
      call.signal,
    );
    if (result.kind === 'failed') {
      throw result.timedOut
        ? requestTimeout('DynamoDB', this.#bounds.requestTimeoutMs)
        : transportError(result.error);
    }
    this.#clockOffsetMs = updatedClockOffset(this.#clockOffsetMs, result.headers, sentAt, this.#now());
    if (result.status >= 200 && result.status < 300) return JSON.parse(result.text || '{}');
    const error = serviceError(result.status, result.text, header(result.headers['x-amzn-requestid']));
    if (clockSkewCorrected(offsetBefore, this.#clockOffsetMs)) error.$metadata.clockSkewCorrected = true;
    throw error;
  }
}

/** `work`, or the signal's reason once it aborts (the work's own timeout ends it then). */
function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** The awsJson1_0 error: `__type` (`namespace#Name`), its message, and the item a refused condition returns. */
function serviceError(status: number, text: string, requestId: string | undefined): DynamoDbServiceError {
  let parsed: { __type?: unknown; message?: unknown; Message?: unknown; Item?: unknown } = {};
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null) parsed = value;
  } catch {
    // Not JSON (a proxy's page): the status alone names it.
  }
  const raw = typeof parsed.__type === 'string' ? parsed.__type : '';
  const name = raw.split('#').at(-1) || 'UnknownError';
  const message = [parsed.message, parsed.Message].find((v): v is string => typeof v === 'string') ?? name;
  const item =
    typeof parsed.Item === 'object' && parsed.Item !== null
      ? (parsed.Item as Record<string, unknown>)
      : undefined;
  return new DynamoDbServiceError(name, message, status, requestId, item);
}
