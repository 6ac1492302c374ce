/**
 * A heartbeat's write (DIRAC's `JobDB` part of `JobStateUpdate.sendHeartBeat`): the heartbeat
 * time, the figures as job parameters, the pending commands delivered (cleared), and for a Matched
 * or Stalled job the move to Running, as DIRAC's `sendHeartBeat` makes it. A job the StalledJobs
 * agent marked Stalled is therefore alive again with its next heartbeat.
 *
 * The write is conditional on the job being exactly as read: the commands it delivers are the ones
 * read, so a Kill added meanwhile is not cleared unseen; a refused beat is decided again.
 */
import type { JobRecord } from '#shared/jobs/model.ts';
import { type JobStatus, minorStatus } from '#shared/jobs/status.ts';
import { historyEntry } from '#shared/jobs/status-updates.ts';
import { sameVersion } from '#shared/jobs/transitions/guards.ts';
import {
  settle,
  type TransitionResult,
  type TransitionStore,
  type TransitionWrite,
} from '#shared/jobs/transitions/write.ts';

/** The statuses a heartbeat wakes (DIRAC: "If the status is Stalled or Matched → Running"). */
export const wakeFrom: readonly JobStatus[] = ['Matched', 'Stalled'];
/** Statuses in which a job may beat without a move: running, or just killed (to learn it). */
export const beatingIn: readonly JobStatus[] = ['Running', 'Completing', 'Killed'];

export interface Beat {
  readonly time: string;
  /** The job's parameters with the beat's figures merged in. */
  readonly parameters: (job: JobRecord) => Readonly<Record<string, string | number>>;
}

/** The write of one beat on the job as read. */
export function beatWrite(job: JobRecord, beat: Beat): TransitionWrite {
  const { time } = beat;
  const wakes = wakeFrom.includes(job.status);
  const minor = job.status === 'Matched' ? minorStatus.jobInitialization : job.minorStatus;
  return {
    jobId: job.jobId,
    vo: job.vo,
    from: [job.status],
    to: wakes ? 'Running' : job.status,
    time,
    // A beat is no status update: only a wake moves the time that makes older updates stale.
    statusTime: wakes ? time : job.lastStatusTime,
    ...(wakes ? { minorStatus: minor } : {}),
    set: { heartBeatTime: time, parameters: beat.parameters(job), commands: [] },
    ...(wakes ? { setIfAbsent: { startExecTime: time } } : {}),
    history: wakes
      ? [
          historyEntry({
            time,
            status: 'Running',
            minorStatus: minor,
            applicationStatus: job.applicationStatus,
            source: 'Heartbeat',
          }),
        ]
      : [],
    guard: sameVersion(job.version),
  };
}

/** Records the beat; `delivered` are the commands the written beat cleared, for its answer. */
export async function recordBeat(
  store: TransitionStore,
  job: JobRecord,
  beat: Beat,
): Promise<{ readonly result: TransitionResult; readonly delivered: JobRecord['commands'] }> {
  let delivered: JobRecord['commands'] = [];
  const result = await settle(store, job, [...wakeFrom, ...beatingIn], (current) => {
    delivered = current.commands;
    return beatWrite(current, beat);
  });
  return { result, delivered };
}
