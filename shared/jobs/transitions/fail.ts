/**
 * Failed decided by muon rather than reported by the job (DIRAC's optimizers' `setJobStatus(Failed)`,
 * the StalledJobAgent's `__failStalledJobs`, the recovery sweep giving up): Failed with a reason a
 * user can act on. A job a pilot may still be running gets a Kill command with it.
 */
import type { JobRecord } from '#shared/jobs/model.ts';
import type { JobStatus } from '#shared/jobs/status.ts';
import { historyEntry } from '#shared/jobs/status-updates.ts';
import {
  type Guard,
  onAPilot,
  sourcesOf,
  type TransitionResult,
  type TransitionStore,
  type TransitionWrite,
  writeTransition,
} from '#shared/jobs/transitions/write.ts';

export const failFrom: readonly JobStatus[] = sourcesOf('Failed');

export interface FailOptions {
  readonly time: string;
  readonly source: string;
  readonly minorStatus: string;
  /** The application status to show; the job's own otherwise. */
  readonly applicationStatus?: string;
  /** The facts the decision was made on, besides the status read. */
  readonly guard?: Guard;
}

/** The write that fails `job` from the status it was read in. */
export function failWrite(job: JobRecord, options: FailOptions): TransitionWrite {
  const { time } = options;
  const from: readonly JobStatus[] = [job.status];
  return {
    jobId: job.jobId,
    vo: job.vo,
    from,
    to: 'Failed',
    time,
    minorStatus: options.minorStatus,
    applicationStatus: options.applicationStatus,
    setIfAbsent: { endExecTime: time },
    ...(onAPilot.includes(job.status) ? { commands: [{ command: 'Kill' as const, issuedAt: time }] } : {}),
    history: [
      historyEntry({
        time,
        status: 'Failed',
        minorStatus: options.minorStatus,
        applicationStatus: options.applicationStatus ?? job.applicationStatus,
        source: options.source,
      }),
    ],
    guard: options.guard,
  };
}

/** One attempt: refused if the job moved since it was read (without reading it again). */
export async function failJob(
  store: TransitionStore,
  job: JobRecord,
  options: FailOptions,
): Promise<TransitionResult> {
  if (!failFrom.includes(job.status)) return { ok: false, current: job.status, job };
  return writeTransition(store, failWrite(job, options));
}
