/**
 * Writing metadata in the `fileMetadata` table: an entry's own metadata with its index items, the
 * keys a directory has below it, and a file's removal with its index items. A failed condition
 * becomes a domain error or `false` here.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { conditionHolds } from '#shared/aws/dynamo.ts';
import { type CatalogEntry, entryKey, indexItems, indexKey, typeOf } from '#shared/catalog/keys.ts';
import type { MetaType, MetaValue } from '#shared/catalog/query.ts';
import { type CatalogTable, writeItems } from '#shared/catalog/store.ts';
import { ConflictError } from '#shared/errors.ts';

/** Deletes a file's entry and its index items (its last replica went). */
export async function deleteFileEntry(
  catalog: CatalogTable,
  entry: CatalogEntry,
  types: ReadonlyMap<string, MetaType>,
): Promise<void> {
  const stale = Object.entries(entry.meta).map(([key, value]) =>
    indexKey(entry.vo, key, typeOf(types, key), value, entry.path),
  );
  await writeItems(catalog, [], [...stale, entryKey(entry.path)]);
}

/**
 * Records that `keys` are set under `directory`, unless the directory has one of them itself
 * (then the keys' holder is named in the 409).
 */
export async function markKeysBelow(
  catalog: CatalogTable,
  directory: string,
  keys: readonly string[],
  below: string,
): Promise<void> {
  const names = Object.fromEntries(keys.map((key, i) => [`#k${i}`, key]));
  try {
    await catalog.dynamo.send(
      new UpdateCommand({
        TableName: catalog.table,
        Key: entryKey(directory),
        UpdateExpression: 'ADD below :keys',
        ConditionExpression: keys.map((_, i) => `attribute_not_exists(meta.#k${i})`).join(' AND '),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: { ':keys': new Set(keys) },
      }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    throw new ConflictError(
      `${directory} has one of ${keys.join(', ')} set itself, which holds for everything under it: set it there, not on ${below}.`,
      'catalog.metadata_inherited',
    );
  }
}

/**
 * Replaces the entry's own metadata with `meta` if its version is still `entry.version` (and, for a
 * directory, none of `meta`'s new keys was set below it meanwhile); then rewrites its index items.
 * False when the entry changed since it was read.
 */
export async function writeMetadata(
  catalog: CatalogTable,
  entry: CatalogEntry,
  meta: Record<string, MetaValue>,
  types: ReadonlyMap<string, MetaType>,
): Promise<boolean> {
  const added = Object.keys(meta).filter((key) => !(key in entry.meta));
  const names = Object.fromEntries(added.map((key, i) => [`:k${i}`, key]));
  const belowCondition = added.map((_, i) => ` AND NOT contains(below, :k${i})`).join('');
  const written = await conditionHolds(
    catalog.dynamo.send(
      new UpdateCommand({
        TableName: catalog.table,
        Key: entryKey(entry.path),
        UpdateExpression: 'SET meta = :meta, version = :next',
        ConditionExpression: `version = :version${entry.kind === 'directory' ? belowCondition : ''}`,
        ExpressionAttributeValues: {
          ':meta': meta,
          ':next': entry.version + 1,
          ':version': entry.version,
          ...(entry.kind === 'directory' ? names : {}),
        },
      }),
    ),
  );
  if (!written) return false;
  const stale = Object.entries(entry.meta)
    .filter(([key, value]) => meta[key] !== value)
    .map(([key, value]) => indexKey(entry.vo, key, typeOf(types, key), value, entry.path));
  await writeItems(catalog, indexItems({ ...entry, meta }, types), stale);
  return true;
}
