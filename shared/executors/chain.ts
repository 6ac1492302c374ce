/**
 * Runs one executor on one job and applies its outcome: the job's status, minor status and changes
 * in one transition (shared/jobs/transitions/check.ts), and the hand-over to the next executor's queue. Messages for
 * jobs that have moved on (killed, already past this executor, a duplicate delivery) are dropped.
 *
 * A crash between the write and the hand-over leaves the job in Checking with no message; the
 * recovery sweep (agents/recovery.ts) re-sends it.
 */

import type { Dispatch } from '#shared/executors/dispatch.ts';
import type { Executor } from '#shared/executors/executor.ts';
import type { JobRecord } from '#shared/jobs/model.ts';
import { historyEntry } from '#shared/jobs/status-updates.ts';
import type { JobChanges, UpdateResult } from '#shared/jobs/store/write-jobs.ts';
import type { ChainTransitions } from '#shared/jobs/transitions/check.ts';
import type { Logger } from '#shared/log.ts';

export interface ChainDeps {
  readonly getJob: (jobId: number) => Promise<JobRecord | undefined>;
  /** The chain's status moves (shared/jobs/transitions/check.ts). */
  readonly transitions: ChainTransitions;
  /** Writes attributes other than the status (a hold). */
  readonly updateJob: (
    job: JobRecord,
    changes: JobChanges,
    history: JobRecord['history'],
  ) => Promise<UpdateResult>;
  readonly dispatch: Dispatch;
  readonly now: () => Date;
}

const maxConflicts = 5;

export async function runExecutor(
  deps: ChainDeps,
  executor: Executor,
  jobId: number,
  logger: Logger,
): Promise<void> {
  for (let attempt = 0; attempt < maxConflicts; attempt += 1) {
    const job = await deps.getJob(jobId);
    if (!job) {
      logger.warn('no such job; message dropped', { jobId, executor: executor.name });
      return;
    }
    if (!isWaitingFor(job, executor.name)) {
      logger.info('job is not waiting for this executor; message dropped', {
        jobId,
        executor: executor.name,
        status: job.status,
        minorStatus: job.minorStatus,
      });
      return;
    }
    const outcome = await executor.optimize(job);
    const time = deps.now().toISOString();
    const move = { executor: executor.name, time };

    let result: { readonly ok: boolean };
    let next: string | undefined;
    switch (outcome.kind) {
      case 'continue': {
        const chain = outcome.changes?.chain ?? job.chain ?? [];
        next = chain[chain.indexOf(executor.name) + 1];
        if (!next)
          throw new Error(
            `Executor ${executor.name} is the last of job ${jobId}'s chain but did not finish it.`,
          );
        result = await deps.transitions.next(job, { ...move, next, changes: outcome.changes });
        break;
      }
      case 'fail':
        result = await deps.transitions.failed(job, {
          ...move,
          reason: outcome.reason,
          detail: outcome.detail,
        });
        break;
      case 'hold': {
        // The recovery sweep leaves a held job alone until the hold ends; the status stays.
        const holdUntil = new Date(Date.parse(time) + outcome.seconds * 1000).toISOString();
        result = await deps.updateJob(
          job,
          { applicationStatus: outcome.applicationStatus, lastUpdateTime: time, holdUntil },
          [
            historyEntry({
              status: job.status,
              minorStatus: job.minorStatus,
              applicationStatus: outcome.applicationStatus,
              time,
              source: executor.name,
            }),
          ],
        );
        if (result.ok) await deps.dispatch(executor.name, [jobId], outcome.seconds);
        break;
      }
      case 'waiting':
        result = await deps.transitions.waiting(job, { ...move, changes: outcome.changes });
        break;
    }
    // Someone else wrote the job meanwhile (a kill, a duplicate delivery): look again; a job no
    // longer waiting for this executor is then dropped.
    if (!result.ok) continue;
    if (next) await deps.dispatch(next, [jobId]);
    logger.info('executor done', { jobId, executor: executor.name, outcome: outcome.kind, next });
    return;
  }
  throw new Error(`Job ${jobId} kept changing under ${executor.name}; giving up for now.`);
}

/** JobPath takes Received jobs; every other executor takes jobs Checking with its name as minor status. */
export function isWaitingFor(job: JobRecord, executor: string): boolean {
  if (executor === 'JobPath' && job.status === 'Received') return true;
  return job.status === 'Checking' && job.minorStatus === executor;
}
