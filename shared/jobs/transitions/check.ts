/**
 * The executor chain's moves (DIRAC's OptimizationMind and its executors, `JobState.setStatus`):
 * Received → Checking when JobPath hands the job on, Checking → Checking from one executor to the
 * next (the minor status names the executor the job waits for), Checking → Waiting when
 * JobScheduling puts it in its task queue, and Failed on a permanent failure (fail.ts). Each write
 * holds only while the job still waits for the executor that decided, so a kill that came first
 * wins and the executor's message is dropped.
 */
import type { JobRecord } from '#shared/jobs/model.ts';
import { type JobStatus, minorStatus } from '#shared/jobs/status.ts';
import { historyEntry } from '#shared/jobs/status-updates.ts';
import { failJob } from '#shared/jobs/transitions/fail.ts';
import { sameMinorStatus } from '#shared/jobs/transitions/guards.ts';
import { type TransitionStore, writeTransitionOnly } from '#shared/jobs/transitions/write.ts';

/**
 * The statuses in which a job belongs to the chain: Received (JobPath's) and Checking. The chain
 * moves a job on, or into its task queue, from either.
 */
const inTheChain: readonly JobStatus[] = ['Received', 'Checking'];
export const checkFrom = inTheChain;
export const waitFrom = inTheChain;

export interface ChainMove {
  /** The executor that decided; it names the row in the history. */
  readonly executor: string;
  readonly time: string;
  /** Attributes the executor worked out (the chain, requirements, site candidates, ...). */
  readonly changes?: Readonly<Record<string, unknown>>;
}

/** The chain's transitions of one job, as the chain runner uses them. */
export interface ChainTransitions {
  /** On to the executor `next` (Checking / `next`). */
  next(job: JobRecord, move: ChainMove & { readonly next: string }): Promise<ChainResult>;
  /** Into its task queue (Waiting / "Pilot Agent Submission"). */
  waiting(job: JobRecord, move: ChainMove): Promise<ChainResult>;
  /** A permanent failure, with the reason a user can act on. */
  failed(
    job: JobRecord,
    move: ChainMove & { readonly reason: string; readonly detail?: string },
  ): Promise<ChainResult>;
}

/** Whether the move held; the chain reads the job again when it did not. */
export interface ChainResult {
  readonly ok: boolean;
}

export function createChainTransitions(store: TransitionStore): ChainTransitions {
  // The chain hands over only jobs waiting for the executor; the check keeps the table's sources.
  const move = (job: JobRecord, to: JobStatus, minor: string, applicationStatus: string, m: ChainMove) =>
    inTheChain.includes(job.status)
      ? writeTransitionOnly(store, {
          jobId: job.jobId,
          vo: job.vo,
          from: [job.status],
          to,
          time: m.time,
          minorStatus: minor,
          applicationStatus,
          set: m.changes,
          history: [
            historyEntry({
              time: m.time,
              status: to,
              minorStatus: minor,
              applicationStatus,
              source: m.executor,
            }),
          ],
          guard: sameMinorStatus(job.minorStatus),
        }).then((ok) => ({ ok }))
      : Promise.resolve({ ok: false });
  return {
    next: (job, m) => move(job, 'Checking', m.next, job.applicationStatus, m),
    waiting: (job, m) => move(job, 'Waiting', minorStatus.pilotAgentSubmission, 'Unknown', m),
    failed: (job, m) =>
      failJob(store, job, {
        time: m.time,
        source: m.executor,
        minorStatus: m.reason,
        applicationStatus: m.detail ?? m.reason,
        guard: sameMinorStatus(job.minorStatus),
      }),
  };
}
