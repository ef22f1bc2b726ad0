/**
 * What the handler tests share: a harness started for the file and reset between tests, an
 * invocation with a Lambda context, and the error a failing call threw.
 */
import { afterAll, afterEach, beforeAll } from 'vitest';
import { fakeContext } from '../../dev/lambda-events.js';
import type { Handler } from '../../functions/resend-dcv-emails/handler.js';
import { CANARY_KEY, type Harness, type HarnessOptions, SECRET_NAME, startHarness } from './harness.js';

/**
 * A harness for the calling test file: started before its first test, reset after each (requests,
 * scripts, logs, and the secret back to the canary key), closed after its last. The returned
 * object stands for the started harness; it is usable from the first test on.
 */
export function useHarness(options: HarnessOptions = {}): Harness {
  let started: Harness | undefined;
  const current = (): Harness => {
    if (started === undefined)
      throw new Error('the harness is started in beforeAll: use it inside tests or hooks');
    return started;
  };
  beforeAll(async () => {
    started = await startHarness(options);
  });
  afterEach(() => {
    current().reset();
    current().secrets.setSecret(SECRET_NAME, CANARY_KEY);
  });
  afterAll(async () => {
    await started?.close();
  });
  return {
    get simulator() {
      return current().simulator;
    },
    get secrets() {
      return current().secrets;
    },
    get env() {
      return current().env;
    },
    get logs() {
      return current().logs;
    },
    runtime: (extraEnv, overrides) => current().runtime(extraEnv, overrides),
    handler: (extraEnv, overrides) => current().handler(extraEnv, overrides),
    reset: () => current().reset(),
    close: () => current().close(),
  };
}

/** Invokes `handler` as Lambda would, with `remainingMs` left in the invocation. */
export function invoke(handler: Handler, event: unknown, remainingMs = 30_000): Promise<unknown> {
  return handler(event, fakeContext(remainingMs));
}

/** The error `promise` rejects with; fails the test when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}
