/**
 * Rescheduling one job (DIRAC's `JobDB.rescheduleJob`), as the job manager's
 * `POST /api/jobs/reschedule` does it: back to the start of the chain as Received / "Job
 * Rescheduled" (the history shows Rescheduled first), the counter up by one and the attributes of
 * the last run cleared. Past `jobs.maxRescheduling` the job is Failed / "Maximum of reschedulings
 * reached" instead, with a Kill command for a pilot that may still be running it.
 *
 * Pure: the caller writes the changes with one versioned write and, for a rescheduled job, sends it
 * to JobPath. The StalledJobs agent decides with this; so should the job manager (one definition).
 */
import type { JobRecord, StatusHistoryEntry } from '#shared/jobs/model.ts';
import { type JobStatus, minorStatus } from '#shared/jobs/status.ts';
import type { JobChanges } from '#shared/jobs/store/write-jobs.ts';
import { historyEntry } from '#shared/jobs/transitions.ts';

export type Rescheduling =
  | {
      readonly outcome: 'rescheduled';
      readonly write: JobChanges;
      readonly remove: readonly (keyof JobRecord)[];
      readonly history: readonly StatusHistoryEntry[];
    }
  | {
      readonly outcome: 'limit';
      readonly write: JobChanges;
      readonly history: readonly StatusHistoryEntry[];
    };

/** Statuses in which a pilot may be running the job: stopping it takes a Kill command. */
const onAPilot: ReadonlySet<JobStatus> = new Set(['Matched', 'Running', 'Stalled', 'Completing']);

/** The job's commands with a Kill added, when a pilot may be running it; nothing otherwise. */
export function killCommand(job: JobRecord, time: string): { commands?: JobRecord['commands'] } {
  return onAPilot.has(job.status) ? { commands: [...job.commands, { command: 'Kill', issuedAt: time }] } : {};
}

/**
 * Failed with `minorStatus`, by an actor other than the job's pilot (job manager, agent): a Kill
 * command goes with it for a pilot that may still run the job.
 */
export function failJob(
  job: JobRecord,
  options: { readonly time: string; readonly source: string; readonly minorStatus: string },
): { readonly write: JobChanges; readonly history: readonly StatusHistoryEntry[] } {
  const { time } = options;
  return {
    write: {
      status: 'Failed',
      minorStatus: options.minorStatus,
      lastUpdateTime: time,
      lastStatusTime: time,
      endExecTime: job.endExecTime ?? time,
      ...killCommand(job, time),
    },
    history: [
      historyEntry({
        time,
        status: 'Failed',
        minorStatus: options.minorStatus,
        applicationStatus: job.applicationStatus,
        source: options.source,
      }),
    ],
  };
}

export function rescheduleJob(
  job: JobRecord,
  options: { readonly time: string; readonly maxRescheduling: number; readonly source: string },
): Rescheduling {
  const { time, source } = options;
  const entry = (status: JobStatus, minor: string, applicationStatus: string) =>
    historyEntry({ time, status, minorStatus: minor, applicationStatus, source });
  if (job.rescheduleCounter >= options.maxRescheduling) {
    return {
      outcome: 'limit',
      ...failJob(job, { time, source, minorStatus: minorStatus.maximumReschedulingsReached }),
    };
  }
  return {
    outcome: 'rescheduled',
    write: {
      status: 'Received',
      minorStatus: minorStatus.jobRescheduled,
      applicationStatus: 'Unknown',
      site: 'ANY',
      rescheduleCounter: job.rescheduleCounter + 1,
      rescheduleTime: time,
      lastUpdateTime: time,
      lastStatusTime: time,
      commands: [],
      parameters: {},
    },
    remove: ['startExecTime', 'endExecTime', 'heartBeatTime', 'requirements', 'taskQueueId', 'chain'],
    history: [
      entry('Rescheduled', minorStatus.jobRescheduled, job.applicationStatus),
      entry('Received', minorStatus.jobRescheduled, 'Unknown'),
    ],
  };
}
