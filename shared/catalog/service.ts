/**
 * The file catalog with metadata (DIRAC's DFC with its FileMetadata and DirectoryMetadata):
 * entries for files and directories, typed metadata on both, inherited down the tree, and
 * queries. Server-side callers (the data manager, transformations) use these functions; who may
 * write where is decided by the caller (shared/data/access.ts), the VO here.
 *
 * A key set on a directory holds for everything under it, so it may not also be set on anything
 * under it or above it (DIRAC refuses the same): each file has at most one value per key.
 */
import type { Identity } from '#shared/auth/identity.ts';
import { directoryChanged, fileChanged } from '#shared/catalog/events.ts';
import { assertMetaKey, inferType, valueOfType } from '#shared/catalog/fields.ts';
import { effectiveMetadataIn, type FindOptions, type FoundFiles, findFilesIn } from '#shared/catalog/find.ts';
import type { CatalogEntry } from '#shared/catalog/keys.ts';
import { deleteFileEntry, markKeysBelow, writeMetadata } from '#shared/catalog/metadata-store.ts';
import type { MetaQuery, MetaType, MetaValue } from '#shared/catalog/query.ts';
import {
  addReplicaToEntry,
  type CatalogTable,
  declareField,
  ensureDirectories,
  getEntries,
  getEntry,
  readFields,
  removeReplicaFromEntry,
} from '#shared/catalog/store.ts';
import { assertInVo } from '#shared/data/access.ts';
import { directoriesAbove, parentDirectory } from '#shared/data/lfn.ts';
import { type Deps, tableName } from '#shared/deps.ts';
import { BadRequestError, ConflictError, NotFoundError } from '#shared/errors.ts';
import { deleteReplica, listReplicas, type ReplicaRecord, registerReplica } from '#shared/files/catalog.ts';

export type CatalogDeps = Pick<Deps, 'aws' | 'resources' | 'now'>;

/** Keys set in one request. */
export const maxKeysPerSet = 50;

export const catalogTable = (deps: CatalogDeps): CatalogTable => ({
  dynamo: deps.aws.dynamo,
  table: tableName(deps.resources, 'fileMetadata'),
});

/** The files of `vo` matching `query` (see find.ts for pages). */
export function findFiles(
  deps: CatalogDeps,
  vo: string,
  query: MetaQuery,
  options: FindOptions = {},
): Promise<FoundFiles> {
  return findFilesIn(catalogTable(deps), vo, query, options);
}

/** Each catalogued path's own metadata merged with what its directories hold. */
export function effectiveMetadata(
  deps: CatalogDeps,
  paths: readonly string[],
): Promise<Map<string, Record<string, MetaValue>>> {
  return effectiveMetadataIn(catalogTable(deps), paths);
}

/**
 * Registers a replica: the directories above it, the file's entry with its storage elements, its
 * metadata (if given) and the replica itself, then sends `fileChanged`. Bad metadata is refused
 * before anything is written.
 */
export async function registerFile(
  deps: CatalogDeps,
  identity: Identity,
  replica: ReplicaRecord,
  meta: Readonly<Record<string, MetaValue>> = {},
): Promise<void> {
  assertInVo(identity, replica.lfn);
  const catalog = catalogTable(deps);
  const now = deps.now().toISOString();
  const keys = Object.keys(meta);
  const fields = keys.length > 0 ? await readFields(catalog, identity.vo) : new Map<string, MetaType>();
  if (keys.length > 0) {
    validateValues(meta, fields, {});
    const existing = await getEntry(catalog, replica.lfn);
    await assertNotInheritedElsewhere(
      catalog,
      existing ?? { vo: identity.vo, path: replica.lfn, kind: 'file', meta: {}, version: 0, createdAt: now },
      keys,
      { mark: false },
    );
  }
  await ensureDirectories(catalog, identity.vo, parentDirectory(replica.lfn), now);
  const entry = await addReplicaToEntry(
    catalog,
    { vo: identity.vo, lfn: replica.lfn, se: replica.se, size: replica.size ?? 0 },
    now,
  );
  // The entry as written and the fields just read stand in for the first attempt's reads.
  if (keys.length > 0) await setMetadataQuietly(deps, identity, replica.lfn, meta, {}, { entry, fields });
  await registerReplica(deps.aws.dynamo, tableName(deps.resources, 'fileCatalog'), replica);
  await fileChanged(deps, identity.vo, [replica.lfn]);
}

/**
 * Removes the replicas of `lfn` on `se` (all of them when absent); with the last one, the file's
 * entry and its metadata go too. Returns the replicas removed, for their stored copies to go, and
 * how many are left.
 */
export async function removeFile(
  deps: CatalogDeps,
  identity: Identity,
  lfn: string,
  se?: string,
): Promise<{ removed: ReplicaRecord[]; left: number }> {
  assertInVo(identity, lfn);
  const catalog = catalogTable(deps);
  const replicasTable = tableName(deps.resources, 'fileCatalog');
  const all = (await listReplicas(deps.aws.dynamo, replicasTable, [lfn])).get(lfn) ?? [];
  const replicas = all.filter((replica) => se === undefined || replica.se === se);
  const entry = await getEntry(catalog, lfn);
  if (replicas.length === 0 && entry?.kind !== 'file') {
    const where = se === undefined ? '' : ` on ${se}`;
    throw new NotFoundError(`No replica of ${lfn}${where} is registered.`, 'data.not_found');
  }
  let remaining = entry;
  for (const replica of replicas) {
    await deleteReplica(deps.aws.dynamo, replicasTable, replica.lfn, replica.se);
    remaining = await removeReplicaFromEntry(catalog, lfn, replica.se);
  }
  if (remaining && remaining.kind === 'file' && (remaining.ses ?? []).length === 0) {
    await deleteFileEntry(catalog, remaining, await readFields(catalog, identity.vo));
  }
  return { removed: replicas, left: all.length - replicas.length };
}

/**
 * Sets metadata on a file or directory (DIRAC's setMetadata): values of known keys must be of
 * their type; a new key takes the type in `types`, or the one its value reads as. Sends
 * `fileChanged` or `directoryChanged`.
 */
export async function setMetadata(
  deps: CatalogDeps,
  identity: Identity,
  path: string,
  meta: Readonly<Record<string, MetaValue>>,
  types: Readonly<Record<string, MetaType>> = {},
): Promise<CatalogEntry> {
  const entry = await setMetadataQuietly(deps, identity, path, meta, types);
  if (entry.kind === 'file') await fileChanged(deps, identity.vo, [path]);
  else await directoryChanged(deps, identity.vo, path);
  return entry;
}

async function setMetadataQuietly(
  deps: CatalogDeps,
  identity: Identity,
  path: string,
  meta: Readonly<Record<string, MetaValue>>,
  explicit: Readonly<Record<string, MetaType>>,
  known?: { entry: CatalogEntry; fields: Map<string, MetaType> },
): Promise<CatalogEntry> {
  assertInVo(identity, path);
  const keys = Object.keys(meta);
  if (keys.length === 0) throw new BadRequestError('Give at least one key=value to set.');
  if (keys.length > maxKeysPerSet) throw new BadRequestError(`Set at most ${maxKeysPerSet} keys at once.`);
  for (const key of [...keys, ...Object.keys(explicit)]) assertMetaKey(key);
  const catalog = catalogTable(deps);
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const first = attempt === 0 ? known : undefined;
    const entry = first ? first.entry : await getEntry(catalog, path);
    if (!entry || entry.vo !== identity.vo) {
      throw new NotFoundError(
        `${path} is neither a file nor a directory of the catalog.`,
        'catalog.not_found',
      );
    }
    const fields = first ? new Map(first.fields) : await readFields(catalog, identity.vo);
    const wanted = validateValues(meta, fields, explicit);
    await assertNotInheritedElsewhere(catalog, entry, keys);
    // Only now, with the request known to be good, are new keys declared.
    for (const [key, type] of wanted) {
      if (fields.has(key)) continue;
      const declared = await declareField(catalog, identity.vo, key, type, deps.now().toISOString());
      fields.set(key, declared);
    }
    const typed = Object.fromEntries(
      keys.map((key) => [key, valueOfType(key, fields.get(key) as MetaType, meta[key] as MetaValue)]),
    );
    const next = { ...entry.meta, ...typed };
    if (await writeMetadata(catalog, entry, next, fields))
      return { ...entry, meta: next, version: entry.version + 1 };
  }
  throw new ConflictError(
    `The metadata of ${path} kept changing while it was set: try again.`,
    'catalog.busy',
  );
}

/** The type each key will have, the values checked against it (400s name the key and its type). */
function validateValues(
  meta: Readonly<Record<string, MetaValue>>,
  fields: ReadonlyMap<string, MetaType>,
  explicit: Readonly<Record<string, MetaType>>,
): Map<string, MetaType> {
  const wanted = new Map<string, MetaType>();
  for (const [key, value] of Object.entries(meta)) {
    assertMetaKey(key);
    const known = fields.get(key);
    const asked = explicit[key];
    if (known && asked && known !== asked) {
      throw new BadRequestError(
        `Metadata key "${key}" is already ${known === 'integer' ? 'an' : 'a'} ${known}; it cannot become ${asked}.`,
        {
          code: 'catalog.wrong_type',
        },
      );
    }
    const type = known ?? asked ?? inferType(value);
    valueOfType(key, type, value);
    wanted.set(key, type);
  }
  return wanted;
}

/**
 * A key may be set on a path only if no directory above it has it, and, for a directory, nothing
 * under it has it; the directories above then record that the key is used under them.
 */
async function assertNotInheritedElsewhere(
  catalog: CatalogTable,
  entry: CatalogEntry,
  keys: readonly string[],
  options = { mark: true },
): Promise<void> {
  const directories = await getEntries(catalog, directoriesAbove(entry.path));
  for (const directory of directories.values()) {
    const held = keys.filter((key) => key in directory.meta);
    if (held.length > 0) {
      throw new ConflictError(
        `${held.join(', ')} ${held.length > 1 ? 'are' : 'is'} set on ${directory.path}, which holds for everything under it; set ${held.length > 1 ? 'them' : 'it'} there, not on ${entry.path}.`,
        'catalog.metadata_inherited',
      );
    }
  }
  if (entry.kind === 'directory') {
    const below = keys.filter((key) => entry.below?.includes(key) && !(key in entry.meta));
    if (below.length > 0) {
      throw new ConflictError(
        `${below.join(', ')} ${below.length > 1 ? 'are' : 'is'} set on something under ${entry.path}; a directory's metadata would hold for it too.`,
        'catalog.metadata_below',
      );
    }
  }
  if (!options.mark) return;
  for (const directory of directories.values()) {
    const missing = keys.filter((key) => !directory.below?.includes(key));
    if (missing.length > 0) await markKeysBelow(catalog, directory.path, missing, entry.path);
  }
}

/** A path's own metadata, what it inherits and from where, and the types of the keys. */
export async function showMetadata(deps: CatalogDeps, identity: Identity, path: string) {
  assertInVo(identity, path);
  const catalog = catalogTable(deps);
  const entry = await getEntry(catalog, path);
  if (!entry || entry.vo !== identity.vo) {
    throw new NotFoundError(`${path} is neither a file nor a directory of the catalog.`, 'catalog.not_found');
  }
  const above = directoriesAbove(path);
  const directories = await getEntries(catalog, above);
  const types = await readFields(catalog, identity.vo);
  const inherited: Record<string, { value: MetaValue; from: string }> = {};
  for (const directory of above.reverse()) {
    for (const [key, value] of Object.entries(directories.get(directory)?.meta ?? {})) {
      inherited[key] = { value, from: directory };
    }
  }
  const keys = [...Object.keys(entry.meta), ...Object.keys(inherited)];
  return {
    Path: path,
    Kind: entry.kind,
    Metadata: entry.meta,
    Inherited: inherited,
    Types: Object.fromEntries(keys.map((key) => [key, types.get(key) ?? 'string'])),
  };
}
