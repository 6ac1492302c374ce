/**
 * The job database as the services use it: the store operations bound to the tables a function was
 * granted, `transitions` (the jobs table as shared/jobs/transitions/ writes status through it), and
 * `mutate`, the read-decide-write loop for attributes other than the status.
 */
import type { Deps } from '#shared/deps.ts';
import { tableName } from '#shared/deps.ts';
import type { JobRecord, StatusHistoryEntry } from '#shared/jobs/model.ts';
import { createJobIdAllocator } from '#shared/jobs/store/allocate-ids.ts';
import { getJob, getJobs } from '#shared/jobs/store/read-jobs.ts';
import { type JobChanges, updateJob } from '#shared/jobs/store/write-jobs.ts';
import { insertJobs, insertJobsIfAbsent } from '#shared/jobs/transitions/submit.ts';
import type { TransitionStore } from '#shared/jobs/transitions/write.ts';

/** What a mutation decides for the job it read: a write, or a refusal that ends the loop. */
export type Decision<R> =
  | {
      readonly write: JobChanges;
      readonly history: readonly StatusHistoryEntry[];
      readonly remove?: readonly (keyof JobRecord)[];
      readonly result: (job: JobRecord) => R;
    }
  | { readonly refuse: R };

/** `written`: the job was changed (a refusal leaves it as read). */
export type MutationResult<R> =
  | { found: false }
  | { found: true; value: R; job: JobRecord; written: boolean };

const maxAttempts = 8;

export function createJobRepository(deps: Pick<Deps, 'aws' | 'resources'>) {
  const { dynamo } = deps.aws;
  const jobs = () => tableName(deps.resources, 'jobs');
  let allocator: ReturnType<typeof createJobIdAllocator> | undefined;

  const store = (): TransitionStore => ({ dynamo, table: jobs() });

  return {
    /** The jobs table for the transitions (shared/jobs/transitions/), the only writers of a status. */
    get transitions() {
      return store();
    },
    get: (jobId: number) => getJob(dynamo, jobs(), jobId),
    getMany: (jobIds: readonly number[]) => getJobs(dynamo, jobs(), jobIds),
    insert: (records: readonly JobRecord[]) => insertJobs(store(), records),
    insertIfAbsent: (records: readonly JobRecord[]) => insertJobsIfAbsent(store(), records),
    update: (
      job: JobRecord,
      changes: JobChanges,
      history: readonly StatusHistoryEntry[],
      remove?: (keyof JobRecord)[],
    ) => updateJob(dynamo, jobs(), job, changes, history, remove),
    allocateIds: (count: number) => {
      allocator ??= createJobIdAllocator(dynamo, tableName(deps.resources, 'counters'));
      return allocator(count);
    },

    /**
     * Reads the job, lets `decide` choose, and writes conditionally on the version read; a lost
     * race reads again and decides again, so every decision is made on the job as it is.
     */
    async mutate<R>(jobId: number, decide: (job: JobRecord) => Decision<R>): Promise<MutationResult<R>> {
      for (let attempt = 0; attempt < maxAttempts; attempt += 1) {
        const job = await getJob(dynamo, jobs(), jobId);
        if (!job) return { found: false };
        const decision = decide(job);
        if ('refuse' in decision) return { found: true, value: decision.refuse, job, written: false };
        const written = await updateJob(
          dynamo,
          jobs(),
          job,
          decision.write,
          decision.history,
          decision.remove,
        );
        if (written.ok)
          return { found: true, value: decision.result(written.job), job: written.job, written: true };
      }
      throw new Error(`Job ${jobId} kept changing while it was being updated; try again.`);
    },
  };
}
export type JobRepository = ReturnType<typeof createJobRepository>;
