/**
 * Changing jobs that exist: status updates (DiracX's `set_job_statuses`), kill, delete and
 * reschedule (DIRAC's JobManager). Each job is changed by its transition (shared/jobs/transitions/);
 * a request over many jobs reports, per job, what succeeded and why the others failed: also when
 * its time budget ran out (the jobs not reached are `not_attempted`) or the job store failed for
 * some jobs (`unavailable`), so that a request that did part of its work never answers a bare 500
 * (issue 15). Sending the same request again finishes it: a kill, delete or status already applied
 * answers as done, and a reschedule is guarded by the Idempotency-Key (shared/http/idempotency.ts).
 */
import type { Identity } from '#shared/auth/identity.ts';
import { forEachLimited } from '#shared/concurrency.ts';
import type { MuonConfig } from '#shared/config/schema.ts';
import { MuonError } from '#shared/errors.ts';
import { type Budget, unlimitedBudget } from '#shared/http/budget.ts';
import { type JobAction, mayAccess, refusal } from '#shared/jobs/access.ts';
import { assertPayloadHolding } from '#shared/jobs/holding.ts';
import type { JobRecord } from '#shared/jobs/model.ts';
import type { JobRepository } from '#shared/jobs/repository.ts';
import type { RetryableFailureCode } from '#shared/jobs/retryable-failures.ts';
import type { JobStatus } from '#shared/jobs/status.ts';
import { describeRefusal, type StatusUpdate } from '#shared/jobs/status-updates.ts';
import { deleteJob, killJob } from '#shared/jobs/transitions/manager.ts';
import { reportStatuses } from '#shared/jobs/transitions/report.ts';
import { rescheduleJob } from '#shared/jobs/transitions/reschedule.ts';
import type { TransitionResult } from '#shared/jobs/transitions/write.ts';
import type { Logger } from '#shared/log.ts';
import type { StartedJob, StartedJobsRecorder } from '#shared/pilots/started-jobs.ts';

export type Failure = {
  detail: string;
  code: 'not_found' | 'forbidden' | 'invalid_transition' | 'limit' | RetryableFailureCode;
};
/** The answer for a job that does not exist, or that the caller may not know of (another VO's). */
export const missing = (jobId: number): Failure => ({
  code: 'not_found',
  detail: `Job ${jobId} does not exist.`,
});
export interface BulkResult<T> {
  success: Record<string, T>;
  failed: Record<string, Failure>;
}

export interface ControlDeps {
  readonly config: MuonConfig;
  readonly jobs: JobRepository;
  /** Takes a job out of its task queue (it is no longer Waiting). */
  readonly leaveTaskQueue: (job: JobRecord) => Promise<void>;
  /** Sends jobs to the start of the executor chain. */
  readonly startChain: (jobIds: readonly number[]) => Promise<void>;
  readonly now: () => Date;
  readonly logger?: Logger;
  /** Adds the jobs a status batch took out of Matched to their pilot's record (shared/pilots/started-jobs.ts). */
  readonly recordStarted?: StartedJobsRecorder;
}

/** Jobs changed at once: enough to keep DynamoDB busy, few enough to stop soon when the budget is spent. */
const concurrency = 32;

export const statusView = (job: JobRecord) => ({
  Status: job.status,
  MinorStatus: job.minorStatus,
  ApplicationStatus: job.applicationStatus,
  HeartBeatTime: job.heartBeatTime ?? null,
  StartExecTime: job.startExecTime ?? null,
  EndExecTime: job.endExecTime ?? null,
  LastUpdateTime: job.lastUpdateTime,
});
export type StatusView = ReturnType<typeof statusView>;

/** Whether the job holds a place in a task queue. */
const inTaskQueue = (job: JobRecord) => job.taskQueueId !== undefined;

/** What a job's transition came to: its answer, and the job before and after when it was written. */
type Outcome<T> = { value: T | Failure; written?: { job: JobRecord; previous: JobStatus } };

export function createJobControl(deps: ControlDeps) {
  const store = deps.jobs.transitions;

  async function eachJob<T>(
    identity: Identity,
    jobIds: readonly number[],
    action: JobAction,
    budget: Budget,
    change: (job: JobRecord) => Promise<Outcome<T>>,
  ): Promise<BulkResult<T>> {
    const result: BulkResult<T> = { success: {}, failed: {} };
    let started = 0;
    await forEachLimited([...new Set(jobIds)], concurrency, async (jobId) => {
      // The first jobs always run, so that every request makes progress however small its budget.
      if (started >= concurrency && budget.spent()) {
        result.failed[jobId] = notAttempted(jobId, budget);
        return;
      }
      started += 1;
      let job: JobRecord | undefined;
      try {
        job = await deps.jobs.get(jobId);
      } catch (error) {
        result.failed[jobId] = unavailable(jobId, error);
        return;
      }
      // A payload token's own job is checked on this read, not before the route (status reports).
      assertPayloadHolding(identity, jobId, job);
      // Another VO's jobs do not exist for this caller: ids must not reveal them.
      if (!job || job.vo !== identity.vo) {
        result.failed[jobId] = missing(jobId);
        return;
      }
      if (!mayAccess(identity, job, action)) {
        result.failed[jobId] = { code: 'forbidden', detail: refusal(action, jobId) };
        return;
      }
      let outcome: Outcome<T>;
      try {
        outcome = await change(job);
      } catch (error) {
        if (error instanceof MuonError && error.statusCode < 500) throw error;
        deps.logger?.warn('job not changed: the job store failed', { jobId, error });
        result.failed[jobId] = unavailable(jobId, error);
        return;
      }
      if (isFailure(outcome.value)) result.failed[jobId] = outcome.value;
      else result.success[jobId] = outcome.value;
      // Side effects follow every write, also one that ends in a failure (a reschedule past the limit).
      if (outcome.written) {
        // The job changed whatever happens here: a stale task queue entry is dropped by the matcher.
        await afterStatusChange(job, outcome.written.job, outcome.written.previous).catch((error: unknown) =>
          deps.logger?.warn('task queue entry not removed', { jobId, error }),
        );
      }
    });
    return result;
  }

  /**
   * The TQ entry goes when a job stops Waiting; pilots learn of kills from their next heartbeat.
   * A reschedule's write forgets the task queue, so the entry is found on the job as read.
   */
  const afterStatusChange = async (before: JobRecord, after: JobRecord, previous: JobStatus) => {
    const holder = [after, before].find(inTaskQueue);
    if (previous === 'Waiting' && after.status !== 'Waiting' && holder) await deps.leaveTaskQueue(holder);
  };

  /** The answer to a transition: the job's status, or the table's refusal naming where the job is. */
  const answer = (jobId: number, to: JobStatus, result: TransitionResult): Outcome<StatusView> => {
    if (result.ok) return { value: statusView(result.job), written: result };
    if (result.current === undefined) return { value: missing(jobId) };
    // Asking for the status a job already has is no transition (DIRAC answers it as done).
    if (result.current === to) return { value: statusView(result.job) };
    return {
      value: {
        code: 'invalid_transition',
        detail: `Job ${jobId}: ${describeRefusal({ current: result.current, from: result.current, to, time: '' })}`,
      },
    };
  };

  return {
    /** `PATCH /api/jobs/status`: updates carry their own times and are applied in time order. */
    async setStatuses(
      identity: Identity,
      updates: ReadonlyMap<number, readonly StatusUpdate[]>,
      force: boolean,
      budget: Budget = unlimitedBudget,
    ): Promise<BulkResult<StatusView>> {
      const started: StartedJob[] = [];
      const result = await eachJob<StatusView>(
        identity,
        [...updates.keys()],
        'status',
        budget,
        async (job) => {
          const reported = await reportStatuses(store, job, updates.get(job.jobId) ?? [], {
            time: deps.now().toISOString(),
            force,
          });
          if (reported.ok && reported.written && reported.previous === 'Matched') started.push(reported.job);
          if (reported.ok) {
            return {
              value: statusView(reported.job),
              ...(reported.written ? { written: { job: reported.job, previous: reported.previous } } : {}),
            };
          }
          if (!reported.refusal) return { value: missing(job.jobId) };
          return {
            value: {
              code: 'invalid_transition',
              detail: `Job ${job.jobId}: ${describeRefusal(reported.refusal)}`,
            },
          };
        },
      );
      if (started.length > 0) await deps.recordStarted?.(identity, started);
      return result;
    },

    /** Killed / "Marked for termination"; a job on a pilot also gets a Kill command. */
    kill: (identity: Identity, jobIds: readonly number[], budget: Budget = unlimitedBudget) =>
      eachJob<StatusView>(identity, jobIds, 'manage', budget, async (job) =>
        answer(job.jobId, 'Killed', await killJob(store, job, { time: deps.now().toISOString(), source })),
      ),

    /** Deleted / "Checking accounting"; the JobCleaning agent removes the records later. */
    delete: (identity: Identity, jobIds: readonly number[], budget: Budget = unlimitedBudget) =>
      eachJob<StatusView>(identity, jobIds, 'manage', budget, async (job) =>
        answer(job.jobId, 'Deleted', await deleteJob(store, job, { time: deps.now().toISOString(), source })),
      ),

    /**
     * Back to the start of the chain (Received / "Job Rescheduled"), counting reschedules; past
     * `jobs.maxRescheduling` the job fails. Attributes of the last run are cleared.
     */
    async reschedule(identity: Identity, jobIds: readonly number[], budget: Budget = unlimitedBudget) {
      const { maxRescheduling } = deps.config.jobs;
      const result = await eachJob<StatusView>(identity, jobIds, 'reschedule', budget, async (job) => {
        const written = await rescheduleJob(store, job, {
          time: deps.now().toISOString(),
          source,
          maxRescheduling,
        });
        if (!written.ok) {
          if (written.current === undefined) return { value: missing(job.jobId) };
          return {
            value: {
              code: 'invalid_transition',
              detail: `Job ${job.jobId} is ${written.current}; it cannot be rescheduled.`,
            },
          };
        }
        if (written.job.status === 'Failed') {
          return {
            value: {
              code: 'limit',
              detail: `Job ${job.jobId} reached the maximum of ${maxRescheduling} reschedulings and is Failed.`,
            },
            written,
          };
        }
        return { value: statusView(written.job), written };
      });
      const restarted = Object.keys(result.success).map(Number);
      // The jobs are rescheduled (Received) whether or not SQS takes the message now: one it did not
      // take is sent by the recovery sweep (shared/agents/recovery.ts), so this is no failure.
      if (restarted.length > 0) {
        await deps
          .startChain(restarted)
          .catch((error: unknown) =>
            deps.logger?.warn('chain start left to the recovery sweep', { jobs: restarted.length, error }),
          );
      }
      return result;
    },
  };
}

const source = 'JobManager';

const notAttempted = (jobId: number, budget: Budget): Failure => ({
  code: 'not_attempted',
  detail: `Job ${jobId} was not changed: the request used its ${budget.seconds} s; send the request again for the jobs not done.`,
});

const unavailable = (jobId: number, error: unknown): Failure => ({
  code: 'unavailable',
  detail: `Job ${jobId} was not changed: the job store did not answer (${error instanceof Error ? error.name : 'error'}); send the request again.`,
});

export type JobControl = ReturnType<typeof createJobControl>;

const isFailure = (value: unknown): value is Failure =>
  typeof value === 'object' && value !== null && 'code' in value && 'detail' in value && !('Status' in value);
