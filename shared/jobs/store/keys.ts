/**
 * Every key of the jobs and counters tables is built here and nowhere else.
 *
 * A job is one item, `JOB#<id>` / `JOB`. Its index keys put it in three searchable groups: by owner
 * (`<vo>#<owner>`), by status (`<vo>#<status>`) and by block of a thousand job ids within its VO
 * (`<vo>#<id / 1000>`), which spreads a VO's jobs over many partitions and still lets a search walk
 * them in job-id order.
 */
import type { JobRecord } from '#shared/jobs/model.ts';
import type { JobStatus } from '#shared/jobs/status.ts';

export const jobsPerVoBlock = 1000;

export const jobKey = (jobId: number) => ({ pk: `JOB#${jobId}`, sk: 'JOB' });
export const ownerKey = (vo: string, owner: string) => `${vo}#${owner}`;
export const statusKey = (vo: string, status: JobStatus) => `${vo}#${status}`;
export const voBlock = (jobId: number) => Math.floor(jobId / jobsPerVoBlock);
export const voKey = (vo: string, block: number) => `${vo}#${block}`;
/** A pilot's match request, as the claim records it (the byMatchRequest index's key). */
export const matchRequestKey = (pilotReference: string, requestId: string) =>
  `${pilotReference}#${requestId}`;

export const indexKeys = (job: Pick<JobRecord, 'jobId' | 'vo' | 'owner' | 'status'>) => ({
  ownerKey: ownerKey(job.vo, job.owner),
  statusKey: statusKey(job.vo, job.status),
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

/** The counters table: the job-id allocator and submission idempotency records. */
export const counterKeys = {
  jobIds: { pk: 'COUNTER#jobId' },
  idempotency: (vo: string, owner: string, key: string) => ({ pk: `IDEMPOTENCY#${vo}#${owner}#${key}` }),
} as const;
