/**
 * The sweep's ledger in the state table (docs/contract.md §11): one item per claimed order
 * (`sweep-claim#<order id>`, gone with the table's TTL when the cooldown ends) and one per sweep
 * (`sweep#<sweep id>`, kept a week). Every write is one conditional `UpdateItem`: a claim is taken
 * only when no other sweep's is younger than the cooldown; a page or a part is added only when its
 * key is not yet in the sweep's set, so a redelivered message counts nothing twice, and the one
 * write that completes the sweep (every page read, every part done) is the one that learns it.
 */
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  GetItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { ClaimResult, Recorded, SweepLedger } from '../dcv/sweep/ledger.js';
import type { SweepClaim, SweepCounts } from '../dcv/sweep/plan.js';
import type { DynamoDbSender } from '../rate-limit/shared-budget.js';

/** How long a sweep's item is kept after its last write (its metrics are long written by then). */
const SWEEP_ITEM_TTL_SECONDS = 7 * 86_400;
const METHOD_PREFIX = 'method#';

export interface DynamoDBSweepLedgerOptions {
  readonly client: DynamoDbSender;
  readonly tableName: string;
  readonly now?: () => number;
}

export class DynamoDBSweepLedger implements SweepLedger {
  readonly #client: DynamoDbSender;
  readonly #table: string;
  readonly #now: () => number;

  constructor(options: DynamoDBSweepLedgerOptions) {
    this.#client = options.client;
    this.#table = options.tableName;
    this.#now = options.now ?? Date.now;
  }

  async claim(orderId: number, sweepId: string, now: number, cooldownMs: number): Promise<ClaimResult> {
    // A claim that vanished between the refused write and the read (its TTL) is taken again, once.
    for (let attempt = 0; attempt < 2; attempt += 1) {
      try {
        await this.#client.send(
          new UpdateItemCommand({
            TableName: this.#table,
            Key: { id: { S: claimKey(orderId) } },
            UpdateExpression: 'SET #sweep = :sweep, acted_at = :now, expiration = :expiration',
            ConditionExpression: 'attribute_not_exists(id) OR acted_at <= :cutoff OR #sweep = :sweep',
            ExpressionAttributeNames: { '#sweep': 'sweep' },
            ExpressionAttributeValues: {
              ':sweep': { S: sweepId },
              ':now': { N: String(now) },
              ':cutoff': { N: String(now - cooldownMs) },
              ':expiration': { N: String(Math.ceil((now + cooldownMs) / 1000)) },
            },
          }),
        );
        return { claimed: true };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
      const held = await this.peek(orderId);
      if (held) return { claimed: false, ...held };
    }
    throw new Error(`the claim on order ${orderId} kept changing`);
  }

  async peek(orderId: number): Promise<SweepClaim | undefined> {
    const { Item } = await this.#client.send(
      new GetItemCommand({
        TableName: this.#table,
        Key: { id: { S: claimKey(orderId) } },
        ConsistentRead: true,
      }),
    );
    const sweepId = Item?.sweep?.S;
    const actedAt = Number(Item?.acted_at?.N);
    return sweepId === undefined || !Number.isFinite(actedAt) ? undefined : { sweepId, actedAt };
  }

  async pageRead(
    sweepId: string,
    page: { readonly offset: number; readonly parts: number; readonly last: boolean },
  ): Promise<Recorded> {
    return this.#record(sweepId, {
      set: 'pages',
      member: { N: String(page.offset) },
      add: { expected: page.parts },
      ...(page.last ? { flag: 'last_page' } : {}),
    });
  }

  async partDone(sweepId: string, part: string, counts: SweepCounts): Promise<Recorded> {
    const add: Record<string, number> = {
      pending: counts.pending,
      expiring_soon: counts.expiringSoon,
      past_recheck_window: counts.pastRecheckWindow,
      resends: counts.resends,
      migrations: counts.migrations,
      errors: counts.errors,
    };
    for (const [method, count] of Object.entries(counts.byMethod)) add[`${METHOD_PREFIX}${method}`] = count;
    return this.#record(sweepId, {
      set: 'parts',
      member: { S: part },
      add,
      ...(counts.oldestCreatedAt === undefined ? {} : { oldest: counts.oldestCreatedAt }),
    });
  }

  /** Adds `member` to the sweep's `set` with the counts in `add`, unless it is there already. */
  async #record(
    sweepId: string,
    change: {
      readonly set: 'pages' | 'parts';
      readonly member: { N: string } | { S: string };
      readonly add: Readonly<Record<string, number>>;
      readonly flag?: string;
      readonly oldest?: number;
    },
  ): Promise<Recorded> {
    const names: Record<string, string> = { '#set': change.set };
    const values: Record<string, AttributeValue> = {
      ':members': 'N' in change.member ? { NS: [change.member.N] } : { SS: [change.member.S] },
      ':member': change.member,
      ':expiration': { N: String(Math.ceil(this.#now() / 1000) + SWEEP_ITEM_TTL_SECONDS) },
    };
    const adds = ['#set :members'];
    for (const [index, [name, count]] of Object.entries(change.add).entries()) {
      names[`#a${index}`] = name;
      values[`:a${index}`] = { N: String(count) };
      adds.push(`#a${index} :a${index}`);
    }
    if (change.oldest !== undefined) {
      names['#oldest'] = 'oldest_created';
      values[':oldest'] = { NS: [String(change.oldest)] };
      adds.push('#oldest :oldest');
    }
    const sets = ['expiration = :expiration'];
    if (change.flag !== undefined) {
      names['#flag'] = change.flag;
      values[':true'] = { BOOL: true };
      sets.push('#flag = :true');
    }
    let item: Record<string, AttributeValue> | undefined;
    try {
      ({ Attributes: item } = await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#table,
          Key: { id: { S: sweepKey(sweepId) } },
          UpdateExpression: `ADD ${adds.join(', ')} SET ${sets.join(', ')}`,
          ConditionExpression: 'attribute_not_exists(#set) OR NOT contains(#set, :member)',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      ));
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return { first: false };
      throw error;
    }
    const done = item?.parts?.SS?.length ?? 0;
    const expected = Number(item?.expected?.N ?? 0);
    if (item?.last_page?.BOOL !== true || done < expected) return { first: true };
    return { first: true, completed: countsOf(item) };
  }
}

function claimKey(orderId: number): string {
  return `sweep-claim#${orderId}`;
}

function sweepKey(sweepId: string): string {
  return `sweep#${sweepId}`;
}

function countsOf(item: Record<string, AttributeValue>): SweepCounts {
  const n = (name: string) => Number(item[name]?.N ?? 0);
  const byMethod: Record<string, number> = {};
  for (const [name, value] of Object.entries(item)) {
    if (name.startsWith(METHOD_PREFIX) && value.N !== undefined) {
      byMethod[name.slice(METHOD_PREFIX.length)] = Number(value.N);
    }
  }
  const oldest = (item.oldest_created?.NS ?? []).map(Number);
  return {
    pending: n('pending'),
    byMethod,
    oldestCreatedAt: oldest.length === 0 ? undefined : Math.min(...oldest),
    expiringSoon: n('expiring_soon'),
    pastRecheckWindow: n('past_recheck_window'),
    resends: n('resends'),
    migrations: n('migrations'),
    errors: n('errors'),
  };
}
