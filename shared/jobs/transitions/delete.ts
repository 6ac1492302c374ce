/**
 * Delete (DIRAC's `JobManager.deleteJob`): Deleted / "Checking accounting" from the statuses DIRAC's
 * table allows; the JobCleaning agent removes the record later. Deleted is final for muon.
 */
import type { JobRecord } from '#shared/jobs/model.ts';
import { type JobStatus, minorStatus } from '#shared/jobs/status.ts';
import { IDEM } from '#shared/jobs/status-updates.ts';
import {
  settle,
  sourcesOf,
  type TransitionResult,
  type TransitionStore,
} from '#shared/jobs/transitions/write.ts';

export const deleteFrom: readonly JobStatus[] = sourcesOf('Deleted');

export function deleteJob(
  store: TransitionStore,
  job: JobRecord,
  options: { readonly time: string; readonly source: string },
): Promise<TransitionResult> {
  const { time, source } = options;
  return settle(store, job, deleteFrom, (current) => ({
    jobId: current.jobId,
    vo: current.vo,
    from: deleteFrom,
    to: 'Deleted',
    time,
    minorStatus: minorStatus.checkingAccounting,
    history: [
      {
        time,
        status: 'Deleted',
        minorStatus: minorStatus.checkingAccounting,
        applicationStatus: IDEM,
        source,
        resultingStatus: 'Deleted',
        applied: true,
      },
    ],
  }));
}
