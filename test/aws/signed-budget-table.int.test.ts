/**
 * The budget's signed DynamoDB client (functions/aws/signed-budget-table.ts) against dynalite,
 * directly and through a fault stand-in: the SDK's wire protocol, its errors, its retries.
 */
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoopbackServer } from '../../dev/loopback-server.js';
import { DynamoDbServiceError, SignedBudgetTable } from '../../functions/aws/signed-budget-table.js';
import type { BudgetTableCall } from '../../functions/rate-limit/budget-table.js';
import { type Dynalite, startDynalite } from '../support/dynalite.js';
import { type DynamoFaultProxy, startDynamoFaultProxy } from '../support/dynamodb-faults.js';

const BOUNDS = { maxAttempts: 3, connectionTimeoutMs: 500, requestTimeoutMs: 1_500 };

let db: Dynalite;
let proxy: DynamoFaultProxy;

beforeAll(async () => {
  db = await startDynalite();
  proxy = await startDynamoFaultProxy(db.endpoint);
});

afterAll(async () => {
  await proxy.close();
  await db.close();
});

function table(endpoint: string): SignedBudgetTable {
  return new SignedBudgetTable(
    {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDLOCALSTANDIN',
      AWS_SECRET_ACCESS_KEY: 'local-stand-in-secret',
      AWS_ENDPOINT_URL_DYNAMODB: endpoint,
    },
    BOUNDS,
    { random: () => 0 },
  );
}

/** A call whose attempts' `Date` headers are collected, as the budget weighs them. */
function call(dates: (string | undefined)[] = []): BudgetTableCall {
  return {
    signal: AbortSignal.timeout(5_000),
    tap: async (send, dateOf) => {
      const answer = await send();
      dates.push(dateOf(answer));
      return answer;
    },
  };
}

describe('SignedBudgetTable', () => {
  it('writes an item with UpdateItem, signed so that the table accepts it, and returns its new attributes', async () => {
    const key = `signed-${Date.now()}-update`;

    const output = await table(db.endpoint).updateItem(
      {
        TableName: db.tableName,
        Key: { id: { S: key } },
        UpdateExpression: 'ADD n :k',
        ExpressionAttributeValues: { ':k': { N: '3' } },
        ReturnValues: 'ALL_NEW',
      },
      call(),
    );

    expect(output.Attributes).toEqual({ id: { S: key }, n: { N: '3' } });
    const stored = await db.client.send(
      new GetItemCommand({ TableName: db.tableName, Key: { id: { S: key } }, ConsistentRead: true }),
    );
    expect(stored.Item?.n).toEqual({ N: '3' });
  });

  it('signs exactly the request it sends: the signature recomputed from what arrived matches', async () => {
    const received: { headers: Record<string, string>; body: string }[] = [];
    const dynamo = await LoopbackServer.listen((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push({
          headers: Object.fromEntries(
            Object.entries(req.headers).filter(
              (entry): entry is [string, string] => typeof entry[1] === 'string',
            ),
          ),
          body: Buffer.concat(chunks).toString(),
        });
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
        res.end('{}');
      });
    });

    try {
      await table(dynamo.origin).updateItem(
        {
          TableName: 'state',
          Key: { id: { S: 'rate-budget#1' } },
          UpdateExpression: 'SET held = :held',
          ExpressionAttributeValues: { ':held': { BOOL: false } },
        },
        call(),
      );
      const [request] = received;
      const authorization = request?.headers.authorization ?? '';
      const signedNames = /SignedHeaders=([^,]+)/.exec(authorization)?.[1]?.split(';') ?? [];
      const amzDate = request?.headers['x-amz-date'] ?? '';
      const signingDate = new Date(
        `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
      );
      const resigned = await new SignatureV4({
        credentials: { accessKeyId: 'AKIDLOCALSTANDIN', secretAccessKey: 'local-stand-in-secret' },
        region: 'us-east-1',
        service: 'dynamodb',
        sha256: Sha256,
      }).sign(
        {
          method: 'POST',
          protocol: 'http:',
          hostname: '127.0.0.1',
          path: '/',
          headers: Object.fromEntries(signedNames.map((name) => [name, request?.headers[name] ?? ''])),
          body: request?.body,
        },
        { signingDate },
      );

      expect(request?.headers['x-amz-target']).toBe('DynamoDB_20120810.UpdateItem');
      expect(request?.headers['content-type']).toBe('application/x-amz-json-1.0');
      expect(signedNames).toEqual(
        expect.arrayContaining(['host', 'x-amz-target', 'content-type', 'x-amz-date']),
      );
      expect(authorization).toContain('Credential=AKIDLOCALSTANDIN/');
      expect(authorization).toContain('/us-east-1/dynamodb/aws4_request');
      expect(authorization).toBe(resigned.headers.authorization);
    } finally {
      await dynamo.close();
    }
  });

  it('reads items with BatchGetItem in the SDK output shape', async () => {
    const key = `signed-${Date.now()}-read`;
    await db.client.send(
      new PutItemCommand({ TableName: db.tableName, Item: { id: { S: key }, held: { BOOL: true } } }),
    );

    const output = await table(db.endpoint).batchGetItem(
      {
        RequestItems: {
          [db.tableName]: {
            Keys: [{ id: { S: key } }, { id: { S: `${key}-absent` } }],
            ConsistentRead: true,
          },
        },
      },
      call(),
    );

    expect(output.Responses?.[db.tableName]).toEqual([{ id: { S: key }, held: { BOOL: true } }]);
    expect(output.UnprocessedKeys ?? {}).toEqual({});
  });

  it('throws ConditionalCheckFailedException with the item DynamoDB returns when the write asked for it', async () => {
    // dynalite does not return the item: a stand-in answers as DynamoDB does.
    const item = { id: { S: 'rate-budget#0' }, held: { BOOL: true }, claimed_at: { N: '1700000000000' } };
    const requests: { target: string | undefined; body: string }[] = [];
    const dynamo = await LoopbackServer.listen((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        requests.push({
          target: req.headers['x-amz-target'] as string | undefined,
          body: Buffer.concat(chunks).toString(),
        });
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0', date: new Date().toUTCString() });
        res.end(
          JSON.stringify({
            __type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException',
            message: 'The conditional request failed',
            Item: item,
          }),
        );
      });
    });

    try {
      const refused = table(dynamo.origin).updateItem(
        {
          TableName: 'state',
          Key: { id: { S: 'rate-budget#0' } },
          UpdateExpression: 'SET held = :held',
          ConditionExpression: 'attribute_not_exists(held)',
          ExpressionAttributeValues: { ':held': { BOOL: true } },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
        call(),
      );

      await expect(refused).rejects.toMatchObject({
        name: 'ConditionalCheckFailedException',
        message: 'The conditional request failed',
        $metadata: { httpStatusCode: 400 },
        Item: item,
      });
      expect(requests).toHaveLength(1);
      expect(requests[0]?.target).toBe('DynamoDB_20120810.UpdateItem');
      expect(JSON.parse(requests[0]?.body ?? '{}')).toMatchObject({
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      });
    } finally {
      await dynamo.close();
    }
  });

  it('throws ConditionalCheckFailedException without an item when the write did not ask for it, and does not retry it', async () => {
    const key = `signed-${Date.now()}-refused`;
    await db.client.send(
      new PutItemCommand({ TableName: db.tableName, Item: { id: { S: key }, held: { BOOL: true } } }),
    );
    proxy.operations.length = 0;

    const refused = await table(proxy.endpoint)
      .updateItem(
        {
          TableName: db.tableName,
          Key: { id: { S: key } },
          UpdateExpression: 'SET held = :held',
          ConditionExpression: 'attribute_not_exists(held)',
          ExpressionAttributeValues: { ':held': { BOOL: true } },
        },
        call(),
      )
      .catch((error: unknown) => error);

    expect(refused).toBeInstanceOf(DynamoDbServiceError);
    expect(refused).toMatchObject({ name: 'ConditionalCheckFailedException', Item: undefined });
    expect(proxy.operations).toEqual(['UpdateItem']);
  });

  it('retries a 500 and succeeds, recording the Date of each attempt', async () => {
    const key = `signed-${Date.now()}-retried`;
    proxy.operations.length = 0;
    proxy.script([{ kind: 'server_error' }]);
    const dates: (string | undefined)[] = [];

    const output = await table(proxy.endpoint).updateItem(
      {
        TableName: db.tableName,
        Key: { id: { S: key } },
        UpdateExpression: 'ADD n :k',
        ExpressionAttributeValues: { ':k': { N: '1' } },
        ReturnValues: 'ALL_NEW',
      },
      call(dates),
    );

    expect(output.Attributes?.n).toEqual({ N: '1' });
    expect(proxy.operations).toEqual(['UpdateItem', 'UpdateItem']);
    expect(dates).toHaveLength(2);
    expect(dates.every((date) => date !== undefined && !Number.isNaN(Date.parse(date)))).toBe(true);
  });

  it('gives up after its attempts when the table keeps failing', async () => {
    proxy.operations.length = 0;
    proxy.script([{ kind: 'server_error' }], { always: true });

    const failed = table(proxy.endpoint).updateItem(
      {
        TableName: db.tableName,
        Key: { id: { S: `signed-${Date.now()}-down` } },
        UpdateExpression: 'ADD n :k',
        ExpressionAttributeValues: { ':k': { N: '1' } },
      },
      call(),
    );

    await expect(failed).rejects.toMatchObject({
      name: 'InternalServerError',
      $metadata: { httpStatusCode: 500 },
    });
    expect(proxy.operations).toHaveLength(BOUNDS.maxAttempts);
    proxy.script([]);
  });
});
