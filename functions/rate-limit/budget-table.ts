/**
 * The two DynamoDB calls the shared budget makes (`shared-budget.ts`), as a port: a conditional
 * `UpdateItem` and a consistent `BatchGetItem`, in DynamoDB's own JSON shapes. Two adapters: the
 * SDK client's (`sdk-budget-table.ts`, what tests and the CLI pass) and a SigV4-signed JSON client
 * (`aws/signed-budget-table.ts`), which keeps the DynamoDB SDK off a cold resend's path
 * (docs/performance.md, "Eager state").
 */
import type {
  BatchGetItemCommandInput,
  BatchGetItemCommandOutput,
  UpdateItemCommandInput,
  UpdateItemCommandOutput,
} from '@aws-sdk/client-dynamodb';

export type UpdateItemInput = UpdateItemCommandInput;
export type UpdateItemOutput = Pick<UpdateItemCommandOutput, 'Attributes'>;
export type BatchGetItemInput = BatchGetItemCommandInput;
export type BatchGetItemOutput = Pick<BatchGetItemCommandOutput, 'Responses' | 'UnprocessedKeys'>;

/**
 * Wraps one attempt at the wire (each retry is its own attempt): `send` resolves with the raw
 * answer, whatever its status, and `dateOf` reads its `Date` header. The budget weighs that `Date`
 * against its clock (`clock-skew.ts`) between the attempt's start and its answer.
 */
export type AttemptTap = <R>(send: () => Promise<R>, dateOf: (answer: R) => string | undefined) => Promise<R>;

export interface BudgetTableCall {
  /** Ends the call, retries included (the budget's per-call limit and the caller's deadline). */
  readonly signal: AbortSignal;
  readonly tap: AttemptTap;
}

/**
 * The budget's table. A refused call throws an `Error` whose `name` is DynamoDB's error type
 * (`ConditionalCheckFailedException` carries `Item` when the input asked for it with
 * `ReturnValuesOnConditionCheckFailure`); any other failure means the table cannot be used now.
 */
export interface BudgetTable {
  updateItem(input: UpdateItemInput, call: BudgetTableCall): Promise<UpdateItemOutput>;
  batchGetItem(input: BatchGetItemInput, call: BudgetTableCall): Promise<BatchGetItemOutput>;
}
