/**
 * Every key and item of the `fileMetadata` table is built here and nowhere else.
 *
 * - An *entry* is a file or a directory of the catalog (DIRAC's FC_Files and FC_DirectoryList
 *   rows): `ENTRY#<path>` / `ENTRY`, with its own metadata. Its `parent` puts it in the `byParent`
 *   index, which lists a directory's subdirectories and files in path order.
 * - A *field* is a metadata key of a VO and its type (DIRAC's FC_MetaFields):
 *   `FIELD#<vo>` / `<key>`; a VO has tens of them, read in one query.
 * - An *index item* says that `path` has `key` = value (DIRAC's FC_Meta_<key> tables):
 *   `IDX#<vo>#<key>#<shard>` / `<encoded value>\u0001<path>`. The shard is a hash of the path, so
 *   one popular key spreads over `indexShards` partitions; the sort key keeps values in order,
 *   so `=`, `in` and ranges are key conditions. It carries the entry's own metadata, so the
 *   query's other conditions are checked without reading the entry.
 */
import { metaValueOrder } from '#shared/catalog/encoding.ts';
import type { MetaType, MetaValue } from '#shared/catalog/query.ts';
import { parentDirectory } from '#shared/data/lfn.ts';

/** Partitions per (VO, key) of the metadata index; a query reads them all in parallel. */
export const indexShards = 16;
/** Between a value and the path in an index sort key: below every character a value may hold. */
export const valueSeparator = '\u0001';
/** Just above `valueSeparator`: `< value + this` is "at most value". */
export const valueCeiling = '\u0002';

export type EntryKind = 'file' | 'directory';

export interface CatalogEntry {
  readonly vo: string;
  readonly path: string;
  readonly kind: EntryKind;
  /** Metadata set on this entry itself (not what it inherits). */
  readonly meta: Record<string, MetaValue>;
  /** Directories: keys set on something under them (none of which they may take themselves). */
  readonly below?: readonly string[];
  /** Files: the storage elements holding a replica, and the size. */
  readonly ses?: readonly string[];
  readonly size?: number;
  /** Bumped by each metadata change: the condition of the next one. */
  readonly version: number;
  readonly createdAt: string;
}

export const entryKey = (path: string) => ({ pk: `ENTRY#${path}`, sk: 'ENTRY' });
export const fieldsPartition = (vo: string) => `FIELD#${vo}`;
export const fieldKey = (vo: string, key: string) => ({ pk: fieldsPartition(vo), sk: key });
export const indexPartition = (vo: string, key: string, shard: number) => `IDX#${vo}#${key}#${shard}`;

/** FNV-1a of the path: stable across processes and deployments, spread evenly. */
export function shardOf(path: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < path.length; i += 1) {
    hash ^= path.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % indexShards;
}

export const indexSortKey = (type: MetaType, value: MetaValue, path: string) =>
  `${metaValueOrder(type, value)}${valueSeparator}${path}`;

export function indexKey(vo: string, key: string, type: MetaType, value: MetaValue, path: string) {
  return { pk: indexPartition(vo, key, shardOf(path)), sk: indexSortKey(type, value, path) };
}

/**
 * The item of an entry. String sets cannot be empty in DynamoDB, so `below` and `ses` appear only
 * when they hold something.
 */
export function entryItem(entry: CatalogEntry): Record<string, unknown> {
  const item: Record<string, unknown> = {
    ...entryKey(entry.path),
    vo: entry.vo,
    path: entry.path,
    kind: entry.kind,
    parent: parentDirectory(entry.path),
    meta: entry.meta,
    version: entry.version,
    createdAt: entry.createdAt,
  };
  if (entry.below && entry.below.length > 0) item.below = new Set(entry.below);
  if (entry.ses && entry.ses.length > 0) item.ses = new Set(entry.ses);
  if (entry.size !== undefined) item.size = entry.size;
  return item;
}

export function fromEntryItem(item: Record<string, unknown>): CatalogEntry {
  const setOf = (value: unknown) => (value instanceof Set ? [...(value as Set<string>)].sort() : undefined);
  const below = setOf(item.below);
  const ses = setOf(item.ses);
  return {
    vo: item.vo as string,
    path: item.path as string,
    kind: item.kind as EntryKind,
    meta: (item.meta ?? {}) as Record<string, MetaValue>,
    version: (item.version ?? 0) as number,
    createdAt: item.createdAt as string,
    ...(below ? { below } : {}),
    ...(ses ? { ses } : {}),
    ...(typeof item.size === 'number' ? { size: item.size } : {}),
  };
}

/** One index item per key of the entry's own metadata, each carrying all of it. */
export function indexItems(
  entry: Pick<CatalogEntry, 'vo' | 'path' | 'kind' | 'meta'>,
  types: ReadonlyMap<string, MetaType>,
): Record<string, unknown>[] {
  return Object.entries(entry.meta).map(([key, value]) => ({
    ...indexKey(entry.vo, key, typeOf(types, key), value, entry.path),
    path: entry.path,
    kind: entry.kind,
    meta: entry.meta,
  }));
}

export function typeOf(types: ReadonlyMap<string, MetaType>, key: string): MetaType {
  const type = types.get(key);
  if (!type) throw new Error(`The metadata key "${key}" has no declared type.`);
  return type;
}

export interface IndexHit {
  readonly path: string;
  readonly kind: EntryKind;
  readonly meta: Record<string, MetaValue>;
}

export const fromIndexItem = (item: Record<string, unknown>): IndexHit => ({
  path: item.path as string,
  kind: item.kind as EntryKind,
  meta: (item.meta ?? {}) as Record<string, MetaValue>,
});
