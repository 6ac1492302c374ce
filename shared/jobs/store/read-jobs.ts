/** Reading jobs by id. */
import { BatchGetCommand, type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { JobRecord } from '#shared/jobs/model.ts';
import { fromJobItem, jobKey } from '#shared/jobs/store/keys.ts';

export async function getJob(
  dynamo: DynamoDBDocumentClient,
  table: string,
  jobId: number,
): Promise<JobRecord | undefined> {
  const { Item } = await dynamo.send(
    new GetCommand({ TableName: table, Key: jobKey(jobId), ConsistentRead: true }),
  );
  return Item ? fromJobItem(Item) : undefined;
}

/** The jobs that exist among `jobIds`, in no particular order. */
export async function getJobs(
  dynamo: DynamoDBDocumentClient,
  table: string,
  jobIds: readonly number[],
): Promise<JobRecord[]> {
  const unique = [...new Set(jobIds)];
  const found: JobRecord[] = [];
  for (let i = 0; i < unique.length; i += 100) {
    let keys: Record<string, unknown>[] = unique.slice(i, i + 100).map(jobKey);
    for (let attempt = 0; keys.length > 0; attempt += 1) {
      if (attempt > 8) throw new Error('DynamoDB left reads unprocessed after 8 attempts.');
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 25 * 2 ** attempt));
      const result = await dynamo.send(
        new BatchGetCommand({ RequestItems: { [table]: { Keys: keys, ConsistentRead: true } } }),
      );
      for (const item of result.Responses?.[table] ?? []) found.push(fromJobItem(item));
      keys = (result.UnprocessedKeys?.[table]?.Keys ?? []) as Record<string, unknown>[];
    }
  }
  return found;
}
