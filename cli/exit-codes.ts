/**
 * The exit codes scripts rely on (docs/cli.md, "Exit codes and output"), and which failure gets which. They are part of
 * the CLI's interface: change one and every script that branches on it breaks.
 */

import { ERROR_TYPES } from '../functions/app/contract.js';
import { ConfigurationError, ValidationError } from '../functions/lib/errors.js';
import type { OrderResult } from '../functions/resend/batch-result.js';

export const EXIT = {
  /** Every order was sent (or, with --dry-run, is valid). */
  ok: 0,
  /** DigiCert refused, or stayed unavailable for, at least one order. */
  failed: 1,
  /** The command line is wrong (unknown option, missing value, unreadable file). */
  usage: 2,
  /** The request was rejected by validation; nothing was sent. */
  invalid: 3,
  /** The key, the secret, the AWS set-up or the function cannot be used (configuration). */
  configuration: 4,
  /** Stopped by Ctrl-C (SIGINT): 128 + the signal's number, as shells report it. */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The command line itself is wrong: exit 2, with a message that says how to write it. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * AWS API errors that mean the target or the credentials are wrong, not that DigiCert failed (the
 * SDK's own region, credential and network failures are turned into `ConfigurationError` earlier).
 */
const AWS_SETUP_ERRORS = new Set([
  'ResourceNotFoundException',
  'AccessDeniedException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'ExpiredTokenException',
  'CredentialsProviderError',
]);

/** The exit code for an error that ended the whole command. */
export function exitForError(error: unknown): ExitCode {
  if (error instanceof UsageError) return EXIT.usage;
  if (error instanceof ValidationError) return EXIT.invalid;
  const name = error instanceof Error ? error.name : 'Error';
  if (error instanceof ConfigurationError || AWS_SETUP_ERRORS.has(name)) return EXIT.configuration;
  return EXIT.failed;
}

/** The exit code for one order's outcome. */
export function exitForResult(result: OrderResult): ExitCode {
  if (result.status === 'sent') return EXIT.ok;
  if (result.error_type === ERROR_TYPES.ValidationError) return EXIT.invalid;
  if (result.error_type === ERROR_TYPES.ConfigurationError) return EXIT.configuration;
  return EXIT.failed;
}

/** The most serious of `codes`: configuration (4) over invalid (3) over DigiCert failed (1) over 0. */
export function mostSerious(codes: readonly ExitCode[]): ExitCode {
  let worst: ExitCode = EXIT.ok;
  for (const code of codes) if (code > worst) worst = code;
  return worst;
}
