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
 * deletion (entry-removals.ts) may not have landed yet.
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
}

/** How long a claimed job's id is left out of reads: longer than a batched deletion takes. */
const claimedMs = 10_000;

export function createCandidateEntries(deps: CandidatesDeps) {
  const kept = new Map<string, Kept>();
  const filling = new Map<string, Promise<void>>();
  const claimed = new Map<number, number>();
  // Entries handed to a request whose claim has not ended: a read meanwhile must not hand them again.
  const handed = new Set<number>();
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
      read: () => Promise<TaskQueueEntry[]>,
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
        const fresh = kept.get(k)?.entries.filter((entry) => !skip(entry)) ?? [];
        if (fresh.length > 0) {
          const entry = fresh[Math.floor(random() * Math.min(spread, fresh.length))] as TaskQueueEntry;
          const entries = kept.get(k)?.entries ?? [];
          entries.splice(entries.indexOf(entry), 1);
          size -= 1;
          handed.add(entry.jobId);
          return entry;
        }
        if (request.read) return undefined;
        request.read = true;
        let fill = filling.get(k);
        if (!fill) {
          fill = read()
            .then((entries) => {
              const at = deps.now();
              drop(k);
              const usable = entries.filter(
                (entry) => !handed.has(entry.jobId) && !recentlyClaimed(entry.jobId, at),
              );
              if (size + usable.length > deps.limit) {
                kept.clear();
                size = 0;
              }
              kept.set(k, { until: at + deps.keepMs, entries: usable });
              size += usable.length;
            })
            .finally(() => filling.delete(k));
          filling.set(k, fill);
        }
        await fill;
      }
    },
    /** The job was claimed by this instance: its entry is not handed out again from a read. */
    claimed(jobId: number): void {
      handed.delete(jobId);
      if (claimed.size > 100_000) claimed.clear();
      claimed.set(jobId, deps.now() + claimedMs);
    },
    /** The claim of a handed-out entry failed: a later read may hand it out again. */
    released(jobId: number): void {
      handed.delete(jobId);
    },
    /** Whether fresh entries of the key are kept: a request tries such a shard first (no read). */
    stocked(tqId: string, shard: number, level: number): boolean {
      const current = kept.get(key(tqId, shard, level));
      return current !== undefined && current.until > deps.now() && current.entries.length > 0;
    },
    /** Forgets what is kept for a shard (found empty). */
    forget(tqId: string, shard: number, level: number): void {
      drop(key(tqId, shard, level));
    },
  };
}
export type CandidateEntries = ReturnType<typeof createCandidateEntries>;
