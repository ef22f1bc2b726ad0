/**
 * Structured JSON logs, one object per line on stdout (CloudWatch Logs keeps each as one event).
 * Every line passes through a redactor that removes any registered secret value, as a second
 * line of defence behind never logging the key in the first place.
 *
 * Lines are written with `process.stdout.write`, not `console`, so that they stay pure JSON whatever
 * the function's log format: Lambda's text format prefixes `console` output, which would break both
 * Logs Insights' field discovery and embedded-metric extraction.
 */
import { ENV, FUNCTION_DEFAULTS, LOG_LEVELS, type LogLevel } from '../app/contract.js';
import { ConfigurationError } from '../lib/errors.js';

export type { LogLevel };
export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  /** The least severe level this logger writes. */
  readonly level: LogLevel;
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** Writes `record` as one JSON line whatever the level (metric documents); redacted like every line. */
  write(record: LogFields): void;
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Secret values that must never be written; the API key provider registers each key it reads. */
const secrets = new Set<string>();

/**
 * Registers a value to redact, in its raw form and as it appears inside a JSON string (lines are
 * redacted after encoding, where `"` and `\` are escaped). Keys are checked to be at least 20
 * characters when read; the floor here only keeps a stray short value from mangling every line.
 */
export function registerSecret(value: string): void {
  if (value.length < 8) return;
  // The encoded form first: it is the longer one, and redacting the raw form inside it first
  // could leave part of it behind.
  const encoded = JSON.stringify(value).slice(1, -1);
  if (encoded !== value) secrets.add(encoded);
  secrets.add(value);
}

/** Removes every registered secret from `text`. */
export function redact(text: string): string {
  let out = text;
  for (const secret of secrets) {
    if (out.includes(secret)) out = out.replaceAll(secret, '[REDACTED]');
  }
  return out;
}

/** `debug|info|warn|error` in any case (Lambda's `TRACE` and `FATAL` map to the nearest); else `undefined`. */
export function toLevel(raw: string | undefined): LogLevel | undefined {
  switch (raw?.trim().toLowerCase()) {
    case 'trace':
    case 'debug':
      return 'debug';
    case 'info':
      return 'info';
    case 'warn':
    case 'warning':
      return 'warn';
    case 'error':
    case 'fatal':
      return 'error';
    default:
      return undefined;
  }
}

export function parseLogLevel(raw: string | undefined): LogLevel {
  return toLevel(raw) ?? FUNCTION_DEFAULTS.logLevel;
}

/**
 * The level Lambda itself filters application logs at: set only when the function uses the JSON
 * log format with an application log level (advanced logging controls); `undefined` otherwise.
 */
export function lambdaLogLevel(env: Readonly<Record<string, string | undefined>>): LogLevel | undefined {
  return env[ENV.AWS_LAMBDA_LOG_FORMAT]?.toUpperCase() === 'JSON'
    ? toLevel(env[ENV.AWS_LAMBDA_LOG_LEVEL])
    : undefined;
}

/**
 * The level to log at: `LOG_LEVEL` (default `info`), but never more verbose than Lambda's own
 * application log level when JSON logging is on, since Lambda would drop those lines anyway.
 * Throws `ConfigurationError` naming `LOG_LEVEL` when it is set to something else.
 */
export function resolveLogLevel(env: Readonly<Record<string, string | undefined>>): LogLevel {
  const raw = env[ENV.LOG_LEVEL];
  const own = toLevel(raw);
  // A typo (LOG_LEVEL=verbose) silently logging at info would hide the lines someone asked for.
  if (own === undefined && raw !== undefined && raw.trim() !== '') {
    throw new ConfigurationError(
      'invalid_configuration',
      `${ENV.LOG_LEVEL} must be one of ${LOG_LEVELS.join(', ')} (any case), or unset for ${FUNCTION_DEFAULTS.logLevel}`,
    );
  }
  const lambda = lambdaLogLevel(env);
  if (own && lambda) return RANK[own] >= RANK[lambda] ? own : lambda;
  return own ?? lambda ?? FUNCTION_DEFAULTS.logLevel;
}

/** Serialises an error for logs: name, message, code and cause chain; never the request or key. */
export function describeError(error: unknown, depth = 0): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error) };
  const out: Record<string, unknown> = { name: error.name, message: error.message };
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') out.code = code;
  if (error.cause !== undefined && depth < 3) out.cause = describeError(error.cause, depth + 1);
  return out;
}

export interface LoggerOptions {
  readonly level?: LogLevel;
  readonly fields?: LogFields;
  readonly write?: (line: string) => void;
  readonly now?: () => Date;
}

/** Lines written to stdout in the current synchronous turn, not yet handed to the stream. */
let pendingStdout = '';

function flushStdout(): void {
  const text = pendingStdout;
  pendingStdout = '';
  try {
    process.stdout.write(text);
  } catch {
    // stdout is gone: nothing useful to do about it here, and a log line must never fail a request.
  }
}

/**
 * One `write` per synchronous turn, not per line: an invocation's order line and EMF document are
 * written back to back, and each write to stdout is a system call that costs more than building the
 * line (docs/performance.md, warm overhead). The lines go out at the end of the turn, before the
 * handler's answer reaches Lambda; stdout is read line by line, so each stays its own log event.
 */
const writeStdout = (line: string) => {
  if (pendingStdout === '') queueMicrotask(flushStdout);
  pendingStdout += `${line}\n`;
};

const LEVEL_NAME: Readonly<Record<LogLevel, string>> = {
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARN',
  error: 'ERROR',
};

/** Writes `{timestamp, level, message, ...fields of the logger, ...fields of the line}` as one JSON line. */
class JsonLogger implements Logger {
  readonly level: LogLevel;
  readonly #threshold: number;
  readonly #write: (line: string) => void;
  readonly #now: () => Date;
  readonly #base: LogFields;

  constructor(level: LogLevel, write: (line: string) => void, now: () => Date, base: LogFields) {
    this.level = level;
    this.#threshold = RANK[level];
    this.#write = write;
    this.#now = now;
    this.#base = base;
  }

  debug(message: string, fields?: LogFields): void {
    this.#emit('debug', message, fields);
  }

  info(message: string, fields?: LogFields): void {
    this.#emit('info', message, fields);
  }

  warn(message: string, fields?: LogFields): void {
    this.#emit('warn', message, fields);
  }

  error(message: string, fields?: LogFields): void {
    this.#emit('error', message, fields);
  }

  write(record: LogFields): void {
    this.#write(redact(JSON.stringify(record)));
  }

  child(fields: LogFields): Logger {
    return new JsonLogger(this.level, this.#write, this.#now, { ...this.#base, ...fields });
  }

  #emit(level: LogLevel, message: string, fields: LogFields | undefined): void {
    if (RANK[level] < this.#threshold) return;
    const timestamp = this.#now().toISOString();
    this.write({ timestamp, level: LEVEL_NAME[level], message, ...this.#base, ...fields });
  }
}

export function createLogger(options: LoggerOptions = {}): Logger {
  return new JsonLogger(
    options.level ?? 'info',
    options.write ?? writeStdout,
    options.now ?? (() => new Date()),
    options.fields ?? {},
  );
}
