/**
 * What the agents that act on jobs by status (StalledJobs, UnconfirmedMatches) share: per VO and
 * status, a walk of the jobs' byStatus index (sweep.ts) in which the index's copy of a job decides
 * whether the job is worth reading, and the job as read now what is done with it; the outcomes are
 * counted, and the rescheduled jobs go to the executor chain when the run ends, whatever happened
 * (the recovery sweep would find them too). Their reschedule is one write, guarded by the agent.
 */
import { type Budget, jobsInStatus, type WalkDeps, walk } from '#shared/agents/sweep.ts';
import type { JobRecord } from '#shared/jobs/model.ts';
import type { JobRepository } from '#shared/jobs/repository.ts';
import type { JobStatus } from '#shared/jobs/status.ts';
import { fromJobItem } from '#shared/jobs/store/keys.ts';
import { type RescheduleOptions, rescheduleWrite } from '#shared/jobs/transitions/reschedule.ts';
import { writeTransition } from '#shared/jobs/transitions/write.ts';

export interface JobSweepDeps extends WalkDeps {
  readonly jobsTable: string;
  /** Sends rescheduled jobs to the start of the executor chain. */
  readonly startChain: (jobIds: readonly number[]) => Promise<void>;
}

export interface JobSweep<Outcome extends string> {
  readonly vos: readonly string[];
  readonly statuses: readonly JobStatus[];
  /** Names the walk's cursor (sweep.ts). */
  readonly cursor: (vo: string, status: JobStatus) => string;
  readonly budget: Budget;
  /** Counts the jobs examined and each outcome. */
  readonly run: { examined: number } & Record<Outcome, number>;
  /** On the index's copy of the job: whether it is worth reading. */
  readonly worthReading: (job: JobRecord) => boolean;
  /** Reads the job, decides and writes; undefined when nothing was written. */
  readonly settle: (jobId: number) => Promise<Outcome | undefined>;
}

export async function sweepJobs<Outcome extends string>(
  deps: JobSweepDeps,
  sweep: JobSweep<Outcome>,
): Promise<void> {
  const { run } = sweep;
  const restart: number[] = [];
  try {
    for (const vo of sweep.vos) {
      for (const status of sweep.statuses) {
        const target = jobsInStatus(deps.jobsTable, sweep.cursor(vo, status), vo, status);
        run.examined += await walk(deps, target, sweep.budget, async (item) => {
          const summary = fromJobItem(item);
          if (!sweep.worthReading(summary)) return 'skipped';
          const outcome = await sweep.settle(summary.jobId);
          if (outcome === undefined) return 'skipped';
          (run as Record<Outcome, number>)[outcome] += 1;
          if (outcome === 'rescheduled') restart.push(summary.jobId);
          return 'changed';
        });
      }
    }
  } finally {
    if (restart.length > 0) await deps.startChain(restart);
  }
}

/** Reschedules the job as read: `failed` at `maxRescheduling`, undefined if the write did not hold. */
export async function rescheduleOnce(
  jobs: JobRepository,
  job: JobRecord,
  options: RescheduleOptions,
): Promise<'rescheduled' | 'failed' | undefined> {
  const result = await writeTransition(jobs.transitions, rescheduleWrite(job, options));
  if (!result.ok) return undefined;
  return result.job.status === 'Received' ? 'rescheduled' : 'failed';
}
