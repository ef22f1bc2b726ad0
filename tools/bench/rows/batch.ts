/**
 * Row 5, batch: 500 orders at 20 ms DigiCert latency through the handler, in this process, over
 * the rate limiter's theoretical bound. The limiter is the real one with its windows scaled down
 * (the benchmark builds it: production code has no scaling knob), so the row takes seconds.
 */
import type { DigiCertSimulator } from '../../../dev/digicert-simulator.js';
import { loadConfig } from '../../../functions/app/config.js';
import { createRuntime } from '../../../functions/app/runtime.js';
import { createLogger } from '../../../functions/observability/logger.js';
import { createSlidingWindowLimiter } from '../../../functions/rate-limit/sliding-window.js';
import { BATCH_CONCURRENCY } from '../../../functions/resend/batch.js';
import { createHandler } from '../../../functions/resend-dcv-emails/handler.js';
import { benchContext, limiterBoundMs, SECRET_ID } from '../fixtures.js';
import { atMost, type BenchRow, fixed, type Row, TARGETS } from '../row.js';

export const BATCH_ORDERS = 500;
/** DigiCert's answer time in the slow simulator the runner starts for this row. */
export const BATCH_LATENCY_MS = 20;
/** DigiCert's own per-key limit: the 500 orders need five windows, so the limiter holds most of them back. */
const BATCH_LIMIT_PER_5S = 100;
/** The limiter's windows, scaled down so that the row takes seconds (5 s becomes 500 ms). */
const BATCH_WINDOW_SCALE = 0.1;

export const batchRow: BenchRow = {
  id: 'batch',
  label: 'batch under the rate limiter',
  run: async ({ slowSimulator }) => [await batch(slowSimulator)],
};

async function batch(simulator: DigiCertSimulator): Promise<Row> {
  const figure = `Batch: ${BATCH_ORDERS} orders @${BATCH_LATENCY_MS} ms, wall / limiter bound`;
  const env = {
    DIGICERT_API_KEY_SECRET_ID: SECRET_ID,
    DIGICERT_BASE_URL: simulator.baseUrl,
    DIGICERT_RATE_LIMIT_PER_5S: String(BATCH_LIMIT_PER_5S),
  };
  // The limiter the runtime would wire from this configuration, with its windows scaled down.
  const windows = loadConfig(env).rateLimits.map(({ limit, windowMs }) => ({
    limit,
    windowMs: windowMs * BATCH_WINDOW_SCALE,
  }));
  const runtime = createRuntime(env, {
    logger: createLogger({ write: () => undefined }),
    limiter: createSlidingWindowLimiter({ windows }),
  });
  const handler = createHandler(() => runtime);
  await runtime.apiKeys.getApiKey();
  const orders = Array.from({ length: BATCH_ORDERS }, (_, i) => ({ order_id: 900_000 + i, locale: 'en' }));
  const started = performance.now();
  const result = (await handler({ orders }, benchContext('bench-batch', 120_000))) as { sent?: number };
  const wallMs = performance.now() - started;
  const boundMs = limiterBoundMs(BATCH_ORDERS, windows, BATCH_CONCURRENCY, BATCH_LATENCY_MS);
  const ratio = wallMs / boundMs;
  return {
    id: 'batch',
    figure,
    value: ratio,
    display: fixed(ratio),
    target: `≤ ${TARGETS.batchOverBound}`,
    verdict: result.sent === BATCH_ORDERS ? atMost(ratio, TARGETS.batchOverBound) : 'MISS',
    detail:
      `${fixed(wallMs / 1000)} s vs bound ${fixed(boundMs / 1000)} s; ${BATCH_LIMIT_PER_5S} per 5 s with windows ` +
      `scaled by ${BATCH_WINDOW_SCALE} (${windows.map((w) => `${w.limit}/${w.windowMs} ms`).join(', ')}), concurrency ${BATCH_CONCURRENCY}; sent ${result.sent ?? 0}`,
  };
}
