/**
 * Running limits and matching delays (DIRAC's Limiter), kept without any item that every match
 * writes.
 *
 * - Running limits: jobs in Running, Matched and Stalled are counted per site and job type from
 *   the jobs table's byStatus index, once per `runningCountCacheSeconds` per instance and VO, and
 *   only for VOs with limits at the requesting site. Matches this instance made since the count
 *   are added, so one instance does not overshoot between counts (DIRAC v9.0.28's fix). Other
 *   instances' matches show up at the next count: a limit may be exceeded by what the other
 *   instances match within one cache period.
 * - Matching delays: after a match of a job type at a site, that type is excluded there for the
 *   delay. Per instance and in memory, as DIRAC keeps them per Matcher process.
 */
import { type DynamoDBDocumentClient, paginateQuery } from '@aws-sdk/lib-dynamodb';
import type { MuonConfig } from '#shared/config/schema.ts';
import type { JobStatus } from '#shared/jobs/status.ts';
import { statusPartitions } from '#shared/jobs/store/keys.ts';
import type { Exclusion } from '#shared/matcher/predicate.ts';

const occupying: readonly JobStatus[] = ['Running', 'Matched', 'Stalled'];

interface Snapshot {
  readonly expires: number;
  readonly counts: Map<string, number>;
}

const slot = (site: string, jobType: string) => `${site}\u0000${jobType}`;

export interface LimiterDeps {
  readonly config: MuonConfig;
  readonly dynamo: DynamoDBDocumentClient;
  readonly jobsTable: string;
  readonly now: () => Date;
}

export function createLimiter(deps: LimiterDeps) {
  const { runningLimits, matchingDelays, runningCountCacheSeconds } = deps.config.matcher;
  const snapshots = new Map<string, Snapshot>();
  const delayedUntil = new Map<string, number>();
  // Requests that arrive while a count is running share it.
  const counting = new Map<string, Promise<Map<string, number>>>();

  async function runningCounts(vo: string): Promise<Map<string, number>> {
    const now = deps.now().getTime();
    const current = snapshots.get(vo);
    if (current && current.expires > now) return current.counts;
    let pending = counting.get(vo);
    if (!pending) {
      pending = countOccupying(deps.dynamo, deps.jobsTable, vo).finally(() => counting.delete(vo));
      counting.set(vo, pending);
    }
    const counts = await pending;
    snapshots.set(vo, { expires: now + runningCountCacheSeconds * 1000, counts });
    return counts;
  }

  return {
    /** The job types a pilot at `site` must not get now. */
    async exclusions(vo: string, site: string): Promise<Exclusion[]> {
      const out: Exclusion[] = [];
      const limits = runningLimits[site];
      if (limits && Object.keys(limits).length > 0) {
        const counts = await runningCounts(vo);
        for (const [jobType, limit] of Object.entries(limits)) {
          const running = counts.get(slot(site, jobType)) ?? 0;
          if (running >= limit) {
            out.push({
              jobType,
              reason: `site ${site} runs ${running} ${jobType} jobs, its limit is ${limit}`,
            });
          }
        }
      }
      const now = deps.now().getTime();
      for (const jobType of Object.keys(matchingDelays[site] ?? {})) {
        const until = delayedUntil.get(slot(site, jobType)) ?? 0;
        if (until > now) {
          const seconds = Math.ceil((until - now) / 1000);
          out.push({
            jobType,
            reason: `site ${site} takes its next ${jobType} job in ${seconds} s (matching delay)`,
          });
        }
      }
      return out;
    },
    /** Counts a match until the next count, and starts the site's matching delay. */
    recordMatch(vo: string, site: string, jobType: string): void {
      const snapshot = snapshots.get(vo);
      if (snapshot)
        snapshot.counts.set(slot(site, jobType), (snapshot.counts.get(slot(site, jobType)) ?? 0) + 1);
      const delay = matchingDelays[site]?.[jobType];
      if (delay !== undefined) delayedUntil.set(slot(site, jobType), deps.now().getTime() + delay * 1000);
    },
  };
}
export type Limiter = ReturnType<typeof createLimiter>;

async function countOccupying(dynamo: DynamoDBDocumentClient, table: string, vo: string) {
  const counts = new Map<string, number>();
  // Every shard of every occupying status (the byStatus index is write-sharded, store/keys.ts),
  // read at once: the shards are independent partitions.
  const partitions = occupying.flatMap((status) => statusPartitions(vo, status));
  await Promise.all(
    partitions.map(async (partition) => {
      const pages = paginateQuery(
        { client: dynamo },
        {
          TableName: table,
          IndexName: 'byStatus',
          KeyConditionExpression: '#statusKey = :key',
          ExpressionAttributeValues: { ':key': partition },
          ProjectionExpression: '#site, #jobType',
          ExpressionAttributeNames: { '#site': 'site', '#jobType': 'jobType', '#statusKey': 'statusKey' },
        },
      );
      for await (const page of pages) {
        for (const item of page.Items ?? []) {
          const key = slot(String(item.site), String(item.jobType));
          counts.set(key, (counts.get(key) ?? 0) + 1);
        }
      }
    }),
  );
  return counts;
}
