/**
 * Task queue entries: one item per waiting job, in one of `entryShards` partitions of its task
 * queue. Matching reads a few entries of one shard and deletes the one it claimed; nothing else
 * is written per match.
 */
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  PutCommand,
  paginateQuery,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { conditionHolds } from '#shared/aws/dynamo.ts';
import { parseEntrySortKey, taskQueueKeys } from '#shared/taskqueues/keys.ts';

export interface TaskQueueEntry {
  readonly tqId: string;
  readonly jobId: number;
  readonly priority: number;
  readonly enqueuedAt: string;
}

export async function insertTaskQueueEntry(
  dynamo: DynamoDBDocumentClient,
  table: string,
  entry: TaskQueueEntry,
): Promise<void> {
  await dynamo.send(
    new PutCommand({
      TableName: table,
      Item: { ...taskQueueKeys.entry(entry.tqId, entry.jobId, entry.priority), ...entry },
    }),
  );
}

export async function removeTaskQueueEntry(
  dynamo: DynamoDBDocumentClient,
  table: string,
  entry: Pick<TaskQueueEntry, 'tqId' | 'jobId' | 'priority'>,
): Promise<void> {
  await dynamo.send(
    new DeleteCommand({
      TableName: table,
      Key: taskQueueKeys.entry(entry.tqId, entry.jobId, entry.priority),
    }),
  );
}

/**
 * Deletes an entry the matcher read, unless it was written again since (the job left and came
 * back to the same task queue): a stale read never removes a live entry.
 */
export async function removeEntryAsRead(
  dynamo: DynamoDBDocumentClient,
  table: string,
  entry: TaskQueueEntry,
): Promise<void> {
  await conditionHolds(
    dynamo.send(
      new DeleteCommand({
        TableName: table,
        Key: taskQueueKeys.entry(entry.tqId, entry.jobId, entry.priority),
        ConditionExpression: '#enqueuedAt = :seen',
        ExpressionAttributeNames: { '#enqueuedAt': 'enqueuedAt' },
        ExpressionAttributeValues: { ':seen': entry.enqueuedAt },
      }),
    ),
  );
}

/** One page of a shard's entries and where the next begins (undefined after the last). */
export interface EntryPage {
  readonly entries: TaskQueueEntry[];
  readonly next?: Record<string, unknown>;
}

/**
 * Up to `limit` entries of a shard in rank order, optionally of one priority only, from `after` on.
 * Strongly consistent, so that a shard read empty held no entry when it was read.
 */
export async function readEntries(
  dynamo: DynamoDBDocumentClient,
  table: string,
  query: { tqId: string; shard: number; limit: number; priority?: number; after?: Record<string, unknown> },
): Promise<EntryPage> {
  const values: Record<string, unknown> = { ':pk': taskQueueKeys.shard(query.tqId, query.shard) };
  let condition = 'pk = :pk';
  if (query.priority !== undefined) {
    condition += ' AND begins_with(sk, :rank)';
    values[':rank'] = taskQueueKeys.rankPrefix(query.priority);
  }
  const { Items, LastEvaluatedKey } = await dynamo.send(
    new QueryCommand({
      TableName: table,
      KeyConditionExpression: condition,
      ExpressionAttributeValues: values,
      Limit: query.limit,
      ConsistentRead: true,
      ...(query.after ? { ExclusiveStartKey: query.after } : {}),
    }),
  );
  return {
    entries: (Items ?? []) as TaskQueueEntry[],
    ...(LastEvaluatedKey ? { next: LastEvaluatedKey } : {}),
  };
}

/**
 * Waiting jobs per priority in one shard, from the sort keys alone. Costs what a COUNT costs; at
 * most `maxPages` pages (1 MB each), so a huge shard is counted approximately from below.
 */
export async function countEntriesByPriority(
  dynamo: DynamoDBDocumentClient,
  table: string,
  tqId: string,
  shard: number,
  maxPages = 20,
): Promise<Map<number, number>> {
  const counts = new Map<number, number>();
  const pages = paginateQuery(
    { client: dynamo },
    {
      TableName: table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': taskQueueKeys.shard(tqId, shard) },
      ProjectionExpression: '#sk',
      ExpressionAttributeNames: { '#sk': 'sk' },
    },
  );
  let read = 0;
  for await (const page of pages) {
    for (const item of page.Items ?? []) {
      const { priority } = parseEntrySortKey(item.sk as string);
      counts.set(priority, (counts.get(priority) ?? 0) + 1);
    }
    read += 1;
    if (read >= maxPages) break;
  }
  return counts;
}
