/**
 * Every key of the taskQueues table is built here and nowhere else.
 *
 * - Task queue definition: `TQ#<tqId>` / `DEF`, with `voKey` `VO#<vo>` so the byVo index lists a
 *   VO's task queues.
 * - Entry (one waiting job): `TQ#<tqId>#<jobId % entryShards>` / `<rank>#<jobId, 12 digits>`. The
 *   shards spread a big task queue over several partitions; inside a shard entries sort by
 *   priority rank (00 is priority 10), then oldest job first.
 * - Recently seen pilot: `PILOTS#<vo>` / `<site>#<gridCE>`, one item per site and computing element.
 */

export const entryShards = 8;

/** Higher priority sorts first: rank 00 is priority 10, rank 10 is priority 0. */
export const priorityRank = (priority: number): string =>
  String(10 - clampPriority(priority)).padStart(2, '0');

export const clampPriority = (priority: number): number => Math.max(0, Math.min(10, Math.round(priority)));

export const shardOf = (jobId: number): number => jobId % entryShards;

export const taskQueueKeys = {
  definition: (tqId: string) => ({ pk: `TQ#${tqId}`, sk: 'DEF' }),
  shard: (tqId: string, shard: number) => `TQ#${tqId}#${shard}`,
  entry: (tqId: string, jobId: number, priority: number) => ({
    pk: taskQueueKeys.shard(tqId, shardOf(jobId)),
    sk: `${priorityRank(priority)}#${String(jobId).padStart(12, '0')}`,
  }),
  rankPrefix: (priority: number) => `${priorityRank(priority)}#`,
  voKey: (vo: string) => `VO#${vo}`,
  pilots: (vo: string) => `PILOTS#${vo}`,
  pilot: (vo: string, site: string, gridCE: string) => ({ pk: `PILOTS#${vo}`, sk: `${site}#${gridCE}` }),
};

/** The job id and priority an entry's sort key carries. */
export function parseEntrySortKey(sk: string): { priority: number; jobId: number } {
  const [rank, id] = sk.split('#');
  return { priority: 10 - Number(rank), jobId: Number(id) };
}
