/**
 * Bulk registration (DIRAC's addFile over many files): files whose access was checked by the
 * caller, written with BatchWrite, many batches at a time: their entries, index items and
 * replicas. Directories are made once per distinct directory; the files must be new (their
 * metadata is written without the checks and index clean-up a change needs), and metadata must
 * not be set on a directory above them. Used to load catalogues (bench:catalog) and by tests.
 */
import { inferType, valueOfType } from '#shared/catalog/fields.ts';
import { type CatalogEntry, entryItem, indexItems } from '#shared/catalog/keys.ts';
import type { MetaType, MetaValue } from '#shared/catalog/query.ts';
import {
  type CatalogTable,
  declareField,
  ensureDirectories,
  readFields,
  writeItems,
} from '#shared/catalog/store.ts';
import { parentDirectory } from '#shared/data/lfn.ts';
import { type ReplicaRecord, replicaItem } from '#shared/files/catalog.ts';

export interface NewFile {
  readonly replica: ReplicaRecord;
  readonly meta?: Readonly<Record<string, MetaValue>>;
}

export interface BulkTables {
  readonly catalog: CatalogTable;
  /** The replicas' table (`fileCatalog`). */
  readonly replicasTable: string;
}

/** Writes `files` of `vo`; `madeDirectories` remembers directories across calls. */
export async function registerNewFiles(
  tables: BulkTables,
  vo: string,
  files: readonly NewFile[],
  now: string,
  options: { parallel?: number; madeDirectories?: Set<string> } = {},
): Promise<void> {
  const made = options.madeDirectories ?? new Set<string>();
  for (const file of files) {
    const directory = parentDirectory(file.replica.lfn);
    if (made.has(directory)) continue;
    await ensureDirectories(tables.catalog, vo, directory, now);
    made.add(directory);
  }
  const types = await fieldTypes(tables.catalog, vo, files, now);
  const puts: Record<string, unknown>[] = [];
  const replicas: Record<string, unknown>[] = [];
  for (const { replica, meta = {} } of files) {
    const typed = Object.fromEntries(
      Object.entries(meta).map(([key, value]) => [key, valueOfType(key, types.get(key) as MetaType, value)]),
    );
    const entry: CatalogEntry = {
      vo,
      path: replica.lfn,
      kind: 'file',
      meta: typed,
      ses: [replica.se],
      ...(replica.size !== undefined ? { size: replica.size } : {}),
      version: 0,
      createdAt: now,
    };
    puts.push(entryItem(entry), ...indexItems(entry, types));
    replicas.push(replicaItem(replica));
  }
  const parallel = options.parallel ?? 8;
  await Promise.all([
    writeItems(tables.catalog, puts, [], parallel),
    writeItems({ dynamo: tables.catalog.dynamo, table: tables.replicasTable }, replicas, [], parallel),
  ]);
}

/** The types of the files' keys, declaring new ones with the type of their first value. */
async function fieldTypes(
  catalog: CatalogTable,
  vo: string,
  files: readonly NewFile[],
  now: string,
): Promise<Map<string, MetaType>> {
  const types = await readFields(catalog, vo);
  for (const { meta = {} } of files) {
    for (const [key, value] of Object.entries(meta)) {
      if (!types.has(key)) types.set(key, await declareField(catalog, vo, key, inferType(value), now));
    }
  }
  return types;
}
