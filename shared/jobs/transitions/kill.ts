/**
 * Kill (DIRAC's `JobManager.killJob`, DiracX `kill_jobs`): Killed / "Marked for termination" from
 * every status DIRAC's table allows (PR #7794 widened the list). A job a pilot may be running also
 * gets a Kill command, delivered with its pilot's next heartbeat. The two kinds of sources are two
 * writes: a kill that loses a race to the matcher is decided again, and then carries the command.
 */
import type { JobRecord } from '#shared/jobs/model.ts';
import { type JobStatus, minorStatus } from '#shared/jobs/status.ts';
import { IDEM } from '#shared/jobs/status-updates.ts';
import {
  onAPilot,
  settle,
  sourcesOf,
  type TransitionResult,
  type TransitionStore,
} from '#shared/jobs/transitions/write.ts';

export const killFrom: readonly JobStatus[] = sourcesOf('Killed');
const withCommand: readonly JobStatus[] = killFrom.filter((status) => onAPilot.includes(status));
const withoutCommand: readonly JobStatus[] = killFrom.filter((status) => !onAPilot.includes(status));

export function killJob(
  store: TransitionStore,
  job: JobRecord,
  options: { readonly time: string; readonly source: string },
): Promise<TransitionResult> {
  const { time, source } = options;
  return settle(store, job, killFrom, (current) => {
    const onPilot = withCommand.includes(current.status);
    return {
      jobId: current.jobId,
      vo: current.vo,
      from: onPilot ? withCommand : withoutCommand,
      to: 'Killed',
      time,
      minorStatus: minorStatus.markedForTermination,
      setIfAbsent: { endExecTime: time },
      ...(onPilot ? { commands: [{ command: 'Kill' as const, issuedAt: time }] } : {}),
      history: [
        {
          time,
          status: 'Killed',
          minorStatus: minorStatus.markedForTermination,
          applicationStatus: IDEM,
          source,
          resultingStatus: 'Killed',
          applied: true,
        },
      ],
    };
  });
}
