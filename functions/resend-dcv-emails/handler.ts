/**
 * Lambda entry for resending DigiCert DCV emails. Accepts API Gateway HTTP API (2.0) and REST
 * (1.0) proxy events, direct invocations, EventBridge Scheduler inputs and EventBridge events.
 * The runtime is built once per container, on first use (nothing at import that the first call
 * does not need), from the environment Lambda set for the container; a bad environment is reported
 * to every caller as a `ConfigurationError` naming the variable.
 */

import { createRuntime, type Runtime } from '../app/runtime.js';
import { createHandler } from '../triggers/entry.js';

let runtime: Runtime | undefined;

export const handler = createHandler(() => {
  // A failed build is not kept: every invocation reports it, and a fixed environment is picked up.
  runtime ??= createRuntime(process.env);
  return runtime;
});
