/**
 * Removing sandbox metadata, as the JobCleaning agent does: a removed job's assignments, and
 * sandboxes nothing uses any more (DIRAC's `SandboxMetadataDB.unassignEntities` and its purge).
 * The `byKey` index holds a sandbox's item and its assignments under its object key; the
 * `byLastAccess` index holds only sandbox items, per VO, oldest access first.
 */
import { DeleteCommand, type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { conditionHolds } from '#shared/aws/dynamo.ts';
import type { SandboxAssignment } from '#shared/sandboxes/model.ts';
import { assignmentItemKey, assignmentSortPrefix, sandboxItemKey } from '#shared/sandboxes/store/keys.ts';

export async function deleteAssignment(
  dynamo: DynamoDBDocumentClient,
  table: string,
  assignment: Pick<SandboxAssignment, 'jobId' | 'kind' | 'key'>,
): Promise<void> {
  await dynamo.send(
    new DeleteCommand({
      TableName: table,
      Key: assignmentItemKey(assignment.jobId, assignment.kind, assignment.key),
    }),
  );
}

/** Whether any job still has the sandbox assigned (the index may lag a just-written assignment). */
export async function hasAssignments(
  dynamo: DynamoDBDocumentClient,
  table: string,
  key: string,
): Promise<boolean> {
  const { Items } = await dynamo.send(
    new QueryCommand({
      TableName: table,
      IndexName: 'byKey',
      KeyConditionExpression: '#key = :key AND begins_with(#sk, :prefix)',
      ExpressionAttributeNames: { '#key': 'key', '#sk': 'sk' },
      ExpressionAttributeValues: { ':key': key, ':prefix': assignmentSortPrefix },
      Limit: 1,
    }),
  );
  return (Items ?? []).length > 0;
}

/**
 * Deletes the sandbox's item if nobody touched it since it was read: a registration, a download
 * or an assignment changes `lastAccessTime` or `assigned`, and then the sandbox stays.
 */
export async function deleteSandboxAsRead(
  dynamo: DynamoDBDocumentClient,
  table: string,
  sandbox: { readonly key: string; readonly lastAccessTime: string; readonly assigned: boolean },
): Promise<boolean> {
  return conditionHolds(
    dynamo.send(
      new DeleteCommand({
        TableName: table,
        Key: sandboxItemKey(sandbox.key),
        ConditionExpression: '#lastAccessTime = :seen AND #assigned = :assigned',
        ExpressionAttributeNames: { '#lastAccessTime': 'lastAccessTime', '#assigned': 'assigned' },
        ExpressionAttributeValues: { ':seen': sandbox.lastAccessTime, ':assigned': sandbox.assigned },
      }),
    ),
  );
}
