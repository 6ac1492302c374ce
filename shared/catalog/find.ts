/**
 * DIRAC's `findFilesByMetadata`: the files whose effective metadata (their own, and what the
 * directories above them hold) satisfies every condition of a query.
 *
 * The index of one condition (drivingCondition) is read, every shard in parallel; each hit carries
 * its own metadata, and the directories above the hits are read once per page, so the other
 * conditions are checked without a read per file. A hit on a directory stands for every file
 * under it, which are listed. Pages: `next` is the position of every unfinished shard.
 */
import { createHash } from 'node:crypto';
import { typedQuery } from '#shared/catalog/fields.ts';
import {
  type IndexSource,
  indexSources,
  readSource,
  smallestCondition,
} from '#shared/catalog/index-query.ts';
import type { CatalogEntry, IndexHit } from '#shared/catalog/keys.ts';
import {
  type Condition,
  formatQuery,
  type MetaQuery,
  type MetaType,
  type MetaValue,
  matches,
} from '#shared/catalog/query.ts';
import { type CatalogTable, getEntries, listChildren, readFields } from '#shared/catalog/store.ts';
import { mapLimited } from '#shared/concurrency.ts';
import { isWithin, parentDirectory } from '#shared/data/lfn.ts';
import { BadRequestError } from '#shared/errors.ts';

export interface FindOptions {
  /** LFNs read from the index per page, across its shards (a matched directory adds its files). */
  readonly limit?: number;
  /** The `next` of the previous page. */
  readonly start?: string;
  /** Only files under this directory. */
  readonly path?: string;
}

export interface FoundFiles {
  readonly lfns: string[];
  /** Present when more may follow: pass it back as `start`. */
  readonly next?: string;
}

export const defaultFindLimit = 10_000;

export async function findFilesIn(
  catalog: CatalogTable,
  vo: string,
  query: MetaQuery,
  options: FindOptions = {},
): Promise<FoundFiles> {
  const types = await readFields(catalog, vo);
  const typed = typedQuery(query, types);
  // A key no file of the VO has yet: nothing matches (a transformation may wait for it).
  if (!typed) return { lfns: [] };
  const fingerprint = queryFingerprint(vo, typed, options.path);
  const cursor = decodeCursor(options.start, fingerprint, typed.length);
  // Chosen once, on the first page; the cursor keeps it for the others.
  const drivingIndex = cursor?.d ?? (await smallestCondition(catalog, vo, typed, types));
  const driving = typed[drivingIndex] as Condition;
  const sources = indexSources(vo, driving, types.get(driving.key) as MetaType);
  const pending = cursor
    ? checkedPending(cursor.p, sources.length)
    : sources.map((_, i) => [i, null] as Cursor[number]);
  const limit = options.limit ?? defaultFindLimit;
  const perSource = Math.max(1, Math.ceil(limit / pending.length));

  const pages = await mapLimited(pending, 32, ([index, start]) =>
    readSource(catalog, sources[index] as IndexSource, perSource, start ?? undefined),
  );
  const next = pending.flatMap(([index], i) => {
    const after = pages[i]?.next;
    return after ? [[index, after] as Cursor[number]] : [];
  });
  const hits = pages.flatMap((page) => page.hits);
  // Files outside `path` are dropped before their directories' metadata is read.
  const files = (await expandDirectories(catalog, hits, options.path)).filter(
    (file) => options.path === undefined || isWithin(file.path, options.path),
  );
  const inherited = await inheritedMetadata(
    catalog,
    files.map((file) => parentDirectory(file.path)),
  );
  const lfns = files
    .filter((file) => matches(typed, { ...inherited.get(parentDirectory(file.path)), ...file.meta }))
    .map((file) => file.path);
  return next.length > 0 ? { lfns, next: encodeCursor(fingerprint, drivingIndex, next) } : { lfns };
}

/** Files hit directly, and every file under a directory hit (within `path`, if given). */
async function expandDirectories(
  catalog: CatalogTable,
  hits: readonly IndexHit[],
  path: string | undefined,
): Promise<IndexHit[]> {
  const files = hits.filter((hit) => hit.kind === 'file');
  for (const hit of hits) {
    if (hit.kind !== 'directory') continue;
    if (path !== undefined && !isWithin(hit.path, path) && !isWithin(path, hit.path)) continue;
    const root = path !== undefined && isWithin(path, hit.path) ? path : hit.path;
    const directories = [root];
    while (directories.length > 0) {
      const directory = directories.pop() as string;
      let start: Record<string, unknown> | undefined;
      do {
        const page = await listChildren(catalog, directory, 1000, start);
        for (const entry of page.entries) {
          if (entry.kind === 'directory') directories.push(entry.path);
          else files.push({ path: entry.path, kind: 'file', meta: entry.meta });
        }
        start = page.next;
      } while (start);
    }
  }
  return files;
}

/**
 * What each of `directories` holds from itself and the directories above it: a key is set at one
 * level only, so the union is the answer.
 */
export async function inheritedMetadata(
  catalog: CatalogTable,
  directories: readonly string[],
): Promise<Map<string, Record<string, MetaValue>>> {
  const wanted = new Set<string>();
  for (const directory of new Set(directories)) {
    for (let path = directory; path !== '/' && !wanted.has(path); path = parentDirectory(path))
      wanted.add(path);
  }
  const entries = await getEntries(catalog, [...wanted]);
  const merged = new Map<string, Record<string, MetaValue>>([['/', {}]]);
  const of = (path: string): Record<string, MetaValue> => {
    const known = merged.get(path);
    if (known) return known;
    const value = { ...of(parentDirectory(path)), ...(entries.get(path)?.meta ?? {}) };
    merged.set(path, value);
    return value;
  };
  for (const directory of wanted) of(directory);
  return merged;
}

/** Each path's own metadata merged with its directories'; paths not in the catalog are left out. */
export async function effectiveMetadataIn(
  catalog: CatalogTable,
  paths: readonly string[],
): Promise<Map<string, Record<string, MetaValue>>> {
  const entries: Map<string, CatalogEntry> = await getEntries(catalog, paths);
  const inherited = await inheritedMetadata(catalog, [...entries.keys()].map(parentDirectory));
  return new Map(
    [...entries].map(([path, entry]) => [path, { ...inherited.get(parentDirectory(path)), ...entry.meta }]),
  );
}

type Cursor = [number, Record<string, unknown> | null][];

const queryFingerprint = (vo: string, query: MetaQuery, path: string | undefined) =>
  createHash('sha256')
    .update(JSON.stringify([vo, formatQuery(query), path ?? '']))
    .digest('base64url')
    .slice(0, 16);

const encodeCursor = (fingerprint: string, driving: number, pending: Cursor): string =>
  Buffer.from(JSON.stringify({ q: fingerprint, d: driving, p: pending })).toString('base64url');

const badCursor = () =>
  new BadRequestError('"next" is not a page of this query: pass back the "next" it gave.');

/** The driving condition and the unfinished sources of a `next`; undefined on the first page. */
function decodeCursor(
  start: string | undefined,
  fingerprint: string,
  conditions: number,
): { d: number; p: unknown } | undefined {
  if (start === undefined) return undefined;
  let cursor: unknown;
  try {
    cursor = JSON.parse(Buffer.from(start, 'base64url').toString('utf8'));
  } catch {
    cursor = undefined;
  }
  const { q, d, p } = (cursor ?? {}) as { q?: unknown; d?: unknown; p?: unknown };
  if (q !== fingerprint || !Number.isInteger(d) || (d as number) < 0 || (d as number) >= conditions) {
    throw badCursor();
  }
  return { d: d as number, p };
}

function checkedPending(p: unknown, sources: number): Cursor {
  const valid =
    Array.isArray(p) &&
    p.length > 0 &&
    p.every(
      (item) =>
        Array.isArray(item) &&
        Number.isInteger(item[0]) &&
        item[0] >= 0 &&
        item[0] < sources &&
        (item[1] === null || (typeof item[1] === 'object' && typeof item[1].pk === 'string')),
    );
  if (!valid) throw badCursor();
  return p as Cursor;
}
