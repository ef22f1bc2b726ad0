/** What the CLI prints: a human line per order, or one JSON document with `--json`. */

import { ValidationError } from '../functions/lib/errors.js';
import type { OrderResult } from '../functions/resend/batch-result.js';
import { EXIT, type ExitCode, exitForError, UsageError } from './exit-codes.js';
import type { Io } from './io.js';

/** `✓ order 1: DCV emails resent`, or `✗ order 1: <error type> (<code>): <message>`. */
export function describeResult(result: OrderResult): string {
  if (result.status === 'sent') return `✓ order ${result.order_id}: DCV emails resent`;
  // DigiCert's codes are already in a DigiCertRequestError's message: say them once.
  const code = result.code && !result.message.includes(result.code) ? ` (${result.code})` : '';
  return `✗ order ${result.order_id}: ${result.error_type}${code}: ${result.message}`;
}

/** Prints `value` as JSON, or `human` (stdout on success, stderr otherwise); returns `code`. */
export function output(
  io: Io,
  json: boolean | undefined,
  value: unknown,
  human: string,
  code: ExitCode,
): ExitCode {
  if (json) io.stdout(`${JSON.stringify(value)}\n`);
  else (code === EXIT.ok ? io.stdout : io.stderr)(`${human}\n`);
  return code;
}

/** Prints an error that ended the command (and, with `--json`, a JSON document too); returns its exit code. */
export function reportError(error: unknown, io: Io, json: boolean): ExitCode {
  const code = exitForError(error);
  const type = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  if (json) {
    const issues = error instanceof ValidationError ? { issues: error.issues } : {};
    io.stdout(`${JSON.stringify({ error: { type, message, ...issues } })}\n`);
  }
  if (error instanceof UsageError) {
    io.stderr(`dcv-resend: ${message}\n`);
  } else if (error instanceof ValidationError) {
    if (!json) {
      const lines = error.issues.map((i) => `  ${i.field || '(request)'}: ${i.message}`);
      io.stderr(`dcv-resend: the request is invalid; nothing was sent:\n${lines.join('\n')}\n`);
    }
  } else if (!json) {
    io.stderr(`dcv-resend: ${type}: ${message}\n`);
  }
  return code;
}
