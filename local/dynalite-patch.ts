/**
 * A fix for dynalite 4.0.0's query and scan streams, applied when the embedded runtime loads it.
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
 */
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';

const require = createRequire(import.meta.url);

interface LevelIterator {
  next(): Promise<unknown>;
  close(): Promise<void>;
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
  const dbModule = require('dynalite/db') as { create: (options: unknown) => { db: StreamingDb } };
  const create = dbModule.create;
  dbModule.create = (options) => {
    const store = create(options);
    closeIteratorsOf(store.db);
    return store;
  };
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
