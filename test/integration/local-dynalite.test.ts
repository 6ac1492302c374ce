import { createRequire } from 'node:module';
import type { AddressInfo, Server } from 'node:net';
import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ResourceNotFoundException,
  ScanCommand,
  UpdateTableCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { patchDynaliteIterators } from '#local/dynalite-patch.ts';

const require = createRequire(import.meta.url);

/** Counts the iterators dynalite's in-memory store opens and closes. */
function countIterators() {
  const { MemoryLevel } = require('memory-level') as { MemoryLevel: { prototype: Record<string, unknown> } };
  const counts = { opened: 0, closed: 0 };
  for (const method of ['values', 'keys'] as const) {
    const original = MemoryLevel.prototype[method] as (
      this: unknown,
      ...args: unknown[]
    ) => { close(): Promise<void> };
    MemoryLevel.prototype[method] = function (this: unknown, ...args: unknown[]) {
      const iterator = original.apply(this, args);
      counts.opened += 1;
      const close = iterator.close.bind(iterator);
      let counted = false;
      iterator.close = async () => {
        if (!counted) counts.closed += 1;
        counted = true;
        return close();
      };
      return iterator;
    };
  }
  return counts;
}

describe('The DynamoDB emulator', () => {
  let server: Server;
  let client: DynamoDBClient;
  const counts = countIterators();

  beforeAll(async () => {
    patchDynaliteIterators();
    const dynalite = require('dynalite') as (options: Record<string, unknown>) => Server;
    server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    client = new DynamoDBClient({
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    await client.send(
      new CreateTableCommand({
        TableName: 'iterators',
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
          { AttributeName: 'queue', AttributeType: 'S' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        GlobalSecondaryIndexes: [
          {
            IndexName: 'byQueue',
            KeySchema: [
              { AttributeName: 'queue', KeyType: 'HASH' },
              { AttributeName: 'sk', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      }),
    );
    for (let i = 0; i < 200; i += 25) {
      await client.send(
        new BatchWriteItemCommand({
          RequestItems: {
            iterators: Array.from({ length: 25 }, (_, j) => ({
              PutRequest: {
                Item: { pk: { S: 'p' }, sk: { S: String(i + j).padStart(4, '0') }, queue: { S: 'q' } },
              },
            })),
          },
        }),
      );
    }
  });
  afterAll(async () => {
    client?.destroy();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('closes the iterator of every query and scan, whether it stops at its limit or reads to the end', async () => {
    const before = { ...counts };
    for (let i = 0; i < 30; i++) {
      await client.send(
        new QueryCommand({
          TableName: 'iterators',
          IndexName: 'byQueue',
          KeyConditionExpression: 'queue = :q',
          ExpressionAttributeValues: { ':q': { S: 'q' } },
          Limit: 3,
        }),
      );
      await client.send(
        new QueryCommand({
          TableName: 'iterators',
          KeyConditionExpression: 'pk = :p',
          ExpressionAttributeValues: { ':p': { S: 'p' } },
        }),
      );
    }
    await client.send(new ScanCommand({ TableName: 'iterators', Limit: 10 }));
    await client.send(new ScanCommand({ TableName: 'iterators' }));
    // Closing is asynchronous: give the last ones a moment.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const opened = counts.opened - before.opened;
    expect(opened).toBeGreaterThanOrEqual(62);
    expect(counts.closed - before.closed).toBe(opened);
  });

  it('answers with the table as it is after UpdateTable, DeleteTable and CreateTable again (its table cache)', async () => {
    const table = {
      TableName: 'cached',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' as const }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' as const }],
      BillingMode: 'PAY_PER_REQUEST' as const,
    };
    const settled = async () => {
      for (let i = 0; i < 100; i++) {
        const { Table } = await client.send(new DescribeTableCommand({ TableName: 'cached' })).catch(() => ({
          Table: undefined,
        }));
        if (!Table || Table.TableStatus === 'ACTIVE') return Table;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error('the table did not settle');
    };
    await client.send(new CreateTableCommand(table));
    await settled();
    await client.send(new PutItemCommand({ TableName: 'cached', Item: { pk: { S: 'a' } } }));
    await client.send(
      new UpdateTableCommand({
        TableName: 'cached',
        BillingMode: 'PROVISIONED',
        ProvisionedThroughput: { ReadCapacityUnits: 7, WriteCapacityUnits: 3 },
      }),
    );
    expect((await settled())?.ProvisionedThroughput?.ReadCapacityUnits).toBe(7);

    await client.send(new DeleteTableCommand({ TableName: 'cached' }));
    expect(await settled()).toBeUndefined();
    await expect(
      client.send(new GetItemCommand({ TableName: 'cached', Key: { pk: { S: 'a' } } })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);

    await client.send(new CreateTableCommand(table));
    expect((await settled())?.BillingModeSummary?.BillingMode ?? 'PAY_PER_REQUEST').toBe('PAY_PER_REQUEST');
    const { Item } = await client.send(new GetItemCommand({ TableName: 'cached', Key: { pk: { S: 'a' } } }));
    expect(Item).toBeUndefined();
  });
});
