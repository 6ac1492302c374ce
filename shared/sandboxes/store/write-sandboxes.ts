/**
 * Writing sandbox metadata. Every write is one item, conditional where it could race: dynalite has
 * no transactions, and none is needed because each item is meaningful on its own.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { conditionHolds } from '#shared/aws/dynamo.ts';
import type { SandboxAssignment, SandboxRecord } from '#shared/sandboxes/model.ts';
import { assignmentItem, fromSandboxItem, sandboxItemKey } from '#shared/sandboxes/store/keys.ts';

export type SandboxRegistration = Omit<SandboxRecord, 'registrationTime' | 'lastAccessTime' | 'assigned'>;

/**
 * Records a sandbox as of `now`: creates the item, or refreshes one registered before (same owner
 * and content) keeping its registration time and assigned flag. `uploaded` is what the bucket
 * said just before, so it is also how a vanished object is noticed.
 */
export async function registerSandbox(
  dynamo: DynamoDBDocumentClient,
  table: string,
  sandbox: SandboxRegistration,
  now: string,
): Promise<SandboxRecord> {
  const { owner, ...fields } = sandbox;
  const values: Record<string, unknown> = { ':now': now, ':false': false };
  const names: Record<string, string> = {
    '#registrationTime': 'registrationTime',
    '#lastAccessTime': 'lastAccessTime',
    '#assigned': 'assigned',
  };
  const sets = [
    '#registrationTime = if_not_exists(#registrationTime, :now)',
    '#lastAccessTime = :now',
    '#assigned = if_not_exists(#assigned, :false)',
  ];
  const attributes = { ...fields, vo: owner.vo, ownerGroup: owner.group, owner: owner.user };
  for (const [field, value] of Object.entries(attributes)) {
    names[`#${field}`] = field;
    values[`:${field}`] = value;
    sets.push(`#${field} = :${field}`);
  }
  const { Attributes } = await dynamo.send(
    new UpdateCommand({
      TableName: table,
      Key: sandboxItemKey(sandbox.key),
      UpdateExpression: `SET ${sets.join(', ')}`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ReturnValues: 'ALL_NEW',
    }),
  );
  return fromSandboxItem(Attributes as Record<string, unknown>);
}

/**
 * Touches a sandbox's last access time and, when the bucket was just seen to hold it, marks it
 * uploaded with the size S3 reports. False if the sandbox is not (or no longer) registered.
 */
export async function touchSandbox(
  dynamo: DynamoDBDocumentClient,
  table: string,
  key: string,
  now: string,
  stored?: { size: number },
): Promise<boolean> {
  return updateExisting(dynamo, table, key, {
    lastAccessTime: now,
    ...(stored ? { uploaded: true, size: stored.size } : {}),
  });
}

/**
 * `touchSandbox` and `markAssigned` in one write, for an assignment of a sandbox the bucket was
 * just seen to hold: false if the sandbox is not (or no longer) registered.
 */
export function touchAndMarkAssigned(
  dynamo: DynamoDBDocumentClient,
  table: string,
  key: string,
  now: string,
  stored: { size: number },
): Promise<boolean> {
  return updateExisting(dynamo, table, key, {
    lastAccessTime: now,
    uploaded: true,
    size: stored.size,
    assigned: true,
  });
}

/** Sets DIRAC's `Assigned` flag, which tells a cleaner the sandbox was once in use. */
export function markAssigned(dynamo: DynamoDBDocumentClient, table: string, key: string): Promise<boolean> {
  return updateExisting(dynamo, table, key, { assigned: true });
}

/** Writes an assignment once; assigning again is a success that keeps the first time. */
export async function putAssignment(
  dynamo: DynamoDBDocumentClient,
  table: string,
  assignment: SandboxAssignment,
): Promise<'created' | 'existed'> {
  try {
    await dynamo.send(
      new PutCommand({
        TableName: table,
        Item: assignmentItem(assignment),
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return 'created';
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return 'existed';
    throw error;
  }
}

async function updateExisting(
  dynamo: DynamoDBDocumentClient,
  table: string,
  key: string,
  changes: Record<string, unknown>,
): Promise<boolean> {
  const entries = Object.entries(changes);
  return conditionHolds(
    dynamo.send(
      new UpdateCommand({
        TableName: table,
        Key: sandboxItemKey(key),
        UpdateExpression: `SET ${entries.map(([field]) => `#${field} = :${field}`).join(', ')}`,
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: Object.fromEntries(entries.map(([field]) => [`#${field}`, field])),
        ExpressionAttributeValues: Object.fromEntries(entries.map(([field, value]) => [`:${field}`, value])),
      }),
    ),
  );
}
