/** Reading jobs by id. */
import { BatchGetCommand, type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { chunk } from '#shared/concurrency.ts';
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
  return (await getJobItems(dynamo, table, jobIds)).map(fromJobItem);
}

/**
 * The stored items of the jobs among `jobIds`, whole or only the attributes a projection names,
 * retrying what DynamoDB leaves unprocessed.
 */
export async function getJobItems(
  dynamo: DynamoDBDocumentClient,
  table: string,
  jobIds: readonly number[],
  projection?: { expression: string; names: Record<string, string> },
): Promise<Record<string, unknown>[]> {
  const found: Record<string, unknown>[] = [];
  for (const ids of chunk([...new Set(jobIds)], 100)) {
    let keys: Record<string, unknown>[] = ids.map(jobKey);
    for (let attempt = 0; keys.length > 0; attempt += 1) {
      if (attempt > 8) throw new Error('DynamoDB left reads unprocessed after 8 attempts.');
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 25 * 2 ** attempt));
      const result = await dynamo.send(
        new BatchGetCommand({
          RequestItems: {
            [table]: {
              Keys: keys,
              ConsistentRead: true,
              ...(projection
                ? { ProjectionExpression: projection.expression, ExpressionAttributeNames: projection.names }
                : {}),
            },
          },
        }),
      );
      found.push(...(result.Responses?.[table] ?? []));
      keys = (result.UnprocessedKeys?.[table]?.Keys ?? []) as Record<string, unknown>[];
    }
  }
  return found;
}
