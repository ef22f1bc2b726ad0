import { describe, expect, it } from 'vitest';
import { batchDeliveryId, ordersDigest } from '../../cli/delivery-id.js';
import { parseOrdersFile } from '../../cli/orders-file.js';
import { messageBodies, validateOrders } from '../../cli/queue-submit.js';

/** The validated orders of a file's text, as batch and submit see them. */
function validated(text: string) {
  const { orders } = parseOrdersFile(text, 'orders');
  return validateOrders(orders as unknown[]);
}

describe('delivery ids derived from an orders file', () => {
  it('are the same for the same orders however the file is written', () => {
    const ndjson = validated('{"order_id":1}\n\n{"order_id":2,"locale":"en"}\n');
    const array = validated('[ {"order_id": 1}, {"locale": "en", "order_id": 2} ]');

    expect(batchDeliveryId(array)).toBe(batchDeliveryId(ndjson));
  });

  it('differ when an order is added, removed or changed', () => {
    const base = batchDeliveryId(validated('{"order_id":1}\n{"order_id":2}\n'));

    expect(batchDeliveryId(validated('{"order_id":1}\n'))).not.toBe(base);
    expect(batchDeliveryId(validated('{"order_id":1}\n{"order_id":2}\n{"order_id":3}\n'))).not.toBe(base);
    expect(batchDeliveryId(validated('{"order_id":1}\n{"order_id":2,"locale":"de"}\n'))).not.toBe(base);
  });

  it('give each message of submit its own key, the same on every run of the file, and another for another file', () => {
    const orders = validated(Array.from({ length: 150 }, (_, i) => `{"order_id":${i + 1}}`).join('\n'));
    const other = validated(Array.from({ length: 101 }, (_, i) => `{"order_id":${i + 1}}`).join('\n'));
    const keys = (list: typeof orders) =>
      messageBodies(list, 100, ordersDigest(list)).map(
        (body) => (JSON.parse(body) as { idempotency_key: string }).idempotency_key,
      );

    const first = keys(orders);

    expect(first).toHaveLength(2);
    expect(new Set(first).size).toBe(2);
    expect(keys(orders)).toEqual(first);
    // The same first 100 orders in another file are another delivery.
    expect(keys(other)[0]).not.toBe(first[0]);
    expect(first.every((key) => /^dcv-resend-submit-[0-9a-f]{64}$/.test(key))).toBe(true);
  });
});
