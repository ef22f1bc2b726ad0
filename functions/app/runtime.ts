/**
 * The runtime with the state table's code always at hand: what tests, the local servers and the
 * CLI build. The deployed entry composes its own (`resend-dcv-emails/handler.ts`), loading the
 * state table's code only when the container has a table.
 */
import { composeRuntime, type Runtime, type RuntimeOverrides } from './compose.js';
import type { Env } from './config.js';
import { createState } from './state.js';

export { type Runtime, type RuntimeOverrides, SECRETS_MANAGER_BOUNDS } from './compose.js';

/** Builds the runtime from the environment; throws `ConfigurationError` naming a bad variable. */
export function createRuntime(env: Env, overrides: RuntimeOverrides = {}): Runtime {
  return composeRuntime(env, overrides, createState);
}
