/**
 * Creates the tables, queues (with their dead-letter queues) and the bucket of the shared resource
 * definition in the emulators. Idempotent: a restart finds what exists and keeps its data, and a
 * table made before an index joined its definition gets that index.
 */
import {
  type AttributeDefinition,
  type AttributeValue,
  BatchWriteItemCommand,
  CreateTableCommand,
  type CreateTableCommandInput,
  DeleteTableCommand,
  DescribeTableCommand,
  type GlobalSecondaryIndex,
  type KeySchemaElement,
  ResourceInUseException,
  ResourceNotFoundException,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, HeadBucketCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { AwsClients, ResourceNames } from '#shared/deps.ts';
import {
  deadLetterName,
  type IndexDefinition,
  physicalName,
  type QueueName,
  queues,
  type TableDefinition,
  type TableName,
  tables,
} from '#shared/resources.ts';

export async function provisionResources(aws: AwsClients, prefix: string): Promise<ResourceNames> {
  const tableNames: Partial<Record<TableName, string>> = {};
  await Promise.all(
    (Object.entries(tables) as [TableName, TableDefinition][]).map(async ([name, definition]) => {
      tableNames[name] = physicalName(prefix, name);
      await provisionTable(aws, tableNames[name], definition);
    }),
  );
  const queueUrls: Partial<Record<QueueName, string>> = {};
  for (const [name, definition] of Object.entries(queues) as [QueueName, (typeof queues)[QueueName]][]) {
    const dlq = await aws.sqs.send(
      new CreateQueueCommand({
        QueueName: physicalName(prefix, deadLetterName(name)),
        Attributes: { MessageRetentionPeriod: String(14 * 86_400) },
      }),
    );
    const dlqArn = await queueArn(aws, dlq.QueueUrl as string);
    const queue = await aws.sqs.send(
      new CreateQueueCommand({
        QueueName: physicalName(prefix, name),
        Attributes: {
          VisibilityTimeout: String(definition.visibilityTimeoutSeconds),
          MessageRetentionPeriod: String(definition.retentionDays * 86_400),
          RedrivePolicy: JSON.stringify({
            deadLetterTargetArn: dlqArn,
            maxReceiveCount: definition.maxReceiveCount,
          }),
        },
      }),
    );
    queueUrls[name] = queue.QueueUrl as string;
  }
  const bucket = physicalName(prefix, 'sandboxStore');
  await ensureBucket(aws, bucket);
  return { tables: tableNames, queues: queueUrls, bucket };
}

/** The URL of a queue's dead-letter queue, for tests and for `muon` to inspect. */
export const deadLetterQueueUrl = (queueUrl: string, queue: QueueName, prefix: string): string =>
  queueUrl.replace(/[^/]+$/, physicalName(prefix, deadLetterName(queue)));

/** Creates the table, or gives an existing one the indexes of `definition` it lacks; waits until ACTIVE. */
export async function provisionTable(
  aws: AwsClients,
  tableName: string,
  definition: TableDefinition,
): Promise<void> {
  const attributes = new Map<string, AttributeDefinition>();
  const keySchema = (
    partition: { name: string; type: 'S' | 'N' },
    sort?: { name: string; type: 'S' | 'N' },
  ) => {
    const schema: KeySchemaElement[] = [{ AttributeName: partition.name, KeyType: 'HASH' }];
    attributes.set(partition.name, { AttributeName: partition.name, AttributeType: partition.type });
    if (sort) {
      schema.push({ AttributeName: sort.name, KeyType: 'RANGE' });
      attributes.set(sort.name, { AttributeName: sort.name, AttributeType: sort.type });
    }
    return schema;
  };
  const indexes: GlobalSecondaryIndex[] = Object.entries(definition.indexes).map(
    ([indexName, index]: [string, IndexDefinition]) => ({
      IndexName: indexName,
      KeySchema: keySchema(index.partitionKey, index.sortKey),
      Projection:
        index.projection === 'ALL' || index.projection === 'KEYS_ONLY'
          ? { ProjectionType: index.projection }
          : { ProjectionType: 'INCLUDE', NonKeyAttributes: [...index.projection] },
    }),
  );
  const tableKeys = keySchema(definition.partitionKey, definition.sortKey);
  const input: CreateTableCommandInput = {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    KeySchema: tableKeys,
    AttributeDefinitions: [...attributes.values()],
    ...(indexes.length > 0 ? { GlobalSecondaryIndexes: indexes } : {}),
  };
  try {
    await aws.dynamo.send(new CreateTableCommand(input));
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
    const present = await waitForTable(aws, tableName);
    if (indexes.some((index) => !present.includes(index.IndexName as string))) await rebuild(aws, input);
  }
  await waitForTable(aws, tableName);
}

/**
 * Makes the table again with every index of its definition and puts its items back. dynalite
 * cannot add an index to a table: it accepts UpdateTable's `GlobalSecondaryIndexUpdates` Create
 * and ignores it. The items are held in memory meanwhile, fine for a local runtime's tables.
 */
async function rebuild(aws: AwsClients, input: CreateTableCommandInput): Promise<void> {
  const TableName = input.TableName as string;
  const items: Record<string, AttributeValue>[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await aws.dynamo.send(new ScanCommand({ TableName, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  await aws.dynamo.send(new DeleteTableCommand({ TableName }));
  await until(`Table ${TableName} was not deleted.`, () =>
    aws.dynamo.send(new DescribeTableCommand({ TableName })).then(
      () => false,
      (error: unknown) => {
        if (error instanceof ResourceNotFoundException) return true;
        throw error;
      },
    ),
  );
  await aws.dynamo.send(new CreateTableCommand(input));
  await waitForTable(aws, TableName);
  for (let i = 0; i < items.length; i += 25) {
    let requests = items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } }));
    while (requests.length > 0) {
      const { UnprocessedItems } = await aws.dynamo.send(
        new BatchWriteItemCommand({ RequestItems: { [TableName]: requests } }),
      );
      requests = (UnprocessedItems?.[TableName] ?? []) as typeof requests;
    }
  }
}

/** Waits until the table and its indexes are ACTIVE; the names of its indexes. */
async function waitForTable(aws: AwsClients, tableName: string): Promise<string[]> {
  let names: string[] = [];
  await until(`Table ${tableName} did not become ACTIVE.`, async () => {
    const { Table } = await aws.dynamo.send(new DescribeTableCommand({ TableName: tableName }));
    const indexes = Table?.GlobalSecondaryIndexes ?? [];
    names = indexes.map((index) => index.IndexName as string);
    return Table?.TableStatus === 'ACTIVE' && indexes.every((index) => index.IndexStatus === 'ACTIVE');
  });
  return names;
}

async function until(failure: string, done: () => Promise<boolean>): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    if (await done()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(failure);
}

export async function queueArn(aws: AwsClients, queueUrl: string): Promise<string> {
  const { Attributes } = await aws.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  const arn = Attributes?.QueueArn;
  if (!arn) throw new Error(`The queue ${queueUrl} has no ARN.`);
  return arn;
}

async function ensureBucket(aws: AwsClients, bucket: string): Promise<void> {
  try {
    await aws.s3.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch {
    await aws.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  }
}
