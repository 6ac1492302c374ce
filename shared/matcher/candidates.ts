/**
 * Candidate entries a matcher instance keeps in memory (issue 14; DIRAC's Matcher reads the
 * TaskQueueDB on every request): per task-queue shard and priority level, the entries one read
 * returned beyond the one a request needed, for the next requests of this instance to try
 * without a read. One read per key at a time fills it (concurrent requests share that read), and
 * each entry is handed to one request only, so requests of one instance never race each other
 * for a job. Entries are hints like the catalogue: a kept entry may be stale (another instance
 * claimed its job, it was killed), which the claim's condition catches; an empty or expired key
 * is read again; and "no match" is still only answered after reading the store (find.ts).
 * Entries of jobs this instance claimed lately are left out of later reads, since their batched
 * deletion (entry-removals.ts) may not have landed yet. One read of a whole shard fills the keys
 * of every level it holds (`offer`), so a cold shard costs one read, not one per level; a key
 * whose read held all of its level is not read again once handed out, until it expires (the
 * agent's counts may still name a level this shard has run out of), unless a claim from it failed.
 */
import type { Random } from '#shared/matcher/select.ts';
import type { TaskQueueEntry } from '#shared/taskqueues/entries.ts';

export interface CandidatesDeps {
  readonly now: () => number;
  /** How long kept entries are trusted. */
  readonly keepMs: number;
  /** At most this many entries kept in all; past it the oldest keys are dropped. */
  readonly limit: number;
}

interface Kept {
  readonly until: number;
  readonly entries: TaskQueueEntry[];
  /** The read held every entry of the level: once handed out, there is nothing more to read. */
  complete: boolean;
}

/** What a read of one level returned, and whether that was all of the level. */
export interface LevelRead {
  readonly entries: readonly TaskQueueEntry[];
  readonly complete: boolean;
}

/** How long a claimed job's id is left out of reads: longer than a batched deletion takes. */
const claimedMs = 10_000;

export function createCandidateEntries(deps: CandidatesDeps) {
  const kept = new Map<string, Kept>();
  const filling = new Map<string, Promise<void>>();
  // Reads of whole shards under way, shared by the requests for any of their levels.
  const shardReads = new Map<string, Promise<unknown>>();
  const claimed = new Map<number, number>();
  // Entries handed to a request whose claim has not ended: a read meanwhile must not hand them again.
  // (by job id, with the key it came from, so that a failed claim makes that key worth a read again)
  const handed = new Map<number, string>();
  let size = 0;

  const key = (tqId: string, shard: number, level: number) => `${tqId}#${shard}#${level}`;

  function drop(k: string) {
    const old = kept.get(k);
    if (old) size -= old.entries.length;
    kept.delete(k);
  }

  function recentlyClaimed(jobId: number, now: number): boolean {
    const until = claimed.get(jobId);
    if (until === undefined) return false;
    if (until > now) return true;
    claimed.delete(jobId);
    return false;
  }

  /** Keeps what a read returned, less entries handed out or claimed lately. */
  function store(k: string, entries: readonly TaskQueueEntry[], complete: boolean) {
    const at = deps.now();
    drop(k);
    const usable = entries.filter((entry) => !handed.has(entry.jobId) && !recentlyClaimed(entry.jobId, at));
    if (size + usable.length > deps.limit) {
      kept.clear();
      size = 0;
    }
    kept.set(k, { until: at + deps.keepMs, entries: usable, complete });
    size += usable.length;
  }

  return {
    /**
     * One entry of the key for this request, drawn at random among the first `spread` (so that
     * instances racing for the same shard rarely want the same job). When nothing fresh is kept
     * it reads the store through `read`, once per `request` (its `read` is set then), sharing a
     * read already under way; undefined when there is nothing left for this request to try.
     */
    async take(
      tqId: string,
      shard: number,
      level: number,
      read: () => Promise<LevelRead>,
      request: { readonly skip: (entry: TaskQueueEntry) => boolean; read: boolean },
      random: Random,
      spread: number,
    ): Promise<TaskQueueEntry | undefined> {
      const k = key(tqId, shard, level);
      const skip = request.skip;
      for (;;) {
        const now = deps.now();
        const current = kept.get(k);
        if (current && current.until <= now) drop(k);
        const known = kept.get(k);
        const fresh = kept.get(k)?.entries.filter((entry) => !skip(entry)) ?? [];
        if (fresh.length > 0) {
          const entry = fresh[Math.floor(random() * Math.min(spread, fresh.length))] as TaskQueueEntry;
          const entries = kept.get(k)?.entries ?? [];
          entries.splice(entries.indexOf(entry), 1);
          size -= 1;
          handed.set(entry.jobId, k);
          return entry;
        }
        // A complete read handed out: until it expires no read can find more of the level.
        if (request.read || known?.complete) return undefined;
        request.read = true;
        let fill = filling.get(k);
        if (!fill) {
          fill = read()
            .then(({ entries, complete }) => store(k, entries, complete))
            .finally(() => filling.delete(k));
          filling.set(k, fill);
        }
        await fill;
      }
    },
    /**
     * Entries of another level that a read of the whole shard returned (find.ts), kept unless
     * the key holds fresh entries or is being read: the next request for that level needs no read.
     */
    offer(tqId: string, shard: number, level: number, levelRead: LevelRead): void {
      const k = key(tqId, shard, level);
      const current = kept.get(k);
      if (filling.has(k) || (current && current.until > deps.now() && current.entries.length > 0)) return;
      store(k, levelRead.entries, levelRead.complete);
    },
    /** The job was claimed by this instance: its entry is not handed out again from a read. */
    claimed(jobId: number): void {
      handed.delete(jobId);
      if (claimed.size > 100_000) claimed.clear();
      claimed.set(jobId, deps.now() + claimedMs);
    },
    /** The claim of a handed-out entry failed: a later read may hand it out again. */
    released(jobId: number): void {
      const from = kept.get(handed.get(jobId) ?? '');
      if (from) from.complete = false;
      handed.delete(jobId);
    },
    /** Whether fresh entries of the key are kept: a request tries such a shard first (no read). */
    stocked(tqId: string, shard: number, level: number): boolean {
      const current = kept.get(key(tqId, shard, level));
      return current !== undefined && current.until > deps.now() && current.entries.length > 0;
    },
    /** One read of the whole shard at a time: a request that needs it meanwhile shares it. */
    readShard<T>(tqId: string, shard: number, read: () => Promise<T>): Promise<T> {
      const k = `${tqId}#${shard}`;
      let pending = shardReads.get(k) as Promise<T> | undefined;
      if (!pending) {
        pending = read().finally(() => shardReads.delete(k));
        shardReads.set(k, pending);
      }
      return pending;
    },
    /** The levels of a shard with fresh entries kept, highest priority first. */
    stockedLevels(tqId: string, shard: number): number[] {
      const now = deps.now();
      const levels: number[] = [];
      // User priorities are 0-10 (taskqueues/keys.ts clamps them): eleven lookups, no scan.
      for (let level = 10; level >= 0; level -= 1) {
        const current = kept.get(key(tqId, shard, level));
        if (current && current.until > now && current.entries.length > 0) levels.push(level);
      }
      return levels;
    },
    /** Forgets what is kept for a shard (found empty). */
    forget(tqId: string, shard: number, level: number): void {
      drop(key(tqId, shard, level));
    },
  };
}
export type CandidateEntries = ReturnType<typeof createCandidateEntries>;
