/**
 * Turns off the AWS SDK's notice, on every run under Node 20, that its releases after early January
 * 2027 need Node 22: the SDK is pinned here, so it is nothing a user of the local servers can act
 * on. Call it where a script starts, before any SDK client is made; a user's own setting is kept.
 */
export function quietSdkNodeWarning(): void {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}

/** Sets the SDK's environment so that it talks to `endpoint` with dummy credentials. */
export function pointSdkAt(endpoint: string): void {
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = endpoint;
  process.env.AWS_REGION = 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID = 'AKIDLOCALSTANDIN';
  process.env.AWS_SECRET_ACCESS_KEY = 'local-stand-in-secret';
  quietSdkNodeWarning();
  // Never the EC2/ECS metadata addresses: only loopback is reached from tests and local runs.
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_SESSION_TOKEN;
}

/**
 * Points the SDK's DynamoDB clients at `endpoint` (a DynamoDB-compatible server such as dynalite)
 * with the same dummy credentials as {@link pointSdkAt}; `AWS_ENDPOINT_URL_DYNAMODB` is the
 * service-specific variable the SDK itself reads.
 */
export function pointDynamoDbAt(endpoint: string): void {
  process.env.AWS_ENDPOINT_URL_DYNAMODB = endpoint;
  process.env.AWS_REGION ??= 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID ??= 'AKIDLOCALSTANDIN';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local-stand-in-secret';
  quietSdkNodeWarning();
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
}

/** Points the SDK's SQS clients at a local SQS-compatible server (`AWS_ENDPOINT_URL_SQS`). */
export function pointSqsAt(endpoint: string): void {
  process.env.AWS_ENDPOINT_URL_SQS = endpoint;
}
