/**
 * Row 9, table: DynamoDB requests per order sent, as deployed (issue 26): the function with its
 * state table (dynalite on 127.0.0.1) behind a proxy that counts every request by operation, for a
 * plain HTTP resend, an HTTP resend with an `Idempotency-Key`, and a direct batch of 20. Counts do
 * not depend on the machine, and gate CI. The targets are issue 26's (two conditional writes per
 * order is the floor: one takes a slot, one releases it; docs/design/rate-budget.md).
 */

import { startCountingProxy } from '../../../dev/counting-proxy.js';
import { fakeContext, httpV2Event } from '../../../dev/lambda-events.js';
import { startLocalStateTable } from '../../../dev/local-state-table.js';
import { createRuntime } from '../../../functions/app/runtime.js';
import { createLogger } from '../../../functions/observability/logger.js';
import { createHandler } from '../../../functions/resend-dcv-emails/handler.js';
import { dynamoDbRequestUnits } from '../cost.js';
import type { BenchContext, BenchRow, Row } from '../row.js';
import { fixed, TARGETS } from '../row.js';

const PLAIN = 40;
const BATCHES = 3;
const BATCH_ORDERS = 20;
/** How long the table must stay quiet before a count starts or ends (the budget releases after the answer). */
const QUIET_MS = 150;

export const tableRow: BenchRow = {
  id: 'table',
  label: 'state-table requests per order sent',
  run: (context) => table(context),
};

/** State-table requests per order sent, one way of sending. */
export interface TableMeasure {
  /** Requests over orders. */
  readonly perOrder: number;
  /** Requests per order by operation (`UpdateItem`, `PutItem`, ...). */
  readonly byOperation: Readonly<Record<string, number>>;
  /** On-demand request units per order, from the requests' bodies (`dynamoDbUnits` in cost.ts). */
  readonly units: { readonly read: number; readonly write: number };
}

/**
 * Sends plain HTTP resends, HTTP resends with an `Idempotency-Key` and direct batches through the
 * handler with its state table (dynalite behind a counting proxy), after one warm-up call, and
 * counts the table requests each kind makes per order. Also what the cost row reads.
 */
export async function measureStateTable(
  context: BenchContext,
): Promise<{ readonly plain: TableMeasure; readonly keyed: TableMeasure; readonly batch: TableMeasure }> {
  const units = { read: 0, write: 0 };
  const state = await startLocalStateTable();
  const proxy = await startCountingProxy(state.endpoint.url, {
    observe: (operation, body) => {
      const used = dynamoDbRequestUnits(operation, body);
      units.read += used.read;
      units.write += used.write;
    },
  });
  try {
    await state.ready();
    const runtime = createRuntime(
      { ...context.env, STATE_TABLE_NAME: state.tableName },
      {
        logger: createLogger({ write: () => undefined }),
        stateTableEndpoint: { ...state.endpoint, url: proxy.endpoint },
      },
    );
    const handler = createHandler(() => runtime);
    // A first call warms the container (the key, the budget's first read) outside the counts.
    await handler(httpV2Event({ orderId: '900000' }), fakeContext());
    // A slot is given back after the answer, without holding it up: wait for those writes, so that
    // each count holds its own orders' requests and no other's.
    const quiet = async () => {
      for (let waited = 0, seen = -1; seen !== proxy.total() && waited < 3_000; waited += QUIET_MS) {
        seen = proxy.total();
        await new Promise((resolve) => setTimeout(resolve, QUIET_MS));
      }
    };
    const measure = async (orders: number, work: () => Promise<void>): Promise<TableMeasure> => {
      await quiet();
      proxy.reset();
      units.read = 0;
      units.write = 0;
      await work();
      await quiet();
      const byOperation = Object.fromEntries(
        [...proxy.counts.entries()]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([operation, count]) => [operation, count / orders]),
      );
      return {
        perOrder: proxy.total() / orders,
        byOperation,
        units: { read: units.read / orders, write: units.write / orders },
      };
    };
    const plain = await measure(PLAIN, async () => {
      for (let i = 0; i < PLAIN; i += 1)
        await handler(httpV2Event({ orderId: String(910_000 + i) }), fakeContext());
    });
    const keyed = await measure(PLAIN, async () => {
      for (let i = 0; i < PLAIN; i += 1) {
        await handler(
          httpV2Event({ orderId: String(920_000 + i), headers: { 'idempotency-key': `bench-${i}` } }),
          fakeContext(),
        );
      }
    });
    const batch = await measure(BATCHES * BATCH_ORDERS, async () => {
      for (let b = 0; b < BATCHES; b += 1) {
        const orders = Array.from({ length: BATCH_ORDERS }, (_, i) => ({ order_id: 930_000 + b * 100 + i }));
        await handler({ orders }, fakeContext());
      }
    });
    return { plain, keyed, batch };
  } finally {
    await proxy.close();
    await state.close();
  }
}

async function table(context: BenchContext): Promise<Row[]> {
  const { plain, keyed, batch } = await measureStateTable(context);
  const row = (id: string, figure: string, measured: TableMeasure, target: number): Row => ({
    id,
    figure,
    value: measured.perOrder,
    display: fixed(measured.perOrder),
    target: `≤ ${target}`,
    verdict: measured.perOrder <= target ? 'PASS' : 'MISS',
    detail: `per order: ${Object.entries(measured.byOperation)
      .map(([operation, count]) => `${operation} ${fixed(count)}`)
      .join(', ')} (dynalite behind a counting proxy; below the budget's limits)`,
  });
  return [
    row('table-plain', 'State table: requests per order, plain HTTP', plain, TARGETS.tablePlain),
    row(
      'table-keyed',
      'State table: requests per order, HTTP with Idempotency-Key',
      keyed,
      TARGETS.tableKeyed,
    ),
    row(
      'table-batch',
      `State table: requests per order, direct batch of ${BATCH_ORDERS}`,
      batch,
      TARGETS.tableBatch,
    ),
  ];
}
