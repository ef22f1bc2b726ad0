/**
 * A real DynamoDB-compatible server for tests: dynalite, in process, in memory, on 127.0.0.1 with
 * an OS-chosen port. Tests reach it through the real SDK via `AWS_ENDPOINT_URL_DYNAMODB`
 * ({@link pointDynamoDbAt}). dynalite has no TTL deletion and no transactions; the code under test
 * must not need either.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { pointDynamoDbAt } from '../../dev/sdk-endpoint.js';

export { pointDynamoDbAt };

export interface Dynalite {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  /** A table with partition key `id` (string), created at start. */
  readonly tableName: string;
  /** Creates another table shaped like the stack's (partition key `id`, string); returns its name. */
  createTable(name?: string): Promise<string>;
  /** A client for assertions on the table's items (not the one the code under test uses). */
  readonly client: DynamoDBClient;
  close(): Promise<void>;
}

export interface DynaliteOptions {
  /** @default a fresh `dcv-resend-state-<uuid>` */
  readonly tableName?: string;
}

/** Starts dynalite on 127.0.0.1:0 and creates the state table in it. */
export async function startDynalite(options: DynaliteOptions = {}): Promise<Dynalite> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDLOCALSTANDIN', secretAccessKey: 'local-stand-in-secret' },
    maxAttempts: 1,
  });
  const createTable = async (name = `dcv-resend-state-${randomUUID()}`): Promise<string> => {
    await client.send(
      new CreateTableCommand({
        TableName: name,
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    return name;
  };
  const tableName = await createTable(options.tableName);
  return {
    endpoint,
    tableName,
    createTable,
    client,
    close: async () => {
      client.destroy();
      // The SDK keeps connections alive; without this, close waits for them to idle out.
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
}

/** Starts dynalite and points the SDK's DynamoDB clients in this process at it. */
export async function startDynaliteForSdk(options: DynaliteOptions = {}): Promise<Dynalite> {
  const started = await startDynalite(options);
  pointDynamoDbAt(started.endpoint);
  return started;
}
