/**
 * The delivery ids (`idempotency_key`, docs/contract.md §6 and §8) that make running the same
 * orders file again safe: with the state table, an order already sent for a delivery is answered
 * from its record instead of being sent again.
 *
 * The id is derived from the file's orders, not from its name or from the time of the run:
 * - the same file run again (after Ctrl-C, a crash, a timeout, or by mistake) is the same delivery,
 *   so only the orders without a recorded outcome are sent;
 * - two files with different orders are different deliveries, whatever they are called;
 * - what counts is the orders as validated and normalised (the JSON the function receives, in file
 *   order), so reformatting the file, blank lines or NDJSON versus a JSON array change nothing,
 *   while adding, removing or editing an order makes a new delivery (the function refuses one id
 *   reused for other orders, so an edited file cannot share the old id anyway).
 * Each record is per (delivery, order): an order's delivery id is in effect the file's orders and
 * the order's own id. A file name was rejected as the basis: a file reused for tomorrow's orders
 * would be taken for today's. Records last `IDEMPOTENCY_TTL_SECONDS` (a day by default): within it,
 * sending the same file again on purpose needs a changed file.
 */
import { createHash } from 'node:crypto';
import type { ResendRequest } from '../functions/resend/request-schema.js';

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The digest of a file's orders as validated, in file order. */
export function ordersDigest(orders: readonly ResendRequest[]): string {
  return sha256(JSON.stringify(orders));
}

/** The delivery id of `batch` for a file's orders: one delivery, one record per order. */
export function batchDeliveryId(orders: readonly ResendRequest[]): string {
  return `dcv-resend-batch-${ordersDigest(orders)}`;
}

/**
 * The delivery id of one message `submit` writes: the file's orders and the message's own body
 * (its orders), so the same file gives the same messages with the same ids, and the same 100
 * orders in two different files are two deliveries.
 */
export function submitMessageKey(fileDigest: string, body: string): string {
  return `dcv-resend-submit-${sha256(`${fileDigest}\n${body}`)}`;
}
