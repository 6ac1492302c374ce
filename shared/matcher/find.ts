/**
 * Finding and claiming one job for a resource (DIRAC's `matchAndGetJob`): task queues that match
 * in a priority-weighted random order; in each, a random shard; in it, the first few entries of a
 * priority level chosen by weight; one of them at random (so racing pilots rarely want the same
 * entry); then the claim. A lost race or a stale entry moves on, up to `maxLostRaces` losses.
 */
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { JobRecord } from '#shared/jobs/model.ts';
import { jobKey } from '#shared/jobs/store/keys.ts';
import { claimJob } from '#shared/jobs/transitions/match.ts';
import type { TaskQueueCatalogue } from '#shared/matcher/catalogue.ts';
import type { EntryRemovals } from '#shared/matcher/entry-removals.ts';
import {
  choosePriority,
  type Random,
  shardOrder,
  taskQueueWeight,
  weightedOrder,
} from '#shared/matcher/select.ts';
import { readEntries, removeEntryAsRead, type TaskQueueEntry } from '#shared/taskqueues/entries.ts';
import { entryShards } from '#shared/taskqueues/keys.ts';
import type { TaskQueueItem } from '#shared/taskqueues/store.ts';

/** Entries read per shard: enough to spread racing pilots, few enough to stay one small read. */
const entriesPerRead = 5;
/** Shard reads per request, bounding the work of one request over many empty shards. */
const maxReads = 24;

export interface FindDeps {
  readonly dynamo: DynamoDBDocumentClient;
  readonly jobsTable: string;
  readonly taskQueuesTable: string;
  readonly catalogue: TaskQueueCatalogue;
  readonly removeClaimed: EntryRemovals;
  readonly maxLostRaces: number;
  readonly random: Random;
}

export interface Claimant {
  readonly vo: string;
  readonly site: string;
  readonly pilotReference: string;
  readonly time: string;
}

export type FindResult =
  | { readonly found: true; readonly job: JobRecord }
  | { readonly found: false; readonly why: 'empty' | 'contention' };

export async function findAndClaim(
  deps: FindDeps,
  candidates: readonly TaskQueueItem[],
  claimant: Claimant,
): Promise<FindResult> {
  let lostRaces = 0;
  let reads = 0;
  for (const tq of weightedOrder(candidates, taskQueueWeight, deps.random)) {
    for (const shard of shardOrder(entryShards, deps.random)) {
      if (deps.catalogue.isEmpty(tq.tqId, shard)) continue;
      if (reads >= maxReads) return { found: false, why: lostRaces > 0 ? 'contention' : 'empty' };
      reads += 1;
      const entries = await readShard(deps, tq, shard);
      if (entries.length === 0) {
        deps.catalogue.markEmpty(tq.tqId, shard);
        continue;
      }
      for (const entry of entries) {
        const claimed = await claimJob(
          { dynamo: deps.dynamo, table: deps.jobsTable },
          {
            ...claimant,
            jobId: entry.jobId,
            tqId: tq.tqId,
          },
        );
        if (claimed.ok) {
          await deps.removeClaimed(entry);
          return { found: true, job: claimed.job };
        }
        // Another pilot's job now, or no longer waiting here: the entry is stale, unless the job is
        // still on its way to Waiting (JobScheduling writes the entry before the job).
        if (!(await stillBeingScheduled(deps, entry.jobId))) {
          await removeEntryAsRead(deps.dynamo, deps.taskQueuesTable, entry).catch(() => undefined);
        }
        lostRaces += 1;
        if (lostRaces >= deps.maxLostRaces) return { found: false, why: 'contention' };
      }
    }
  }
  return { found: false, why: lostRaces > 0 ? 'contention' : 'empty' };
}

/** Entries of one shard, best priority level first, the candidates of that level shuffled. */
async function readShard(deps: FindDeps, tq: TaskQueueItem, shard: number): Promise<TaskQueueEntry[]> {
  const priority = choosePriority(tq.levels, deps.random);
  const read = (p?: number) =>
    readEntries(deps.dynamo, deps.taskQueuesTable, {
      tqId: tq.tqId,
      shard,
      limit: entriesPerRead,
      ...(p === undefined ? {} : { priority: p }),
    });
  let entries = await read(priority);
  if (entries.length === 0 && priority !== undefined) entries = await read();
  const best = entries[0]?.priority;
  return shuffle(
    entries.filter((e) => e.priority === best),
    deps.random,
  );
}

function shuffle<T>(items: T[], random: Random): T[] {
  for (let i = items.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

async function stillBeingScheduled(
  deps: { dynamo: DynamoDBDocumentClient; jobsTable: string },
  jobId: number,
) {
  const { Item } = await deps.dynamo.send(
    new GetCommand({
      TableName: deps.jobsTable,
      Key: jobKey(jobId),
      ProjectionExpression: '#status',
      ExpressionAttributeNames: { '#status': 'status' },
      ConsistentRead: true,
    }),
  );
  return Item?.status === 'Received' || Item?.status === 'Checking';
}
