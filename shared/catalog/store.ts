/**
 * The `fileMetadata` table: catalog entries (files and directories), metadata fields, and the
 * writes that keep an entry and its index items together. Keys come from keys.ts; a failed
 * condition becomes a typed result or a domain error here, never an SDK exception upstream.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { conditionHolds, queryAll } from '#shared/aws/dynamo.ts';
import {
  type CatalogEntry,
  entryKey,
  fieldKey,
  fieldsPartition,
  fromEntryItem,
} from '#shared/catalog/keys.ts';
import type { MetaType } from '#shared/catalog/query.ts';
import { chunk, forEachLimited } from '#shared/concurrency.ts';
import { directoriesAbove, parentDirectory } from '#shared/data/lfn.ts';
import { ConflictError } from '#shared/errors.ts';

export interface CatalogTable {
  readonly dynamo: DynamoDBDocumentClient;
  readonly table: string;
}

const pause = (attempt: number) =>
  new Promise((resolve) => setTimeout(resolve, Math.min(1000, 25 * 2 ** attempt)));

export async function getEntry(
  { dynamo, table }: CatalogTable,
  path: string,
): Promise<CatalogEntry | undefined> {
  const { Item } = await dynamo.send(
    new GetCommand({ TableName: table, Key: entryKey(path), ConsistentRead: true }),
  );
  return Item ? fromEntryItem(Item) : undefined;
}

/** The entries of `paths` that exist, 100 to a BatchGet, a few batches at a time. */
export async function getEntries(
  { dynamo, table }: CatalogTable,
  paths: readonly string[],
): Promise<Map<string, CatalogEntry>> {
  const found = new Map<string, CatalogEntry>();
  await forEachLimited(chunk([...new Set(paths)], 100), 8, async (batch) => {
    let keys: Record<string, unknown>[] = batch.map(entryKey);
    for (let attempt = 0; keys.length > 0; attempt += 1) {
      if (attempt > 8) throw new Error('DynamoDB left catalog reads unprocessed after 8 attempts.');
      if (attempt > 0) await pause(attempt);
      const result = await dynamo.send(new BatchGetCommand({ RequestItems: { [table]: { Keys: keys } } }));
      for (const item of result.Responses?.[table] ?? []) found.set(item.path as string, fromEntryItem(item));
      keys = (result.UnprocessedKeys?.[table]?.Keys ?? []) as Record<string, unknown>[];
    }
  });
  return found;
}

/** Puts and deletes, 25 to a BatchWrite, retrying what DynamoDB leaves unprocessed. */
export async function writeItems(
  { dynamo, table }: CatalogTable,
  puts: readonly Record<string, unknown>[],
  deletes: readonly Record<string, unknown>[] = [],
  parallel = 4,
): Promise<void> {
  const requests = [
    ...deletes.map((Key) => ({ DeleteRequest: { Key } })),
    ...puts.map((Item) => ({ PutRequest: { Item } })),
  ];
  await forEachLimited(chunk(requests, 25), parallel, async (batch) => {
    let pending: unknown[] = batch;
    for (let attempt = 0; pending.length > 0; attempt += 1) {
      if (attempt > 8) throw new Error(`DynamoDB left ${pending.length} catalog writes unprocessed.`);
      if (attempt > 0) await pause(attempt);
      const result = await dynamo.send(
        new BatchWriteCommand({ RequestItems: { [table]: pending as never } }),
      );
      pending = result.UnprocessedItems?.[table] ?? [];
    }
  });
}

/** The VO's metadata keys and their types. */
export async function readFields(
  { dynamo, table }: CatalogTable,
  vo: string,
): Promise<Map<string, MetaType>> {
  const items = await queryAll(dynamo, {
    TableName: table,
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': fieldsPartition(vo) },
    ConsistentRead: true,
  });
  return new Map(items.map((item) => [item.sk as string, item.type as MetaType]));
}

/** Declares `key` with `type` unless it has a type already; returns the type it has. */
export async function declareField(
  catalog: CatalogTable,
  vo: string,
  key: string,
  type: MetaType,
  now: string,
): Promise<MetaType> {
  const declared = await conditionHolds(
    catalog.dynamo.send(
      new PutCommand({
        TableName: catalog.table,
        Item: { ...fieldKey(vo, key), type, declaredAt: now },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    ),
  );
  if (declared) return type;
  const { Item } = await catalog.dynamo.send(
    new GetCommand({ TableName: catalog.table, Key: fieldKey(vo, key), ConsistentRead: true }),
  );
  return Item?.type as MetaType;
}

/**
 * Makes `directory` and every directory above it up to `/<vo>` entries of the catalog. When the
 * directory is there, so are the ones above it (they are written first), so one read suffices.
 */
export async function ensureDirectories(
  catalog: CatalogTable,
  vo: string,
  directory: string,
  now: string,
): Promise<void> {
  if ((await getEntry(catalog, directory))?.kind === 'directory') return;
  const chain = directory === '/' ? [] : [...directoriesAbove(directory).reverse(), directory];
  for (const path of chain) {
    try {
      await catalog.dynamo.send(
        new UpdateCommand({
          TableName: catalog.table,
          Key: entryKey(path),
          UpdateExpression:
            'SET vo = :vo, #path = :path, kind = :directory, parent = :parent, ' +
            'meta = if_not_exists(meta, :empty), version = if_not_exists(version, :zero), ' +
            'createdAt = if_not_exists(createdAt, :now)',
          ConditionExpression: 'attribute_not_exists(kind) OR kind = :directory',
          ExpressionAttributeNames: { '#path': 'path' },
          ExpressionAttributeValues: {
            ':vo': vo,
            ':path': path,
            ':directory': 'directory',
            ':parent': parentDirectory(path),
            ':empty': {},
            ':zero': 0,
            ':now': now,
          },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      throw new ConflictError(
        `${path} is a file of the catalog, so it cannot hold ${directory}.`,
        'catalog.not_a_directory',
      );
    }
  }
}

/** Registers a replica on the file's entry (created when new); a directory of that name is a 409. */
export async function addReplicaToEntry(
  catalog: CatalogTable,
  file: { vo: string; lfn: string; se: string; size: number },
  now: string,
): Promise<CatalogEntry> {
  try {
    const { Attributes } = await catalog.dynamo.send(
      new UpdateCommand({
        TableName: catalog.table,
        Key: entryKey(file.lfn),
        UpdateExpression:
          'SET vo = :vo, #path = :path, kind = :file, parent = :parent, #size = :size, ' +
          'meta = if_not_exists(meta, :empty), version = if_not_exists(version, :zero), ' +
          'createdAt = if_not_exists(createdAt, :now) ADD ses :se',
        ConditionExpression: 'attribute_not_exists(kind) OR kind = :file',
        ExpressionAttributeNames: { '#path': 'path', '#size': 'size' },
        ExpressionAttributeValues: {
          ':vo': file.vo,
          ':path': file.lfn,
          ':file': 'file',
          ':parent': parentDirectory(file.lfn),
          ':size': file.size,
          ':empty': {},
          ':zero': 0,
          ':now': now,
          ':se': new Set([file.se]),
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return fromEntryItem(Attributes ?? {});
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    throw new ConflictError(`${file.lfn} is a directory of the catalog, not a file.`, 'catalog.not_a_file');
  }
}

/** Takes `se` off the file's replicas; the entry as it is after, or undefined if it was not there. */
export async function removeReplicaFromEntry(
  catalog: CatalogTable,
  lfn: string,
  se: string,
): Promise<CatalogEntry | undefined> {
  try {
    const { Attributes } = await catalog.dynamo.send(
      new UpdateCommand({
        TableName: catalog.table,
        Key: entryKey(lfn),
        UpdateExpression: 'DELETE ses :se',
        ConditionExpression: 'kind = :file',
        ExpressionAttributeValues: { ':se': new Set([se]), ':file': 'file' },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return Attributes ? fromEntryItem(Attributes) : undefined;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return undefined;
    throw error;
  }
}

/** The entries directly in `directory`, in path order, a page at a time (the `byParent` index). */
export async function listChildren(
  { dynamo, table }: CatalogTable,
  directory: string,
  limit: number,
  start?: Record<string, unknown>,
): Promise<{ entries: CatalogEntry[]; next?: Record<string, unknown> }> {
  const page = await dynamo.send(
    new QueryCommand({
      TableName: table,
      IndexName: 'byParent',
      KeyConditionExpression: 'parent = :parent',
      ExpressionAttributeValues: { ':parent': directory },
      Limit: limit,
      ExclusiveStartKey: start,
    }),
  );
  const entries = (page.Items ?? []).map(fromEntryItem);
  return page.LastEvaluatedKey ? { entries, next: page.LastEvaluatedKey } : { entries };
}
