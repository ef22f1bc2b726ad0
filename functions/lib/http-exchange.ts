/**
 * One HTTP request and its whole answer (status, headers, body as text), over an undici dispatcher
 * through its documented handler interface, `Dispatcher.dispatch(options, handler)`, with one time
 * limit for the whole exchange. The DigiCert client and the SDK-free Secrets Manager read use it.
 *
 * Why not undici's `request()`: it wraps every answer in a `Readable` stream that the caller then
 * drains, which was about a quarter of the function's warm CPU time per resend on Node 24 (the
 * answers here are empty or a few hundred bytes of JSON, read whole). `dispatch` hands the bytes over
 * directly: `npm run bench` (warm rows) and "Warm overhead" in docs/performance.md give the figures.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';

export interface ExchangeRequest {
  readonly method: Dispatcher.HttpMethod;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Limit for the whole exchange, from dispatch to the body's last byte (undici's own header and body timeouts are off). */
  readonly timeoutMs: number;
  /** Body bytes kept; a longer body is cut here and its connection closed. */
  readonly maxBodyBytes: number;
}

/** The answer, or why there is none. Never a rejection: a caller classifies both. */
export type ExchangeResult =
  | {
      readonly kind: 'answered';
      readonly status: number;
      readonly headers: IncomingHttpHeaders;
      /** The body as UTF-8, at most `maxBodyBytes` of it; `''` when there is none. */
      readonly text: string;
    }
  | {
      readonly kind: 'failed';
      /** The exchange's time limit ran out (else `error` is the transport's, e.g. a connect timeout). */
      readonly timedOut: boolean;
      readonly error: unknown;
      /** The status, when the failure came after the headers. */
      readonly status: number | undefined;
    };

/** Sends `request` on `dispatcher` and resolves with the whole answer or the failure. */
export function exchange(dispatcher: Dispatcher, request: ExchangeRequest): Promise<ExchangeResult> {
  return new Promise((resolve) => {
    const handler = new ExchangeHandler(request.maxBodyBytes, request.timeoutMs, resolve);
    try {
      dispatcher.dispatch(
        {
          method: request.method,
          path: request.path,
          headers: request.headers,
          body: request.body,
          // The exchange's own timer is the one bound (it starts before undici's would, at dispatch):
          // undici's header and body timers would only race it and cost two timers per request.
          headersTimeout: 0,
          bodyTimeout: 0,
        },
        handler,
      );
    } catch (error) {
      // undici reports a bad request or a closed dispatcher through the handler; this is the backstop.
      handler.onResponseError(undefined, error as Error);
    }
  });
}

/** The error an exchange that ran out of time is aborted with. */
export class ExchangeTimeoutError extends Error {
  readonly code = 'UND_ERR_ABORTED';

  constructor(ms: number) {
    super(`no complete answer within ${ms} ms`);
    this.name = 'ExchangeTimeoutError';
  }
}

/** Aborts what is left of an exchange that has already resolved (a body past its cap, a late start); reaches no caller. */
class ExchangeEndedError extends Error {}

class ExchangeHandler implements Dispatcher.DispatchHandler {
  readonly #maxBodyBytes: number;
  readonly #resolve: (result: ExchangeResult) => void;
  readonly #timer: NodeJS.Timeout;
  #controller: Dispatcher.DispatchController | undefined;
  #settled = false;
  #status: number | undefined;
  #headers: IncomingHttpHeaders = {};
  #chunks: Buffer[] = [];
  #bytes = 0;

  constructor(maxBodyBytes: number, timeoutMs: number, resolve: (result: ExchangeResult) => void) {
    this.#maxBodyBytes = maxBodyBytes;
    this.#resolve = resolve;
    this.#timer = setTimeout(() => this.#timedOut(timeoutMs), Math.max(1, timeoutMs));
    // A pending exchange never keeps the process alive by its timer alone.
    this.#timer.unref();
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    // Started after the time ran out (it waited for a free connection): it is never sent.
    if (this.#settled)
      controller.abort(new ExchangeEndedError('the exchange ran out of time before it started'));
    else this.#controller = controller;
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
  ): void {
    // 1xx interim answers come first; the final one replaces them.
    if (statusCode < 200) return;
    this.#status = statusCode;
    this.#headers = headers;
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#settled) return;
    if (this.#bytes + chunk.length > this.#maxBodyBytes) {
      this.#chunks.push(chunk.subarray(0, this.#maxBodyBytes - this.#bytes));
      this.#answered();
      controller.abort(new ExchangeEndedError('the body is past its cap'));
      return;
    }
    this.#chunks.push(chunk);
    this.#bytes += chunk.length;
  }

  onResponseEnd(): void {
    this.#answered();
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, error: Error): void {
    this.#settle({ kind: 'failed', timedOut: false, error, status: this.#status });
  }

  #answered(): void {
    const chunks = this.#chunks;
    const text =
      chunks.length === 0
        ? ''
        : (chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)).toString('utf8');
    this.#settle({ kind: 'answered', status: this.#status ?? 0, headers: this.#headers, text });
  }

  #timedOut(ms: number): void {
    const error = new ExchangeTimeoutError(ms);
    this.#settle({ kind: 'failed', timedOut: true, error, status: this.#status });
    this.#controller?.abort(error);
  }

  #settle(result: ExchangeResult): void {
    if (this.#settled) return;
    this.#settled = true;
    clearTimeout(this.#timer);
    this.#resolve(result);
  }
}
