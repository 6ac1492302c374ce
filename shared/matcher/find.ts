/**
 * Finding and claiming one job for a resource (DIRAC's `matchAndGetJob`): task queues that match
 * in a priority-weighted random order; in each, its shards from a random one; in a shard, an entry
 * of a priority level chosen by weight, drawn at random among the first few (so racing pilots
 * rarely want the same entry) from those the instance keeps (candidates.ts; one read of the whole
 * shard fills every level it holds, for many requests), then the shard's other kept levels, then
 * the rest of the shard in rank order; then the claim.
 *
 * "No match" is answered only when, during this request, every shard of every matching task queue
 * was read and every entry in it tried: a lost race moves on to the next entry, and no count of
 * reads cuts the search short (each shard is read until it has nothing left to try, so the work is
 * bounded by the candidate shards and the entries they hold). The first pass skips the shards the
 * catalogue remembers empty; before answering "no match", a second pass lists the task queues
 * again and reads, in parallel, every shard the first pass did not.
 */
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mapLimited } from '#shared/concurrency.ts';
import type { JobRecord } from '#shared/jobs/model.ts';
import { jobKey } from '#shared/jobs/store/keys.ts';
import { claimJob } from '#shared/jobs/transitions/match.ts';
import type { CandidateEntries, LevelRead } from '#shared/matcher/candidates.ts';
import type { TaskQueueCatalogue } from '#shared/matcher/catalogue.ts';
import type { EntryRemovals } from '#shared/matcher/entry-removals.ts';
import {
  choosePriority,
  type Random,
  shardOrder,
  taskQueueWeight,
  weightedOrder,
  weightedSequence,
} from '#shared/matcher/select.ts';
import {
  type EntryPage,
  readEntries,
  removeEntryAsRead,
  type TaskQueueEntry,
} from '#shared/taskqueues/entries.ts';
import { entryShards } from '#shared/taskqueues/keys.ts';
import type { TaskQueueItem } from '#shared/taskqueues/store.ts';

/** Entries a request draws from at random: enough to spread racing pilots. */
const entriesPerRead = 5;
/** Entries of one priority level read at once and kept for the instance's next requests. */
const keptPerRead = 40;
/** Entries of a cold shard read at once: a short-lived instance uses few of a shard's entries. */
const firstPerShard = 12;
/** Shards the second pass reads at once. */
const probeConcurrency = 16;

export interface FindDeps {
  readonly dynamo: DynamoDBDocumentClient;
  readonly jobsTable: string;
  readonly taskQueuesTable: string;
  readonly catalogue: TaskQueueCatalogue;
  readonly removeClaimed: EntryRemovals;
  readonly kept: CandidateEntries;
  readonly random: Random;
}

export interface Claimant {
  readonly vo: string;
  readonly site: string;
  readonly pilotReference: string;
  readonly time: string;
  /** The request's `matchRequestKey`, recorded by the claim (repeats.ts). */
  readonly matchRequest?: string;
}

/** Where to look: the VO's task queues (listed after `since`, a catalogue mark, if given) and which match. */
export interface Candidates {
  readonly list: (since?: number) => Promise<TaskQueueItem[]>;
  readonly matches: (tq: TaskQueueItem) => boolean;
  /** The matching ones of a listing, when the caller keeps them (matching-queues.ts); else filtered by `matches`. */
  readonly select?: (queues: readonly TaskQueueItem[]) => readonly TaskQueueItem[];
}

export type FindResult =
  | { readonly found: true; readonly job: JobRecord }
  /** Every shard of the `candidates` matching ones among `queues` was read, and nothing claimed. */
  | { readonly found: false; readonly queues: readonly TaskQueueItem[]; readonly candidates: number };

/** What one request has done so far: the jobs it tried to claim, the shards it read to the end. */
interface Search {
  readonly tried: Set<number>;
  readonly read: Set<string>;
}
const shardKey = (tqId: string, shard: number) => `${tqId}#${shard}`;

export async function findAndClaim(
  deps: FindDeps,
  where: Candidates,
  claimant: Claimant,
): Promise<FindResult> {
  const mark = deps.catalogue.mark();
  const search: Search = { tried: new Set(), read: new Set() };
  const select = (queues: readonly TaskQueueItem[]) =>
    where.select ? where.select(queues) : queues.filter(where.matches);
  const cached = select(await where.list());
  for (const tq of weightedSequence(cached, taskQueueWeight, deps.random)) {
    // The level is drawn once per task queue; shards whose entries of it are kept come first, so
    // that a request reads only when this instance keeps none (which shard holds a job is chance).
    const level = choosePriority(tq.levels, deps.random);
    const shards = shardOrder(entryShards, deps.random);
    const stocked = (shard: number) => level !== undefined && deps.kept.stocked(tq.tqId, shard, level);
    for (const shard of [...shards.filter(stocked), ...shards.filter((shard) => !stocked(shard))]) {
      if (deps.catalogue.isEmpty(tq.tqId, shard)) continue;
      const job = await visitShard(deps, search, tq, shard, claimant, { level });
      if (job) return { found: true, job };
    }
  }

  // The first pass found nothing: read what it skipped, in a listing begun since it started.
  const queues = await where.list(mark);
  const candidates = select(queues);
  const unread = candidates.flatMap((tq) =>
    shardOrder(entryShards, deps.random)
      .filter((shard) => !search.read.has(shardKey(tq.tqId, shard)))
      .map((shard) => ({ tq, shard })),
  );
  const pages = await mapLimited(unread, probeConcurrency, ({ tq, shard }) => read(deps, tq, shard, {}));
  const filled = new Map<string, { shard: number; page: EntryPage }[]>();
  for (const [i, { tq, shard }] of unread.entries()) {
    const page = pages[i];
    if (page && page.entries.length > 0)
      filled.set(tq.tqId, [...(filled.get(tq.tqId) ?? []), { shard, page }]);
    else emptied(deps, search, tq, shard);
  }
  const inOrder = weightedOrder(
    candidates.filter((tq) => filled.has(tq.tqId)),
    taskQueueWeight,
    deps.random,
  );
  for (const tq of inOrder) {
    for (const { shard, page } of filled.get(tq.tqId) ?? []) {
      const job = await visitShard(deps, search, tq, shard, claimant, { page });
      if (job) return { found: true, job };
    }
  }
  return { found: false, queues, candidates: candidates.length };
}

const read = (
  deps: FindDeps,
  tq: TaskQueueItem,
  shard: number,
  query: { priority?: number; after?: Record<string, unknown> },
  limit = entriesPerRead,
): Promise<EntryPage> =>
  readEntries(deps.dynamo, deps.taskQueuesTable, { tqId: tq.tqId, shard, limit, ...query });

function emptied(deps: FindDeps, search: Search, tq: TaskQueueItem, shard: number) {
  search.read.add(shardKey(tq.tqId, shard));
  deps.catalogue.markEmpty(tq.tqId, shard);
}

/**
 * A job claimed from one shard, or undefined once every entry in it was tried. First the entries
 * of the priority level drawn for the task queue (unless `start.page` is the page already read),
 * then the whole shard page by page in rank order.
 */
async function visitShard(
  deps: FindDeps,
  search: Search,
  tq: TaskQueueItem,
  shard: number,
  claimant: Claimant,
  start: { readonly level?: number; readonly page?: EntryPage },
): Promise<JobRecord | undefined> {
  let page = start.page;
  if (!page) {
    const level = start.level;
    if (level !== undefined) {
      const job = await claimKept(deps, search, tq, shard, level, claimant);
      if (job) return job;
      // The drawn level has nothing left here: the shard's other kept levels, best first, as the
      // read below would offer them, before reading it.
      for (const other of deps.kept.stockedLevels(tq.tqId, shard)) {
        const job = await claimKept(deps, search, tq, shard, other, claimant, { read: false });
        if (job) return job;
      }
    }
    page = await read(deps, tq, shard, {});
  }
  for (;;) {
    const job = await claimOne(deps, search, tq, page.entries, claimant);
    if (job) {
      deps.catalogue.markFilled(tq.tqId, shard);
      return job;
    }
    if (!page.next) break;
    page = await read(deps, tq, shard, { after: page.next });
  }
  emptied(deps, search, tq, shard);
  return undefined;
}

/**
 * The entries of one priority level of a shard, for the instance to keep. The whole shard first:
 * one read serves every level it holds to the end (or in part, for the level it stops in), the
 * other levels offered to the kept entries; only a level the page does not reach needs a read of
 * its own.
 */
async function readLevelOf(
  deps: FindDeps,
  tq: TaskQueueItem,
  shard: number,
  level: number,
): Promise<LevelRead> {
  const page = await deps.kept.readShard(tq.tqId, shard, () => read(deps, tq, shard, {}, firstPerShard));
  const last = page.entries.at(-1)?.priority;
  const reaches = (priority: number) => !page.next || (last !== undefined && last <= priority);
  // A level is all there when the page goes past it (or to the shard's end).
  const complete = (priority: number) => !page.next || (last !== undefined && last < priority);
  const byLevel = new Map<number, TaskQueueEntry[]>();
  for (const entry of page.entries) {
    const entries = byLevel.get(entry.priority);
    if (entries) entries.push(entry);
    else byLevel.set(entry.priority, [entry]);
  }
  for (const [other, entries] of byLevel)
    if (other !== level) deps.kept.offer(tq.tqId, shard, other, { entries, complete: complete(other) });
  if (reaches(level)) return { entries: byLevel.get(level) ?? [], complete: complete(level) };
  const own = await read(deps, tq, shard, { priority: level }, keptPerRead);
  return { entries: own.entries, complete: !own.next };
}

/**
 * Claims a job of one priority level from the entries the instance keeps, read when it keeps none
 * (unless `options.read` is false).
 */
async function claimKept(
  deps: FindDeps,
  search: Search,
  tq: TaskQueueItem,
  shard: number,
  level: number,
  claimant: Claimant,
  options: { readonly read: boolean } = { read: true },
): Promise<JobRecord | undefined> {
  const readLevel = () => readLevelOf(deps, tq, shard, level);
  // A request that may not read starts as one that has read already.
  const request = { skip: (entry: TaskQueueEntry) => search.tried.has(entry.jobId), read: !options.read };
  for (;;) {
    const entry = await deps.kept.take(
      tq.tqId,
      shard,
      level,
      readLevel,
      request,
      deps.random,
      entriesPerRead,
    );
    if (!entry) return undefined;
    const job = await claimEntry(deps, search, tq, entry, claimant);
    if (job) return job;
  }
}

/** Claims one of `entries` not tried yet: those of the best priority in random order, then the rest. */
async function claimOne(
  deps: FindDeps,
  search: Search,
  tq: TaskQueueItem,
  entries: readonly TaskQueueEntry[],
  claimant: Claimant,
): Promise<JobRecord | undefined> {
  const fresh = entries.filter((e) => !search.tried.has(e.jobId));
  const best = fresh[0]?.priority;
  const ordered = [
    ...shuffle(
      fresh.filter((e) => e.priority === best),
      deps.random,
    ),
    ...fresh.filter((e) => e.priority !== best),
  ];
  for (const entry of ordered) {
    const job = await claimEntry(deps, search, tq, entry, claimant);
    if (job) return job;
  }
  return undefined;
}

/** Claims the job of one entry; a stale entry is deleted. */
async function claimEntry(
  deps: FindDeps,
  search: Search,
  tq: TaskQueueItem,
  entry: TaskQueueEntry,
  claimant: Claimant,
): Promise<JobRecord | undefined> {
  search.tried.add(entry.jobId);
  const claim = () =>
    claimJob(
      { dynamo: deps.dynamo, table: deps.jobsTable },
      { ...claimant, jobId: entry.jobId, tqId: tq.tqId },
    );
  let claimed = await claim();
  // JobScheduling writes the entry before it moves the job to Waiting: a claim that lost to that
  // move is tried once more; only an entry whose job is elsewhere is stale.
  let fate = claimed.ok ? undefined : await entryFate(deps, entry.jobId, tq.tqId);
  if (fate === 'waitingHere') {
    claimed = await claim();
    fate = claimed.ok ? undefined : await entryFate(deps, entry.jobId, tq.tqId);
  }
  if (claimed.ok) {
    deps.kept.claimed(entry.jobId);
    deps.removeClaimed(entry);
    return claimed.job;
  }
  deps.kept.released(entry.jobId);
  if (fate === 'elsewhere') {
    await removeEntryAsRead(deps.dynamo, deps.taskQueuesTable, entry).catch(() => undefined);
  }
  return undefined;
}

/**
 * Where the job of an entry whose claim failed is: still on its way to Waiting (`scheduling`),
 * Waiting in this task queue (`waitingHere`: the claim raced JobScheduling's move), or matched,
 * ended, gone or in another task queue (`elsewhere`: the entry is stale).
 */
export async function entryFate(
  deps: { dynamo: DynamoDBDocumentClient; jobsTable: string },
  jobId: number,
  tqId: string,
): Promise<'scheduling' | 'waitingHere' | 'elsewhere'> {
  const { Item } = await deps.dynamo.send(
    new GetCommand({
      TableName: deps.jobsTable,
      Key: jobKey(jobId),
      ProjectionExpression: '#status, #tq',
      ExpressionAttributeNames: { '#status': 'status', '#tq': 'taskQueueId' },
      ConsistentRead: true,
    }),
  );
  if (Item?.status === 'Received' || Item?.status === 'Checking') return 'scheduling';
  if (Item?.status === 'Waiting' && Item.taskQueueId === tqId) return 'waitingHere';
  return 'elsewhere';
}

function shuffle<T>(items: T[], random: Random): T[] {
  for (let i = items.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}
