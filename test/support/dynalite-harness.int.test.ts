import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { startDynalite } from './dynalite.js';

describe('the dynalite test harness', () => {
  it('serves a table keyed by id that supports conditional writes, and closes promptly', async () => {
    const db = await startDynalite();
    try {
      const put = (value: string) =>
        db.client.send(
          new PutItemCommand({
            TableName: db.tableName,
            Item: { id: { S: 'k' }, v: { S: value } },
            ConditionExpression: 'attribute_not_exists(id)',
          }),
        );
      await put('first');
      await expect(put('second')).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
      const got = await db.client.send(
        new GetItemCommand({ TableName: db.tableName, Key: { id: { S: 'k' } } }),
      );
      expect(got.Item?.v).toEqual({ S: 'first' });
    } finally {
      await db.close();
    }
  });
});
