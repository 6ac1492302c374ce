/**
 * The job manager's moves (DIRAC's `JobManager.killJob` and `deleteJob`, DiracX `kill_jobs` and
 * `remove_jobs`): Killed / "Marked for termination" and Deleted / "Checking accounting", from every
 * status DIRAC's table allows (PR #7794 widened kill's list). A job a pilot may be running also
 * gets a Kill command, delivered with its pilot's next heartbeat. The two kinds of sources are two
 * writes: a kill that loses a race to the matcher is decided again, and then carries the command.
 * Deleted is final for muon; the JobCleaning agent removes the record later.
 */
import type { JobRecord } from '#shared/jobs/model.ts';
import { isFinalStatus, type JobStatus, minorStatus } from '#shared/jobs/status.ts';
import { historyEntry, IDEM } from '#shared/jobs/status-updates.ts';
import {
  onAPilot,
  settle,
  sourcesOf,
  type TransitionResult,
  type TransitionStore,
} from '#shared/jobs/transitions/write.ts';

export const killFrom: readonly JobStatus[] = sourcesOf('Killed');
export const deleteFrom: readonly JobStatus[] = sourcesOf('Deleted');

export interface ManagerMove {
  readonly to: 'Killed' | 'Deleted';
  readonly minorStatus: string;
  readonly time: string;
  readonly source: string;
}

export function managerMove(
  store: TransitionStore,
  job: JobRecord,
  move: ManagerMove,
): Promise<TransitionResult> {
  const { to, time } = move;
  const from = sourcesOf(to);
  const withCommand = from.filter((status) => onAPilot.includes(status));
  const withoutCommand = from.filter((status) => !onAPilot.includes(status));
  return settle(store, job, from, (current) => {
    const onPilot = withCommand.includes(current.status);
    return {
      jobId: current.jobId,
      vo: current.vo,
      from: onPilot ? withCommand : withoutCommand,
      to,
      time,
      minorStatus: move.minorStatus,
      // As a reported final status: the run ends with it (Deleted is no end of a run).
      ...(isFinalStatus(to) ? { setIfAbsent: { endExecTime: time } } : {}),
      ...(onPilot ? { commands: [{ command: 'Kill' as const, issuedAt: time }] } : {}),
      history: [
        historyEntry({
          time,
          status: to,
          minorStatus: move.minorStatus,
          applicationStatus: IDEM,
          source: move.source,
        }),
      ],
    };
  });
}

type ManagerOptions = { readonly time: string; readonly source: string };

export const killJob = (store: TransitionStore, job: JobRecord, options: ManagerOptions) =>
  managerMove(store, job, { ...options, to: 'Killed', minorStatus: minorStatus.markedForTermination });

export const deleteJob = (store: TransitionStore, job: JobRecord, options: ManagerOptions) =>
  managerMove(store, job, { ...options, to: 'Deleted', minorStatus: minorStatus.checkingAccounting });
