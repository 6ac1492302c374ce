/**
 * The productions table: production records, their id counter and submission idempotency items.
 * Every write that can race is one conditional write; a lost condition comes back as a result.
 */
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { advanceCounter } from '#shared/aws/counter.ts';
import { conditionHolds, queryPages } from '#shared/aws/dynamo.ts';
import {
  counterKey,
  type IdempotencyScope,
  idempotencyKey,
  ownerKey,
  productionKey,
} from '#shared/productions/keys.ts';
import type { ProductionRecord } from '#shared/productions/model.ts';

export interface ProductionStore {
  allocateId(): Promise<number>;
  /** The production an idempotency key names, recording `productionId` if it names none yet. */
  claimKey(
    scope: IdempotencyScope,
    claim: { productionId: number; requestHash: string; createdAt: string },
  ): Promise<{ productionId: number; requestHash: string }>;
  /** Writes the record unless it exists; false when it already did. */
  create(record: ProductionRecord): Promise<boolean>;
  get(productionId: number): Promise<ProductionRecord | undefined>;
  /** Records step `index`'s transformation, once. */
  recordTransformation(
    productionId: number,
    index: number,
    transformationId: number,
    now: string,
  ): Promise<void>;
  setRequested(productionId: number, requested: ProductionRecord['requested'], now: string): Promise<void>;
  /** The owner's newest productions that `keep` accepts (the caller's access), at most `limit`. */
  listByOwner(
    vo: string,
    owner: string,
    limit: number,
    keep: (record: ProductionRecord) => boolean,
  ): Promise<ProductionRecord[]>;
}

const strip = (item: Record<string, unknown>): ProductionRecord => {
  const { pk: _pk, sk: _sk, ownerKey: _owner, productionNumber: _number, ...record } = item;
  return record as unknown as ProductionRecord;
};

export function createProductionStore(dynamo: DynamoDBDocumentClient, table: string): ProductionStore {
  return {
    allocateId: () => advanceCounter(dynamo, table, counterKey),

    async claimKey(scope, claim) {
      const claimed = await conditionHolds(
        dynamo.send(
          new PutCommand({
            TableName: table,
            Item: { ...idempotencyKey(scope), ...claim },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
      );
      if (claimed) return claim;
      const { Item } = await dynamo.send(
        new GetCommand({ TableName: table, Key: idempotencyKey(scope), ConsistentRead: true }),
      );
      return { productionId: Number(Item?.productionId), requestHash: String(Item?.requestHash) };
    },

    async create(record) {
      return conditionHolds(
        dynamo.send(
          new PutCommand({
            TableName: table,
            Item: {
              ...productionKey(Number(record.productionId)),
              ownerKey: ownerKey(record.vo, record.owner),
              ...record,
              productionNumber: Number(record.productionId),
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
      );
    },

    async get(productionId) {
      const { Item } = await dynamo.send(
        new GetCommand({ TableName: table, Key: productionKey(productionId), ConsistentRead: true }),
      );
      return Item ? strip(Item) : undefined;
    },

    async recordTransformation(productionId, index, transformationId, now) {
      // A failed condition is fine: whoever recorded it first had the same transformation for the step.
      await conditionHolds(
        dynamo.send(
          new UpdateCommand({
            TableName: table,
            Key: productionKey(productionId),
            UpdateExpression: `SET steps[${index}].transformationId = :id, updatedAt = :now`,
            ConditionExpression: `attribute_not_exists(steps[${index}].transformationId)`,
            ExpressionAttributeValues: { ':id': transformationId, ':now': now },
          }),
        ),
      );
    },

    async setRequested(productionId, requested, now) {
      await dynamo.send(
        new UpdateCommand({
          TableName: table,
          Key: productionKey(productionId),
          UpdateExpression: 'SET requested = :requested, updatedAt = :now',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':requested': requested, ':now': now },
        }),
      );
    },

    async listByOwner(vo, owner, limit, keep) {
      // The same user's productions of another group are in the same index partition.
      const kept: ProductionRecord[] = [];
      const pages = queryPages(dynamo, {
        TableName: table,
        IndexName: 'byOwner',
        KeyConditionExpression: 'ownerKey = :owner',
        ExpressionAttributeValues: { ':owner': ownerKey(vo, owner) },
        ScanIndexForward: false,
        Limit: limit,
      });
      for await (const page of pages) {
        for (const record of (page.Items ?? []).map(strip)) {
          if (keep(record)) kept.push(record);
          if (kept.length === limit) return kept;
        }
      }
      return kept;
    },
  };
}
