/**
 * Choosing where to look for a job. DIRAC orders matching task queues by `RAND() / Priority` and
 * a task queue's jobs by `RAND() / RealPriority`; muon draws the same kind of weighted random
 * order, but exactly proportional to the weights (Efraimidis–Spirakis keys `u^(1/w)`), so a task
 * queue with twice the priority comes first twice as often.
 */
import { minimumShare, realPriority } from '#shared/taskqueues/priorities.ts';

export type Random = () => number;

/** `items` in a random order where each comes first with probability weight / total weight. */
export function weightedOrder<T>(items: readonly T[], weight: (item: T) => number, random: Random): T[] {
  return items
    .map((item) => ({ item, key: Math.log(random() || Number.MIN_VALUE) / Math.max(weight(item), 1e-12) }))
    .sort((a, b) => b.key - a.key)
    .map(({ item }) => item);
}

/**
 * The order of `weightedOrder`, drawn lazily: a request usually claims from the first task queue
 * it tries, so the first few come from a scan for the largest key each, and only a request that
 * gets past them sorts the rest. The same keys, so the same order and the same probabilities; the
 * cost of the first try is one pass over the matching task queues instead of a sort (issue 14's
 * 5,000 task queues match a pilot by the thousand).
 */
export function* weightedSequence<T>(
  items: readonly T[],
  weight: (item: T) => number,
  random: Random,
  scanned = 4,
): Generator<T> {
  const keyed = items.map((item) => ({
    item,
    key: Math.log(random() || Number.MIN_VALUE) / Math.max(weight(item), 1e-12),
  }));
  for (let n = 0; n < scanned && keyed.length > 0; n += 1) {
    let best = 0;
    for (let i = 1; i < keyed.length; i += 1) if ((keyed[i]?.key ?? 0) > (keyed[best]?.key ?? 0)) best = i;
    const [taken] = keyed.splice(best, 1);
    if (taken) yield taken.item;
  }
  keyed.sort((a, b) => b.key - a.key);
  for (const { item } of keyed) yield item;
}

/** A task queue's weight: its fair-share priority, or the minimum before the agent's first run. */
export const taskQueueWeight = (tq: { priority?: number }): number => tq.priority ?? minimumShare;

/**
 * The user priority whose jobs to take from a task queue. DIRAC's special values are kept strict:
 * priority-10 jobs always go first, priority-0 jobs only when nothing else waits; levels 1..9
 * share the pilots by jobs × priority (DIRAC's `ORDER BY RAND()/RealPriority` over the jobs). A
 * single level 1..9 is that level, so that its entries are kept for later requests (find.ts).
 * Undefined (take the best rank, read afresh) without the agent's counts, or with a level 0 or 10.
 */
export function choosePriority(
  levels: Readonly<Record<string, number>> | undefined,
  random: Random,
): number | undefined {
  if (!levels) return undefined;
  const present = Object.entries(levels)
    .filter(([, count]) => count > 0)
    .map(([priority, count]) => ({ priority: Number(priority), count }));
  if (present.length === 0 || present.some((level) => level.priority >= 10)) return undefined;
  if (present.length === 1) {
    const only = present[0]?.priority as number;
    return only > 0 ? only : undefined;
  }
  const weighted = present.filter((level) => level.priority > 0);
  const [first] = weightedOrder(weighted, (level) => level.count * realPriority(level.priority), random);
  return first?.priority;
}

/** Every shard of a task queue once, starting at a random one. */
export function shardOrder(shards: number, random: Random): number[] {
  const start = Math.floor(random() * shards);
  return Array.from({ length: shards }, (_, i) => (start + i) % shards);
}
