/**
 * Reschedule (DIRAC's `JobDB.rescheduleJob`, called by `JobManager.rescheduleJob`, the JobWrapper and
 * the StalledJobAgent): back to the start of the chain as Received / "Job Rescheduled", the history
 * showing Rescheduled first, the counter up by one and the attributes of the last run cleared. Past
 * `jobs.maxRescheduling` the job is Failed / "Maximum of reschedulings reached" instead.
 *
 * DIRAC forces this move (`force=True`): a Stalled, Done or Killed job is rescheduled although its
 * table has no such edge. muon keeps the force but refuses jobs still in the chain (they have
 * nothing to redo) and Deleted ones. The counter is compared in the write's condition, so two
 * reschedules at once count twice and the limit holds.
 */
import type { JobRecord } from '#shared/jobs/model.ts';
import { type JobStatus, jobStatuses, minorStatus } from '#shared/jobs/status.ts';
import { historyEntry } from '#shared/jobs/status-updates.ts';
import { failWrite } from '#shared/jobs/transitions/fail.ts';
import { allOf, rescheduledAtLeast, rescheduledBelow } from '#shared/jobs/transitions/guards.ts';
import {
  type Guard,
  settle,
  type TransitionResult,
  type TransitionStore,
  type TransitionWrite,
} from '#shared/jobs/transitions/write.ts';

/** Not yet through the chain, or gone. */
const notReschedulable: readonly JobStatus[] = ['Submitting', 'Received', 'Checking', 'Deleted'];
export const rescheduleFrom: readonly JobStatus[] = jobStatuses.filter(
  (status) => !notReschedulable.includes(status),
);

/** What a rescheduled job forgets of its last run. */
// The pilot too: the old pilot and its payload token no longer act for the job (shared/http/caller.ts).
const lastRun = [
  'startExecTime',
  'endExecTime',
  'heartBeatTime',
  'requirements',
  'taskQueueId',
  'chain',
  'pilotReference',
];

export interface RescheduleOptions {
  readonly time: string;
  readonly source: string;
  readonly maxRescheduling: number;
  readonly guard?: Guard;
}

/** The write for the job as read: rescheduled, or Failed at the limit. */
export function rescheduleWrite(job: JobRecord, options: RescheduleOptions): TransitionWrite {
  const { time, source, maxRescheduling } = options;
  if (job.rescheduleCounter >= maxRescheduling) {
    return failWrite(job, {
      time,
      source,
      minorStatus: minorStatus.maximumReschedulingsReached,
      guard: allOf(rescheduledAtLeast(maxRescheduling), options.guard),
    });
  }
  const entry = (status: JobStatus, applicationStatus: string) =>
    historyEntry({ time, status, minorStatus: minorStatus.jobRescheduled, applicationStatus, source });
  return {
    jobId: job.jobId,
    vo: job.vo,
    from: [job.status],
    to: 'Received',
    time,
    minorStatus: minorStatus.jobRescheduled,
    applicationStatus: 'Unknown',
    set: { site: 'ANY', rescheduleTime: time, commands: [], parameters: {} },
    add: { rescheduleCounter: 1 },
    remove: lastRun,
    history: [entry('Rescheduled', job.applicationStatus), entry('Received', 'Unknown')],
    guard: allOf(rescheduledBelow(maxRescheduling), options.guard),
  };
}

/** Rescheduled when `result.job.status` is Received, Failed at the limit otherwise. */
export function rescheduleJob(
  store: TransitionStore,
  job: JobRecord,
  options: RescheduleOptions,
): Promise<TransitionResult> {
  return settle(store, job, rescheduleFrom, (current) => rescheduleWrite(current, options));
}
