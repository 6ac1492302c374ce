/**
 * Two changes to dynalite 4.0.0, applied when the embedded runtime loads it: a fix for its query
 * and scan streams, and a cache of table descriptions.
 *
 * dynalite reads a range through `db.values()` / `db.keys()` (abstract-level 3) wrapped in a
 * stream whose `destroy` calls `iterator.return()`, a method abstract-level iterators do not have,
 * and which never closes the iterator when the range ends either. Every Query and Scan therefore
 * left a LevelDB iterator open, and with it a snapshot, its read buffers and the JS objects around
 * them: the DynamoDB emulator grew by tens of megabytes per thousand queries (the matcher queries
 * its task queues for every match request) and never gave the memory back, even idle, because the
 * iterators were still open. Here the same streams close their iterator when the range ends or the
 * stream is destroyed. There is no newer dynalite to move to (4.0.0 is the latest), so the fix is
 * ours; docs/performance.md has the measurements.
 *
 * The cache: every item operation first reads its table's description from LevelDB (a get and a
 * JSON decode of a few kilobytes), about a sixth of the emulator's CPU in `npm run bench:e2e`.
 * The description changes only through dynalite's own `tableDb.put` and `del` (CreateTable,
 * UpdateTable, DeleteTable and their status timers), so the cache sits on those: a write drops the
 * entry, and a read that raced a write is not kept. Each read decodes its own copy, since
 * UpdateTable and DeleteTable change the object they read before writing it back. One emulator
 * process owns its LevelDB directory (LevelDB's lock), so no other writer can stale it; the
 * bound is the number of tables.
 */
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';

const require = createRequire(import.meta.url);

interface LevelIterator {
  next(): Promise<unknown>;
  close(): Promise<void>;
}
type Callback<T> = (error: Error | null | undefined, value?: T) => void;
interface TableDb {
  get(key: string, callback: Callback<unknown>): void;
  put(key: string, value: unknown, callback: Callback<void>): void;
  del(key: string, callback: Callback<void>): void;
}
interface StreamingDb {
  keys(options: unknown): LevelIterator;
  values(options: unknown): LevelIterator;
  createKeyStream?: (options: unknown) => Readable;
  createValueStream?: (options: unknown) => Readable;
}

let patched = false;

/** Makes every dynalite store created from now on close its iterators. Idempotent. */
export function patchDynaliteIterators(): void {
  if (patched) return;
  patched = true;
  const dbModule = require('dynalite/db') as {
    create: (options: unknown) => { db: StreamingDb; tableDb: TableDb };
  };
  const create = dbModule.create;
  dbModule.create = (options) => {
    const store = create(options);
    closeIteratorsOf(store.db);
    cacheTablesOf(store.tableDb);
    return store;
  };
}

/** Table descriptions kept as JSON, read from LevelDB only after a write (see the header). */
export function cacheTablesOf(tableDb: TableDb): void {
  const cached = new Map<string, string>();
  // Bumped when a write starts and when it ends: a read that saw either does not fill the cache.
  let writes = 0;
  const { get, put, del } = tableDb;
  tableDb.get = (key, callback) => {
    const json = cached.get(key);
    if (json !== undefined) {
      process.nextTick(callback, null, JSON.parse(json));
      return;
    }
    const seen = writes;
    get.call(tableDb, key, (error, value) => {
      if (!error && value && typeof value === 'object' && seen === writes)
        cached.set(key, JSON.stringify(value));
      callback(error, value);
    });
  };
  const written =
    (write: (key: string, callback: Callback<void>) => void) => (key: string, callback: Callback<void>) => {
      writes += 1;
      cached.delete(key);
      write(key, (error) => {
        writes += 1;
        cached.delete(key);
        callback(error);
      });
    };
  tableDb.put = (key, value, callback) =>
    written((k, done) => put.call(tableDb, k, value, done))(key, callback);
  tableDb.del = (key, callback) => written((k, done) => del.call(tableDb, k, done))(key, callback);
}

function closeIteratorsOf(db: StreamingDb): void {
  db.createKeyStream = (options) => iteratorStream(db.keys(options));
  db.createValueStream = (options) => iteratorStream(db.values(options));
}

/** A stream of the iterator's entries that closes the iterator at the end or when destroyed. */
export function iteratorStream(iterator: LevelIterator): Readable {
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= iterator.close().catch(() => undefined);
    return closing;
  };
  return new Readable({
    objectMode: true,
    read() {
      iterator.next().then(
        (value) => {
          if (value !== undefined) {
            this.push(value);
            return;
          }
          void close().then(() => this.push(null));
        },
        (error: Error) => this.destroy(error),
      );
    },
    destroy(error, callback) {
      void close().then(() => callback(error));
    },
  });
}
