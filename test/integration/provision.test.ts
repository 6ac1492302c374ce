/**
 * Provisioning on the emulators: a home made before an index joined a table's definition gets the
 * index at the next start, with the table's items kept and found through it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulators, emulatorCredentials, startEmulators } from '#local/emulators.ts';
import { provisionTable } from '#local/provision.ts';
import { createAwsClients } from '#shared/aws/clients.ts';
import type { AwsClients } from '#shared/deps.ts';
import type { TableDefinition } from '#shared/resources.ts';

const before: TableDefinition = {
  description: 'files, as an older muon defined them',
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  indexes: {},
};
const after: TableDefinition = {
  ...before,
  indexes: { byDirectory: { partitionKey: { name: 'directory', type: 'S' }, projection: 'ALL' } },
};

describe('Provisioning', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'muon-provision-'));
  let emulators: Emulators;
  let aws: AwsClients;

  beforeAll(async () => {
    emulators = await startEmulators({ dataDir, only: ['dynamodb'] });
    aws = createAwsClients({ endpoints: emulators.endpoints, credentials: emulatorCredentials });
  });
  afterAll(async () => {
    await emulators?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('adds an index the definition gained to an existing table, keeping its items', async () => {
    const TableName = 'provision-files';
    await provisionTable(aws, TableName, before);
    const items = Array.from({ length: 30 }, (_, i) => ({
      pk: `f${i}`,
      sk: 'file',
      directory: `/d${i % 3}`,
    }));
    for (const Item of items) await aws.dynamo.send(new PutCommand({ TableName, Item }));

    await provisionTable(aws, TableName, after);

    const { Table } = await aws.dynamo.send(new DescribeTableCommand({ TableName }));
    expect(Table?.GlobalSecondaryIndexes?.map((index) => [index.IndexName, index.IndexStatus])).toEqual([
      ['byDirectory', 'ACTIVE'],
    ]);
    const found = await aws.dynamo.send(
      new QueryCommand({
        TableName,
        IndexName: 'byDirectory',
        KeyConditionExpression: 'directory = :d',
        ExpressionAttributeValues: { ':d': '/d1' },
      }),
    );
    expect(found.Items).toHaveLength(10);
    const kept = await aws.dynamo.send(new GetCommand({ TableName, Key: { pk: 'f29', sk: 'file' } }));
    expect(kept.Item).toEqual(items[29]);
  });

  it('leaves a table that has its indexes as it is', async () => {
    const TableName = 'provision-complete';
    await provisionTable(aws, TableName, after);
    const created = (await aws.dynamo.send(new DescribeTableCommand({ TableName }))).Table?.CreationDateTime;
    await provisionTable(aws, TableName, after);
    const { Table } = await aws.dynamo.send(new DescribeTableCommand({ TableName }));
    expect(Table?.CreationDateTime).toEqual(created);
    expect(Table?.GlobalSecondaryIndexes?.map((index) => index.IndexName)).toEqual(['byDirectory']);
  });
});
