/**
 * The sweep's pages and parts on the bulk queue (`ORDERS_QUEUE_URL`, docs/contract.md §8, §11).
 */
import { type SweepMessage, sweepMessageBody } from '../dcv/sweep/messages.js';
import type { SweepQueue } from '../dcv/sweep/sweep.js';
import { SqsBatchSender } from './failure-queue.js';

export class SqsSweepQueue implements SweepQueue {
  readonly #sender: SqsBatchSender;

  constructor(options: { readonly queueUrl: string }) {
    this.#sender = new SqsBatchSender({ queueUrl: options.queueUrl, what: 'The bulk queue' });
  }

  send(messages: readonly SweepMessage[]): Promise<void> {
    return this.#sender.send(messages.map(sweepMessageBody));
  }
}
