/**
 * Structured JSON logs, one object per line on stdout (CloudWatch Logs keeps each as one event).
 * Every line passes through a redactor that removes any registered secret value, as a second
 * line of defence behind never logging the key in the first place.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Secret values that must never be written; the API key provider registers each key it reads. */
const secrets = new Set<string>();

export function registerSecret(value: string): void {
  if (value.length >= 8) secrets.add(value);
}

/** Removes every registered secret from `text`. */
export function redact(text: string): string {
  let out = text;
  for (const secret of secrets) {
    if (out.includes(secret)) out = out.replaceAll(secret, '[REDACTED]');
  }
  return out;
}

export function parseLogLevel(raw: string | undefined): LogLevel {
  const value = raw?.toLowerCase();
  return value === 'debug' || value === 'info' || value === 'warn' || value === 'error' ? value : 'info';
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

export function createLogger(options: LoggerOptions = {}): Logger {
  const threshold = RANK[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const now = options.now ?? (() => new Date());
  const base = options.fields ?? {};

  const emit = (level: LogLevel, message: string, fields?: LogFields) => {
    if (RANK[level] < threshold) return;
    const record = {
      timestamp: now().toISOString(),
      level: level.toUpperCase(),
      message,
      ...base,
      ...fields,
    };
    write(redact(JSON.stringify(record)));
  };

  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger({ ...options, fields: { ...base, ...fields } }),
  };
}
