/**
 * Stall (DIRAC's StalledJobAgent `_markStalledJobs`): a Running or Completing job with no sign of
 * life for `stalledAfterSeconds` becomes Stalled, its minor status kept. The write holds only if
 * the job is still quiet and on the pilot read, so a heartbeat that arrives first wins; one that
 * arrives after makes the job Running again (heartbeat.ts), as DIRAC's `sendHeartBeat` does.
 */
import type { JobRecord } from '#shared/jobs/model.ts';
import type { JobStatus } from '#shared/jobs/status.ts';
import { historyEntry } from '#shared/jobs/status-updates.ts';
import { allOf, quietSince, samePilot } from '#shared/jobs/transitions/guards.ts';
import {
  sourcesOf,
  type TransitionResult,
  type TransitionStore,
  writeTransition,
} from '#shared/jobs/transitions/write.ts';

/** Scouting may stall in DIRAC's table too, but nothing in muon scouts. */
export const stallFrom: readonly JobStatus[] = sourcesOf('Stalled').filter((status) => status !== 'Scouting');

export async function stallJob(
  store: TransitionStore,
  job: JobRecord,
  options: { readonly time: string; readonly source: string; readonly quietSince: string },
): Promise<TransitionResult> {
  if (!stallFrom.includes(job.status)) return { ok: false, current: job.status, job };
  const { time, source } = options;
  return writeTransition(store, {
    jobId: job.jobId,
    vo: job.vo,
    from: stallFrom,
    to: 'Stalled',
    time,
    history: [
      historyEntry({
        time,
        status: 'Stalled',
        minorStatus: job.minorStatus,
        applicationStatus: job.applicationStatus,
        source,
      }),
    ],
    guard: allOf(samePilot(job.pilotReference), quietSince(options.quietSince)),
  });
}
