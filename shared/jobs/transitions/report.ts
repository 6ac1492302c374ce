/**
 * Reported statuses (DIRAC's `JobStateUpdate.setJobStatusBulk`, DiracX `set_job_statuses`): the
 * job wrapper's, the pilot's and administrators' updates, applied by `applyStatusUpdates` under
 * DIRAC's table, step by step, and written at once. The write holds only on the job exactly as the
 * batch was validated on; if another writer moved it first, the batch is validated again from
 * where the job is now, so a report never lands on a status it was not checked against.
 */
import { rowsWithinLimit } from '#shared/jobs/history-limit.ts';
import type { JobRecord } from '#shared/jobs/model.ts';
import type { JobStatus } from '#shared/jobs/status.ts';
import {
  applyStatusUpdates,
  type JobStatusFields,
  type StatusHistoryEntry,
  type StatusUpdate,
  type TransitionRefusal,
} from '#shared/jobs/status-updates.ts';
import { sameVersion } from '#shared/jobs/transitions/guards.ts';
import {
  onAPilot,
  type TransitionStore,
  type TransitionWrite,
  writeTransition,
} from '#shared/jobs/transitions/write.ts';

/** `previous`, when written: the status the write moved the job from (a retry may start later). */
export type ReportResult =
  | { readonly ok: true; readonly job: JobRecord; readonly written: false }
  | { readonly ok: true; readonly job: JobRecord; readonly written: true; readonly previous: JobStatus }
  | { readonly ok: false; readonly refusal: TransitionRefusal; readonly job: JobRecord }
  | { readonly ok: false; readonly refusal?: undefined; readonly job?: undefined };

const maxAttempts = 8;

export async function reportStatuses(
  store: TransitionStore,
  job: JobRecord,
  updates: readonly StatusUpdate[],
  options: { readonly time: string; readonly force: boolean },
): Promise<ReportResult> {
  let current = job;
  for (let attempt = 0; attempt < maxAttempts; attempt += 1) {
    const applied = applyStatusUpdates(current, updates, { force: options.force });
    if (!applied.ok) return { ok: false, refusal: applied.error, job: current };
    const history = rowsWithinLimit(current.history, current.status, applied.history);
    if (!applied.changed && history.length === 0) return { ok: true, job: current, written: false };
    const result = await writeTransition(store, reportWrite(current, applied.next, history, options.time), {
      readBack: true,
    });
    if (result.ok) return { ok: true, job: result.job, written: true, previous: result.previous };
    if (result.current === undefined) return { ok: false };
    current = result.job;
  }
  throw new Error(`Job ${job.jobId} kept changing while its statuses were applied; try again.`);
}

function reportWrite(
  job: JobRecord,
  next: JobStatusFields,
  history: readonly StatusHistoryEntry[],
  time: string,
): TransitionWrite {
  // A job killed while a pilot may run it: the pilot learns it with its next heartbeat.
  const killed = next.status === 'Killed' && job.status !== 'Killed' && onAPilot.includes(job.status);
  return {
    jobId: job.jobId,
    vo: job.vo,
    from: [job.status],
    to: next.status,
    time,
    statusTime: next.lastStatusTime ?? job.lastStatusTime,
    minorStatus: next.minorStatus,
    applicationStatus: next.applicationStatus,
    set: {
      startExecTime: next.startExecTime,
      endExecTime: next.endExecTime,
      heartBeatTime: next.heartBeatTime,
    },
    ...(killed ? { commands: [{ command: 'Kill' as const, issuedAt: time }] } : {}),
    history,
    guard: sameVersion(job.version),
  };
}
