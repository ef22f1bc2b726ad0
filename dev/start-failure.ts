/**
 * How `npm start` and `npm run start:lambda` fail: one line naming the variable and the fix, and a
 * non-zero exit, instead of an unhandled rejection with a stack trace. Anything else is a bug and
 * keeps its stack trace.
 */
import { ConfigurationError } from '../functions/lib/errors.js';

/** A `PORT` that cannot be listened on (not a port number, in use, not permitted). */
export class PortError extends Error {
  override readonly name = 'PortError';
}

/**
 * `PORT` as a port number: a whole number from 0 (any free port) to 65535; `fallback` when unset.
 * Throws `PortError` naming the variable otherwise.
 */
export function parsePort(raw: string | undefined, fallback: number, command: string): number {
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = /^[0-9]{1,5}$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
  if (!(value >= 0 && value <= 65_535)) {
    throw new PortError(
      `PORT must be a port number from 0 to 65535 (0 picks a free one); set it like PORT=${fallback + 5} ${command}`,
    );
  }
  return value;
}

/** Turns a `listen` failure into a `PortError` naming `PORT`; other errors pass through. */
export function portFailure(error: unknown, port: number, command: string): unknown {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (code === 'EADDRINUSE') {
    return new PortError(
      `PORT ${port} is in use by another process: stop it, or set PORT to a free port (PORT=${port + 5} ${command}, or PORT=0 for any)`,
    );
  }
  if (code === 'EACCES') {
    return new PortError(
      `PORT ${port} may not be used by this user: set PORT to a port above 1023 (PORT=${port + 3000} ${command})`,
    );
  }
  return error;
}

/**
 * Runs `start`; a configuration or port error ends the process with one line on standard error
 * (`command: message`) and exit code 1. Whatever `start` opened before failing it closes itself.
 */
export async function startOrExit<T>(command: string, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (error) {
    if (!(error instanceof ConfigurationError || error instanceof PortError)) throw error;
    process.stderr.write(`${command}: ${error.message}\n`);
    process.exit(1);
  }
}
