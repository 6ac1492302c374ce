/**
 * The recovery sweep: jobs that sit in Received or Checking longer than `jobs.recoverAfterSeconds`
 * lost their executor message (a restart of the embedded runtime empties its queues; a message can
 * end in a DLQ). Each is sent again to the executor it waits for. A job recovered
 * `jobs.maxRecoveries` times fails instead of circling forever.
 *
 * Each run reads a bounded number of jobs per (VO, status) and keeps its place in the counters
 * table (a walk of shared/agents/sweep.ts), so a huge backlog is swept over several runs.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { jobsInStatus, walk } from '#shared/agents/sweep.ts';
import type { MuonConfig } from '#shared/config/schema.ts';
import type { Dispatch } from '#shared/executors/dispatch.ts';
import type { JobRecord } from '#shared/jobs/model.ts';
import type { JobRepository } from '#shared/jobs/repository.ts';
import type { JobStatus } from '#shared/jobs/status.ts';
import { fromJobItem } from '#shared/jobs/store/keys.ts';
import { failJob } from '#shared/jobs/transitions/fail.ts';
import { untouchedSince } from '#shared/jobs/transitions/guards.ts';
import type { Logger } from '#shared/log.ts';

export interface RecoveryDeps {
  readonly config: MuonConfig;
  readonly dynamo: DynamoDBDocumentClient;
  readonly jobsTable: string;
  readonly countersTable: string;
  readonly jobs: JobRepository;
  readonly dispatch: Dispatch;
  readonly now: () => Date;
  readonly logger: Logger;
}

const sweptStatuses: readonly JobStatus[] = ['Received', 'Checking'];

export async function recoverStuckJobs(
  deps: RecoveryDeps,
  pageSize = 200,
): Promise<{ examined: number; recovered: number; failed: number }> {
  const totals = { examined: 0, recovered: 0, failed: 0 };
  const cutoff = deps.now().getTime() - deps.config.jobs.recoverAfterSeconds * 1000;
  for (const vo of Object.keys(deps.config.virtualOrganizations)) {
    for (const status of sweptStatuses) {
      // One page per (VO, status) and run: every item of it may change.
      const budget = { reads: pageSize, changes: pageSize };
      const target = jobsInStatus(deps.jobsTable, `recovery#${vo}#${status}`, vo, status);
      totals.examined += await walk(deps, target, budget, async (item) => {
        const summary = fromJobItem(item);
        if (Date.parse(summary.lastUpdateTime) > cutoff) return 'skipped';
        const outcome = await recoverOne(deps, summary.jobId, cutoff);
        if (!outcome) return 'skipped';
        totals[outcome] += 1;
        return 'changed';
      });
    }
  }
  if (totals.recovered + totals.failed > 0) deps.logger.info('recovery sweep', totals);
  return totals;
}

async function recoverOne(
  deps: RecoveryDeps,
  jobId: number,
  cutoff: number,
): Promise<'recovered' | 'failed' | undefined> {
  const time = deps.now().toISOString();
  const job = await deps.jobs.get(jobId);
  if (!job || !stuck(job, cutoff)) return undefined;
  const recoveries = (job.recoveries ?? 0) + 1;
  if (recoveries > deps.config.jobs.maxRecoveries) {
    // Given up on: Failed, if nothing touched the job since it was found stuck.
    const failed = await failJob(deps.jobs.transitions, job, {
      time,
      source: 'RecoveryAgent',
      minorStatus: 'Executor chain did not complete',
      guard: untouchedSince(new Date(cutoff).toISOString()),
    });
    return failed.ok ? 'failed' : undefined;
  }
  // The count is no status: a write of it on the job as read; one that changed since is left to
  // the next run.
  const written = await deps.jobs.update(job, { recoveries, lastUpdateTime: time }, []);
  if (!written.ok) return undefined;
  await deps.dispatch(job.status === 'Received' ? 'JobPath' : job.minorStatus, [jobId]);
  return 'recovered';
}

const stuck = (job: JobRecord, cutoff: number) =>
  sweptStatuses.includes(job.status) && lastTouched(job) <= cutoff;

const lastTouched = (job: JobRecord) =>
  Math.max(Date.parse(job.lastUpdateTime), job.holdUntil ? Date.parse(job.holdUntil) : 0);
