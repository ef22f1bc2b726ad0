/**
 * How long one call through an AWS client may keep the caller: attempts (the first included) and
 * per-attempt timeouts. The state table's DynamoDB client and both Secrets Manager readers take it.
 */
export interface ClientBounds {
  readonly maxAttempts: number;
  readonly connectionTimeoutMs: number;
  readonly requestTimeoutMs: number;
}
