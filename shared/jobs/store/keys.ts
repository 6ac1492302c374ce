/**
 * Every key of the jobs table, and of the jobs' items in the counters table (the id allocator, the
 * submission records), is built here and nowhere else. The counters table's other items have their
 * own builders: the kept answers of an Idempotency-Key (shared/http/idempotency/keys.ts) and the
 * agents' cursors (shared/agents/sweep.ts).
 *
 * A job is one item, `JOB#<id>` / `JOB`, its heartbeat history beside it (`HEARTBEAT#<time>`). Its
 * index keys put it in three searchable groups: by owner (`<vo>#<owner>#<shard>`), by status
 * (`<vo>#<status>#<shard>`) and by block of a thousand job ids within its VO (`<vo>#<id / 1000>`),
 * which spreads a VO's jobs over many partitions and still lets a search walk them in job-id order.
 *
 * The owner and status groups are write-sharded: the shard is the job id modulo `indexShards`, so
 * the consecutive ids of one bulk submission go round the shards and a 10,000-job submission writes
 * 625 items to each of 16 index partitions instead of 10,000 to one (DynamoDB takes about 1,000
 * writes a second per partition). A job's shard never changes, so a status change moves it between
 * partitions of the same shard. A reader of one owner or status queries every shard
 * (`ownerPartitions`, `statusPartitions`); each shard is still in job-id order.
 */

import type { Identity } from '#shared/auth/identity.ts';
import type { JobRecord } from '#shared/jobs/model.ts';
import type { JobStatus } from '#shared/jobs/status.ts';

export const jobsPerVoBlock = 1000;

export const jobKey = (jobId: number) => ({ pk: `JOB#${jobId}`, sk: 'JOB' });
/** The job id in a job's partition key, as a keys-only index returns it. */
export const jobIdOfKey = (pk: string) => Number(pk.slice('JOB#'.length));
/** One beat of the job's heartbeat history, in the job's partition (store/heartbeat-log.ts). */
export const heartbeatSortPrefix = 'HEARTBEAT#';
export const heartbeatKey = (jobId: number, time: string) => ({
  pk: jobKey(jobId).pk,
  sk: `${heartbeatSortPrefix}${time}`,
});
export const indexShards = 16;
export const indexShard = (jobId: number) => jobId % indexShards;
const shards = Array.from({ length: indexShards }, (_, shard) => shard);

export const ownerKey = (vo: string, owner: string, jobId: number) => `${vo}#${owner}#${indexShard(jobId)}`;
export const statusKey = (vo: string, status: JobStatus, jobId: number) =>
  `${vo}#${status}#${indexShard(jobId)}`;
/** Every partition of one owner's jobs in the byOwner index, one per shard. */
export const ownerPartitions = (vo: string, owner: string) =>
  shards.map((shard) => `${vo}#${owner}#${shard}`);
/** Every partition of one status in the byStatus index, one per shard. */
export const statusPartitions = (vo: string, status: JobStatus) =>
  shards.map((shard) => `${vo}#${status}#${shard}`);
export const voBlock = (jobId: number) => Math.floor(jobId / jobsPerVoBlock);
export const voKey = (vo: string, block: number) => `${vo}#${block}`;
/** A pilot's match request, as the claim records it (the byMatchRequest index's key). */
export const matchRequestKey = (pilotReference: string, requestId: string) =>
  `${pilotReference}#${requestId}`;

export const indexKeys = (job: Pick<JobRecord, 'jobId' | 'vo' | 'owner' | 'status'>) => ({
  ownerKey: ownerKey(job.vo, job.owner, job.jobId),
  statusKey: statusKey(job.vo, job.status, job.jobId),
  voKey: voKey(job.vo, voBlock(job.jobId)),
});

// Object.assign and delete, not spreads: on 10,000-job submissions spreads cost several times more.
export const jobItem = (job: JobRecord): Record<string, unknown> =>
  Object.assign(jobKey(job.jobId), indexKeys(job), job) as unknown as Record<string, unknown>;

const itemOnlyKeys = ['pk', 'sk', 'ownerKey', 'statusKey', 'voKey'] as const;

export function fromJobItem(item: Record<string, unknown>): JobRecord {
  const record = Object.assign({}, item);
  for (const key of itemOnlyKeys) delete record[key];
  return record as unknown as JobRecord;
}

/** Whose submission an Idempotency-Key names: the same person in another group is another submitter. */
export interface IdempotencyScope {
  readonly vo: string;
  readonly owner: string;
  readonly group: string;
  readonly key: string;
}

/** The scope of `key` sent by `identity`. */
export const submitterScope = (
  identity: Pick<Identity, 'vo' | 'username' | 'group'>,
  key: string,
): IdempotencyScope => ({ vo: identity.vo, owner: identity.username, group: identity.group, key });

/** The counters table: the job-id allocator and submission idempotency records. */
export const counterKeys = {
  jobIds: { pk: 'COUNTER#jobId' },
  idempotency: ({ vo, owner, group, key }: IdempotencyScope) => ({
    pk: `IDEMPOTENCY#${vo}#${owner}#${group}#${key}`,
  }),
} as const;
