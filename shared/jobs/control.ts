/**
 * Changing jobs that exist: status updates (DiracX's `set_job_statuses`), kill, delete and
 * reschedule (DIRAC's JobManager). Each job is changed by one versioned write; a request over
 * many jobs reports, per job, what succeeded and why the others failed.
 */
import type { Identity } from '#shared/auth/identity.ts';
import type { MuonConfig } from '#shared/config/schema.ts';
import { type JobAction, mayAccess } from '#shared/jobs/access.ts';
import type { JobRecord } from '#shared/jobs/model.ts';
import type { Decision, JobRepository } from '#shared/jobs/repository.ts';
import { killCommand, rescheduleJob } from '#shared/jobs/reschedule.ts';
import { type JobStatus, minorStatus } from '#shared/jobs/status.ts';
import { applyStatusUpdates, describeRefusal, type StatusUpdate } from '#shared/jobs/transitions.ts';

export type Failure = { detail: string; code: 'not_found' | 'forbidden' | 'invalid_transition' | 'limit' };
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
}

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

export function createJobControl(deps: ControlDeps) {
  async function eachJob<T>(
    identity: Identity,
    jobIds: readonly number[],
    action: JobAction,
    decide: (job: JobRecord) => Decision<T | Failure>,
    after?: (job: JobRecord, before: JobRecord) => Promise<void>,
  ): Promise<BulkResult<T>> {
    const result: BulkResult<T> = { success: {}, failed: {} };
    await Promise.all(
      [...new Set(jobIds)].map(async (jobId) => {
        let before: JobRecord | undefined;
        const outcome = await deps.jobs.mutate<T | Failure>(jobId, (job) => {
          before = job;
          // Another VO's jobs do not exist for this caller: ids must not reveal them.
          if (job.vo !== identity.vo)
            return { refuse: { code: 'not_found', detail: `Job ${jobId} does not exist.` } };
          if (!mayAccess(identity, job, action)) {
            return { refuse: { code: 'forbidden', detail: `You may not ${verb(action)} job ${jobId}.` } };
          }
          return decide(job);
        });
        if (!outcome.found) {
          result.failed[jobId] = { code: 'not_found', detail: `Job ${jobId} does not exist.` };
          return;
        }
        if (isFailure(outcome.value)) result.failed[jobId] = outcome.value;
        else result.success[jobId] = outcome.value;
        // Side effects follow every write, also one that ends in a failure (a reschedule past the limit).
        if (outcome.written && after && before) await after(outcome.job, before);
      }),
    );
    return result;
  }

  /** The TQ entry goes when a job stops Waiting; pilots learn of kills from their next heartbeat. */
  const afterStatusChange = async (job: JobRecord, before: JobRecord) => {
    if (before.status === 'Waiting' && job.status !== 'Waiting' && inTaskQueue(before))
      await deps.leaveTaskQueue(before);
  };

  return {
    /** `PATCH /api/jobs/status`: updates carry their own times and are applied in time order. */
    setStatuses(
      identity: Identity,
      updates: ReadonlyMap<number, readonly StatusUpdate[]>,
      force: boolean,
    ): Promise<BulkResult<StatusView>> {
      return eachJob<StatusView>(
        identity,
        [...updates.keys()],
        'report',
        (job) => applyUpdates(job, updates.get(job.jobId) ?? [], force),
        afterStatusChange,
      );
    },

    /** Killed / "Marked for termination"; a job on a pilot also gets a Kill command. */
    kill: manage('Killed', minorStatus.markedForTermination),

    /** Deleted / "Checking accounting"; removing the records is the (planned) cleaning agent's work. */
    delete: manage('Deleted', minorStatus.checkingAccounting),

    /**
     * Back to the start of the chain (Received / "Job Rescheduled"), counting reschedules; past
     * `jobs.maxRescheduling` the job fails. Attributes of the last run are cleared.
     */
    async reschedule(identity: Identity, jobIds: readonly number[]) {
      const { maxRescheduling } = deps.config.jobs;
      const result = await eachJob<StatusView>(
        identity,
        jobIds,
        'report',
        (job) => {
          if (
            job.status === 'Deleted' ||
            job.status === 'Submitting' ||
            job.status === 'Received' ||
            job.status === 'Checking'
          ) {
            return {
              refuse: {
                code: 'invalid_transition',
                detail: `Job ${job.jobId} is ${job.status}; it cannot be rescheduled.`,
              },
            };
          }
          const decided = rescheduleJob(job, {
            time: deps.now().toISOString(),
            maxRescheduling,
            source: 'JobManager',
          });
          if (decided.outcome === 'limit') {
            return {
              write: decided.write,
              history: decided.history,
              result: () =>
                ({
                  code: 'limit',
                  detail: `Job ${job.jobId} reached the maximum of ${maxRescheduling} reschedulings and is Failed.`,
                }) as Failure,
            };
          }
          return {
            write: decided.write,
            remove: decided.remove,
            history: decided.history,
            result: statusView,
          };
        },
        afterStatusChange,
      );
      const restarted = Object.keys(result.success).map(Number);
      if (restarted.length > 0) await deps.startChain(restarted);
      return result;
    },
  };

  /** Job manager actions (kill, delete) are status updates of their own, applied like the reported ones. */
  function manage(to: JobStatus, minor: string) {
    return (identity: Identity, jobIds: readonly number[]) =>
      eachJob<StatusView>(
        identity,
        jobIds,
        'manage',
        (job) =>
          applyUpdates(
            job,
            [{ time: deps.now().toISOString(), status: to, minorStatus: minor, source: 'JobManager' }],
            false,
          ),
        afterStatusChange,
      );
  }

  /**
   * Applies status updates to a job, or refuses them with the state machine's reason. A job that
   * becomes Killed while a pilot may run it gets a Kill command for that pilot.
   */
  function applyUpdates(
    job: JobRecord,
    updates: readonly StatusUpdate[],
    force: boolean,
  ): Decision<StatusView | Failure> {
    const applied = applyStatusUpdates(job, updates, { force });
    if (!applied.ok) {
      return {
        refuse: { code: 'invalid_transition', detail: `Job ${job.jobId}: ${describeRefusal(applied.error)}` },
      };
    }
    const time = deps.now().toISOString();
    const killed = applied.next.status === 'Killed' && job.status !== 'Killed';
    return {
      write: { ...applied.next, lastUpdateTime: time, ...(killed ? killCommand(job, time) : {}) },
      history: applied.history,
      result: statusView,
    };
  }
}

export type JobControl = ReturnType<typeof createJobControl>;

const isFailure = (value: unknown): value is Failure =>
  typeof value === 'object' && value !== null && 'code' in value && 'detail' in value && !('Status' in value);

const verb = (action: JobAction) => (action === 'read' ? 'see' : 'change');
