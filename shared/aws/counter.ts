/**
 * An increasing-integer id counter held in one item: one atomic `ADD` per reservation, so two
 * callers never get the same value. Job ids (shared/jobs/store/allocate-ids.ts), transformation
 * ids and production ids each keep their counter item under their own key.
 */
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';

/** Adds `count` to the counter at `key` and returns its new value, the last id reserved. */
export async function advanceCounter(
  dynamo: DynamoDBDocumentClient,
  table: string,
  key: Record<string, string>,
  count = 1,
): Promise<number> {
  const { Attributes } = await dynamo.send(
    new UpdateCommand({
      TableName: table,
      Key: key,
      UpdateExpression: 'ADD #next :count',
      ExpressionAttributeNames: { '#next': 'next' },
      ExpressionAttributeValues: { ':count': count },
      ReturnValues: 'UPDATED_NEW',
    }),
  );
  return Number(Attributes?.next);
}
