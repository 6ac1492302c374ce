/**
 * The answers kept for an `Idempotency-Key` of a bulk request (kill, delete, reschedule): which
 * request the key was first used for (a hash), the per-job answers so far (gzipped JSON, so a
 * 10,000-job answer fits DynamoDB's 400 KB item), and a lock while one attempt runs, so that two
 * attempts of one request never work at once. Records expire after a day, as submission ones do.
 * Powertools' idempotency utility keeps one answer per key for a whole handler; here a request that
 * stopped part-way keeps the jobs it did, and its retry does only the rest (shared/jobs/bulk-idempotency.ts).
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { conditionHolds } from '#shared/aws/dynamo.ts';
import { type AnswerScope, answerKeys } from '#shared/http/idempotency/keys.ts';
import { parseJson, stringifyJson } from '#shared/json.ts';

export const answerLifetimeSeconds = 86_400;

export interface KeptAnswer {
  readonly requestHash: string;
  /** What was answered so far, as the route's JSON; undefined before the first attempt ended. */
  readonly answer?: unknown;
}

export interface AnswerStore {
  /** The record for this key, unless absent or expired. */
  get(scope: AnswerScope): Promise<KeptAnswer | undefined>;
  /**
   * Takes the key's lock for `lockMs` for the request `requestHash`; `fresh` when `get` found no
   * record (absent or expired: an expired one starts afresh). False when another attempt holds it.
   */
  lock(scope: AnswerScope, requestHash: string, lockMs: number, fresh: boolean): Promise<number | false>;
  /** Stores the answer and releases the lock taken at `lockedUntil`. */
  save(scope: AnswerScope, answer: unknown, lockedUntil: number): Promise<void>;
  release(scope: AnswerScope, lockedUntil: number): Promise<void>;
}

export function createAnswerStore(
  dynamo: DynamoDBDocumentClient,
  table: () => string,
  now = Date.now,
): AnswerStore {
  return {
    async get(scope) {
      const { Item } = await dynamo.send(
        new GetCommand({ TableName: table(), Key: answerKeys.record(scope), ConsistentRead: true }),
      );
      if (!Item || (typeof Item.expiresAt === 'number' && Item.expiresAt * 1000 < now())) return undefined;
      const answer =
        Item.answer instanceof Uint8Array ? parseJson(gunzipSync(Item.answer).toString('utf8')) : undefined;
      return { requestHash: Item.requestHash as string, ...(answer === undefined ? {} : { answer }) };
    },

    async lock(scope, requestHash, lockMs, fresh) {
      const at = now();
      const until = at + lockMs;
      const held = await conditionHolds(
        dynamo.send(
          new UpdateCommand({
            TableName: table(),
            Key: answerKeys.record(scope),
            // An expired record starts afresh: its answer belongs to another request.
            UpdateExpression: fresh
              ? 'SET requestHash = :hash, lockedUntil = :until, expiresAt = :expires REMOVE answer'
              : 'SET requestHash = :hash, lockedUntil = :until, expiresAt = if_not_exists(expiresAt, :expires)',
            ConditionExpression: fresh
              ? 'attribute_not_exists(pk) OR expiresAt < :nowSeconds'
              : '(attribute_not_exists(pk) OR requestHash = :hash) AND (attribute_not_exists(lockedUntil) OR lockedUntil < :now)',
            ExpressionAttributeValues: {
              ':hash': requestHash,
              ':until': until,
              ':expires': Math.floor(at / 1000) + answerLifetimeSeconds,
              ...(fresh ? { ':nowSeconds': Math.floor(at / 1000) } : { ':now': at }),
            },
          }),
        ),
      );
      return held ? until : false;
    },

    async save(scope, answer, lockedUntil) {
      await dynamo.send(
        new UpdateCommand({
          TableName: table(),
          Key: answerKeys.record(scope),
          UpdateExpression: 'SET answer = :answer REMOVE lockedUntil',
          ConditionExpression: 'lockedUntil = :until',
          ExpressionAttributeValues: { ':answer': gzipSync(stringifyJson(answer)), ':until': lockedUntil },
        }),
      );
    },

    async release(scope, lockedUntil) {
      await conditionHolds(
        dynamo.send(
          new UpdateCommand({
            TableName: table(),
            Key: answerKeys.record(scope),
            UpdateExpression: 'REMOVE lockedUntil',
            ConditionExpression: 'lockedUntil = :until',
            ExpressionAttributeValues: { ':until': lockedUntil },
          }),
        ),
      );
    },
  };
}
