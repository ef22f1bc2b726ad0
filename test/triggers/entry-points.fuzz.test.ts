/**
 * Property-based fuzzing of every entry point (HTTP API 2.0, REST API 1.0, direct single, batch,
 * EventBridge envelope) through the real handler, the real undici client and the DigiCert
 * simulator. For every generated event: no crash or unhandled rejection, no 5xx, invalid input never
 * reaches DigiCert, no CR/LF in a response header, and the API key in no output line.
 *
 * FUZZ_EVENTS sets the total number of events (default 10,000, split across the entry points);
 * FUZZ_SEED replays a run.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeContext } from '../../dev/lambda-events.js';
import type { Handler, HandlerResult } from '../../functions/resend-dcv-emails/handler.js';
import { CANARY_KEY, type Harness, startHarness } from '../support/harness.js';
import {
  batchRequest,
  directPayload,
  eventBridgeEnvelope,
  httpV1EventArbitrary,
  httpV2EventArbitrary,
} from '../support/hostile.js';
import { unlimited } from '../support/limiters.js';

const TOTAL_EVENTS = Number(process.env.FUZZ_EVENTS ?? 10_000);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);

const ENTRY_POINTS: readonly [string, fc.Arbitrary<unknown>][] = [
  ['HTTP API (2.0) events', httpV2EventArbitrary],
  ['REST API (1.0) proxy events', httpV1EventArbitrary],
  ['direct single payloads', directPayload],
  ['direct batch payloads', batchRequest],
  ['EventBridge envelopes', eventBridgeEnvelope],
];
const RUNS_PER_ENTRY = Math.max(1, Math.ceil(TOTAL_EVENTS / ENTRY_POINTS.length));

let h: Harness;
let handler: Handler;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

beforeAll(async () => {
  h = await startHarness();
  // One warm container for all events; generous DigiCert limits and no limiter wait, so that the
  // valid events that get through are answered at once whatever limiter the runtime wires.
  handler = h.handler(
    { DIGICERT_RATE_LIMIT_PER_5S: '10000', DIGICERT_RATE_LIMIT_PER_3MIN: '100000' },
    { limiter: unlimited },
  );
  process.on('unhandledRejection', onUnhandled);
  process.on('uncaughtException', onUnhandled);
});

afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  process.off('uncaughtException', onUnhandled);
  await h.close();
});

function isHttpResponse(
  result: HandlerResult | undefined,
): result is Extract<HandlerResult, { statusCode: number }> {
  return typeof result === 'object' && result !== null && 'statusCode' in result;
}

/** Orders a successful direct result accounts for. */
function ordersIn(result: HandlerResult): number {
  return 'results' in result ? result.results.length : 1;
}

/** Runs one event and checks every property; returns nothing, throws on a violation. */
async function invokeAndCheck(event: unknown): Promise<void> {
  const callsBefore = h.simulator.received;
  h.logs.length = 0;
  let result: HandlerResult | undefined;
  let error: unknown;
  try {
    result = await handler(event, fakeContext(30_000));
  } catch (thrown) {
    error = thrown;
  }
  const calls = h.simulator.received - callsBefore;

  if (error !== undefined) {
    // Client input can only be refused as such: anything else is a crash.
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toBe('ValidationError');
    expect(calls).toBe(0);
  } else if (isHttpResponse(result)) {
    expect(result.statusCode).toBeGreaterThanOrEqual(200);
    expect(result.statusCode).toBeLessThan(500);
    if (result.statusCode === 204) {
      expect(calls).toBeLessThanOrEqual(1);
    } else {
      expect(calls).toBe(0);
      expect(JSON.parse(result.body).errors.length).toBeGreaterThan(0);
    }
    expect(result.headers['x-request-id']).toBeTruthy();
    for (const value of Object.values(result.headers)) expect(value).not.toMatch(/[\r\n]/);
  } else {
    expect(result).toBeDefined();
    expect(calls).toBeLessThanOrEqual(ordersIn(result as HandlerResult));
  }

  const output = [...h.logs, JSON.stringify(result ?? null), error instanceof Error ? error.message : ''];
  for (const line of output) expect(line.includes(CANARY_KEY)).toBe(false);
}

describe('fuzzing the entry points', () => {
  it.each(ENTRY_POINTS)(
    'refuses malformed %s with a 4xx or ValidationError, never calling DigiCert, crashing or leaking the key',
    async (_name, arbitrary) => {
      await fc.assert(
        fc.asyncProperty(arbitrary, (event) => invokeAndCheck(event)),
        { numRuns: RUNS_PER_ENTRY, ...(SEED === undefined ? {} : { seed: SEED }) },
      );

      expect(unhandled).toEqual([]);
    },
    120_000,
  );
});
