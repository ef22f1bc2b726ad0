/**
 * The budget's table (`budget-table.ts`) over a DynamoDB SDK client: what a caller that already has
 * one passes (`SharedRateBudgetOptions.client`: tests, the CLI, containers the signed client does
 * not serve). The SDK's commands are imported on the first call, so that the budget's own module
 * does not load the SDK: a caller with a client has loaded it already.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { BudgetTable, BudgetTableCall } from './budget-table.js';

/** The narrow part of the DynamoDB client the budget uses (tests may wrap it to inject faults). */
export type DynamoDbSender = Pick<DynamoDBClient, 'send'>;

type Sdk = typeof import('@aws-sdk/client-dynamodb');

let sdk: Promise<Sdk> | undefined;
const loadSdk = () =>
  (sdk ??= import('@aws-sdk/client-dynamodb').catch((error: unknown) => {
    sdk = undefined;
    throw error;
  }));

/** `client`'s `UpdateItem` and `BatchGetItem`, each attempt tapped at the wire (its retries too). */
export function sdkBudgetTable(client: DynamoDbSender): BudgetTable {
  return {
    async updateItem(input, call) {
      const { UpdateItemCommand } = await loadSdk();
      return client.send(tapped(new UpdateItemCommand(input), call), { abortSignal: call.signal });
    },
    async batchGetItem(input, call) {
      const { BatchGetItemCommand } = await loadSdk();
      return client.send(tapped(new BatchGetItemCommand(input), call), { abortSignal: call.signal });
    },
  };
}

/**
 * `command`, each of whose attempts goes through `call.tap`: at the wire, once per attempt, so that
 * neither the client's retries nor its backoff widen the clock's bounds.
 */
function tapped<C extends { readonly middlewareStack: unknown }>(command: C, call: BudgetTableCall): C {
  // The middleware only reads the raw answer: the same for either command's types.
  const stack =
    command.middlewareStack as import('@aws-sdk/client-dynamodb').UpdateItemCommand['middlewareStack'];
  stack.add(
    (next) => (args) =>
      call.tap(
        () => next(args),
        (result) => (result.response as { headers?: Record<string, string | undefined> }).headers?.date,
      ),
    { step: 'deserialize', name: 'rateBudgetClockSkew' },
  );
  return command;
}
