/**
 * The task queues of a listing that match a resource, worked out once per listing and resource
 * (DIRAC builds the same SQL predicate per request; here a request tested every task queue of its
 * VO, 500 in the benchmark and 5,000 at issue 14's large backlog, and that was a tenth of the
 * matcher's CPU). Pilots of one site and computing element send the same description, so a few
 * descriptions cover most requests.
 *
 * Safe because it only remembers the predicate's answer: the key is the whole normalised
 * description with the Limiter's exclusions, and the listing it was computed on is the catalogue's
 * own array (catalogue.ts), so a new listing (every `taskQueueCacheSeconds`, or the second pass
 * before "no match") is judged afresh. Bounded: listings are weakly held (gone with the
 * catalogue's view), and at most `limit` descriptions per listing are kept.
 */
import type { Exclusion } from '#shared/matcher/predicate.ts';
import { taskQueueMatches } from '#shared/matcher/predicate.ts';
import type { ResourceDescription } from '#shared/matcher/resource-description.ts';
import type { TaskQueueItem } from '#shared/taskqueues/store.ts';

export function createMatchingQueues(limit = 1_000) {
  const byListing = new WeakMap<readonly TaskQueueItem[], Map<string, readonly TaskQueueItem[]>>();
  return (
    queues: readonly TaskQueueItem[],
    resource: ResourceDescription,
    exclusions: readonly Exclusion[],
  ): readonly TaskQueueItem[] => {
    let known = byListing.get(queues);
    if (!known) {
      known = new Map();
      byListing.set(queues, known);
    }
    const key = JSON.stringify([resource, exclusions]);
    let matching = known.get(key);
    if (!matching) {
      matching = queues.filter((tq) => taskQueueMatches(tq.definition, resource, exclusions));
      if (known.size >= limit) known.clear();
      known.set(key, matching);
    }
    return matching;
  };
}
export type MatchingQueues = ReturnType<typeof createMatchingQueues>;
