/** Reading sandbox metadata and a job's assignments. */
import { type DynamoDBDocumentClient, GetCommand, paginateQuery } from '@aws-sdk/lib-dynamodb';
import type { SandboxAssignment, SandboxRecord } from '#shared/sandboxes/model.ts';
import {
  assignmentSortPrefix,
  entityPartition,
  fromAssignmentItem,
  fromSandboxItem,
  sandboxItemKey,
} from '#shared/sandboxes/store/keys.ts';

export async function getSandbox(
  dynamo: DynamoDBDocumentClient,
  table: string,
  key: string,
): Promise<SandboxRecord | undefined> {
  const { Item } = await dynamo.send(
    new GetCommand({ TableName: table, Key: sandboxItemKey(key), ConsistentRead: true }),
  );
  return Item ? fromSandboxItem(Item) : undefined;
}

export async function listJobAssignments(
  dynamo: DynamoDBDocumentClient,
  table: string,
  jobId: number,
): Promise<SandboxAssignment[]> {
  const found: SandboxAssignment[] = [];
  const pages = paginateQuery(
    { client: dynamo },
    {
      TableName: table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': entityPartition(jobId), ':prefix': assignmentSortPrefix },
      ConsistentRead: true,
    },
  );
  for await (const page of pages) for (const item of page.Items ?? []) found.push(fromAssignmentItem(item));
  return found;
}
