/**
 * Task queues in DynamoDB. A task queue is a definition item plus its waiting jobs, which are
 * spread over `entryShards` partitions by job id so that a task queue with a million jobs is not
 * one hot partition. Entries sort by priority rank, then job id (oldest first).
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { TaskQueueDefinition } from '#shared/taskqueues/definition.ts';

export const entryShards = 8;

export const taskQueueKeys = {
  definition: (tqId: string) => ({ pk: `TQ#${tqId}`, sk: 'DEF' }),
  entry: (tqId: string, jobId: number, priority: number) => ({
    pk: `TQ#${tqId}#${jobId % entryShards}`,
    sk: `${priorityRank(priority)}#${String(jobId).padStart(12, '0')}`,
  }),
  voKey: (vo: string) => `VO#${vo}`,
};

/** Higher priority sorts first: rank 0 is priority 10. */
const priorityRank = (priority: number) =>
  String(10 - Math.max(0, Math.min(10, Math.round(priority)))).padStart(2, '0');

export async function ensureTaskQueue(
  dynamo: DynamoDBDocumentClient,
  table: string,
  tqId: string,
  definition: TaskQueueDefinition,
  now: string,
): Promise<void> {
  try {
    await dynamo.send(
      new PutCommand({
        TableName: table,
        Item: {
          ...taskQueueKeys.definition(tqId),
          voKey: taskQueueKeys.voKey(definition.vo),
          tqId,
          definition,
          createdAt: now,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
}

export async function insertTaskQueueEntry(
  dynamo: DynamoDBDocumentClient,
  table: string,
  entry: { tqId: string; jobId: number; priority: number; enqueuedAt: string },
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
  entry: { tqId: string; jobId: number; priority: number },
): Promise<void> {
  await dynamo.send(
    new DeleteCommand({
      TableName: table,
      Key: taskQueueKeys.entry(entry.tqId, entry.jobId, entry.priority),
    }),
  );
}
