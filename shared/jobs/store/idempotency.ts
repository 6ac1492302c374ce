/**
 * Idempotent submission. A client that sends an `Idempotency-Key` gets the same jobs back when it
 * retries: the first request records its job-id range and time before writing any job, so a retry
 * (even of a request that died half-way) rewrites exactly the same jobs instead of new ones.
 * Records expire after a day: an expired record counts as absent and is replaced (DynamoDB's TTL
 * deletes them in the cloud; locally they stay until overwritten).
 */
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { conditionHolds } from '#shared/aws/dynamo.ts';
import { counterKeys, type IdempotencyScope } from '#shared/jobs/store/keys.ts';

export interface IdempotencyRecord {
  readonly requestHash: string;
  readonly firstJobId: number;
  readonly count: number;
  readonly submissionTime: string;
  readonly state: 'pending' | 'done';
  /**
   * Chunks of the submission's jobs (shared/jobs/submission/write.ts) known to be written, so that
   * a retry of a request that stopped part-way skips them instead of re-checking every job.
   */
  readonly writtenChunks?: readonly number[];
}

export const idempotencyLifetimeSeconds = 86_400;

export async function getIdempotencyRecord(
  dynamo: DynamoDBDocumentClient,
  table: string,
  scope: IdempotencyScope,
): Promise<IdempotencyRecord | undefined> {
  const { Item } = await dynamo.send(
    new GetCommand({
      TableName: table,
      Key: counterKeys.idempotency(scope),
      ConsistentRead: true,
    }),
  );
  if (!Item || (typeof Item.expiresAt === 'number' && Item.expiresAt * 1000 < Date.now())) return undefined;
  // A number set comes back as a Set.
  const written = Item.writtenChunks as Set<number> | undefined;
  return { ...(Item as IdempotencyRecord), ...(written ? { writtenChunks: [...written] } : {}) };
}

/** Records a new submission; false when another request recorded this key first. */
export async function putIdempotencyRecord(
  dynamo: DynamoDBDocumentClient,
  table: string,
  scope: IdempotencyScope,
  record: IdempotencyRecord,
): Promise<boolean> {
  return conditionHolds(
    dynamo.send(
      new PutCommand({
        TableName: table,
        Item: {
          ...counterKeys.idempotency(scope),
          ...record,
          writtenChunks: record.writtenChunks?.length ? new Set(record.writtenChunks) : undefined,
          expiresAt: Math.floor(Date.parse(record.submissionTime) / 1000) + idempotencyLifetimeSeconds,
        },
        ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
        ExpressionAttributeValues: { ':now': Math.floor(Date.now() / 1000) },
      }),
    ),
  );
}

export async function completeIdempotencyRecord(
  dynamo: DynamoDBDocumentClient,
  table: string,
  scope: IdempotencyScope,
): Promise<void> {
  await dynamo.send(
    new UpdateCommand({
      TableName: table,
      Key: counterKeys.idempotency(scope),
      UpdateExpression: 'SET #state = :done',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':done': 'done' },
    }),
  );
}

/** Records that chunks of the submission are written (a number set: concurrent adds never clash). */
export async function markChunksWritten(
  dynamo: DynamoDBDocumentClient,
  table: string,
  scope: IdempotencyScope,
  chunks: readonly number[],
): Promise<void> {
  await dynamo.send(
    new UpdateCommand({
      TableName: table,
      Key: counterKeys.idempotency(scope),
      UpdateExpression: 'ADD writtenChunks :chunks',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':chunks': new Set(chunks) },
    }),
  );
}
