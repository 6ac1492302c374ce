/** Reading sandbox metadata and a job's assignments. */
import { type DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
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
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await dynamo.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': entityPartition(jobId), ':prefix': assignmentSortPrefix },
        ConsistentRead: true,
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }),
    );
    for (const item of page.Items ?? []) found.push(fromAssignmentItem(item));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return found;
}
