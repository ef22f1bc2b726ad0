/**
 * The state table (docs/contract.md §4, §6, §7): idempotency records and the shared DigiCert rate
 * budget, one DynamoDB table keyed by `id` (string). On-demand, because the load is a few writes per
 * order in bursts and nothing between them; TTL on `expiration` (epoch seconds) only keeps it small,
 * since the function checks expiry on read; point-in-time recovery; deletion protection whenever the
 * stack retains its data.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';

export interface StateTableProps {
  /**
   * What happens to the table when the stack is deleted. `RETAIN` also turns on deletion
   * protection, so the records outlive a mistaken `cdk destroy` or a replaced stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** The TTL attribute: epoch seconds after which a record no longer counts (docs/contract.md §4). */
export const STATE_TABLE_TTL_ATTRIBUTE = 'expiration';
/** The partition key (docs/contract.md §4). */
export const STATE_TABLE_PARTITION_KEY = 'id';

/** One on-demand DynamoDB table holding the function's shared state. */
export class StateTable extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: StateTableProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: STATE_TABLE_PARTITION_KEY, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: STATE_TABLE_TTL_ATTRIBUTE,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: removalPolicy === RemovalPolicy.RETAIN,
      removalPolicy,
    });
  }
}
