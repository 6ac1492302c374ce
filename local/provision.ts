/**
 * Creates the tables, queues (with their dead-letter queues) and the bucket of the shared resource
 * definition in the emulators. Idempotent: a restart finds what exists and keeps its data.
 */
import {
  type AttributeDefinition,
  CreateTableCommand,
  DescribeTableCommand,
  type GlobalSecondaryIndex,
  type KeySchemaElement,
  ResourceInUseException,
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
      await createTable(aws, tableNames[name], definition);
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

async function createTable(aws: AwsClients, tableName: string, definition: TableDefinition): Promise<void> {
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
  try {
    await aws.dynamo.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: tableKeys,
        AttributeDefinitions: [...attributes.values()],
        ...(indexes.length > 0 ? { GlobalSecondaryIndexes: indexes } : {}),
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await waitForTable(aws, tableName);
}

async function waitForTable(aws: AwsClients, tableName: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const { Table } = await aws.dynamo.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`Table ${tableName} did not become ACTIVE.`);
}

async function queueArn(aws: AwsClients, queueUrl: string): Promise<string> {
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
