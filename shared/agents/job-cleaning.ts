/**
 * The JobCleaning agent (DIRAC's JobCleaningAgent). Each run, per VO:
 * - Done, Failed and Killed jobs not updated for `removeAfterSeconds[status]` (7 days), and
 *   Deleted jobs, are removed: their task-queue entry if one is left, their sandbox assignments,
 *   then the job record (only if it did not change meanwhile);
 * - sandboxes nothing uses any more are removed from the bucket and the sandboxes table
 *   (shared/agents/sandbox-cleaning.ts);
 * - expired records of the counters table (submission idempotency keys) are deleted: DynamoDB's
 *   TTL does it in the cloud, nothing does it in the embedded runtime.
 * At most `maxJobsPerRun` jobs and `maxSandboxesPerRun` sandboxes go per run; each walk keeps its
 * place for the next run.
 */

import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { DeleteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { removeUnusedSandboxes } from '#shared/agents/sandbox-cleaning.ts';
import { type Budget, jobsInStatus, runBudget, walk } from '#shared/agents/sweep.ts';
import type { MuonConfig } from '#shared/config/schema.ts';
import type { JobRecord } from '#shared/jobs/model.ts';
import type { JobRepository } from '#shared/jobs/repository.ts';
import type { JobStatus } from '#shared/jobs/status.ts';
import { removeJobRecord } from '#shared/jobs/store/delete-job.ts';
import { fromJobItem } from '#shared/jobs/store/keys.ts';
import type { Logger } from '#shared/log.ts';
import { tables } from '#shared/resources.ts';
import { listJobAssignments } from '#shared/sandboxes/store/read-sandboxes.ts';
import { deleteAssignment } from '#shared/sandboxes/store/remove-sandboxes.ts';

export interface JobCleaningDeps {
  readonly config: MuonConfig;
  readonly dynamo: DynamoDBDocumentClient;
  readonly s3: S3Client;
  readonly jobsTable: string;
  readonly countersTable: string;
  readonly sandboxesTable: string;
  readonly bucket: string;
  readonly jobs: JobRepository;
  /** Takes a job out of its task queue. */
  readonly leaveTaskQueue: (job: JobRecord) => Promise<void>;
  readonly now: () => Date;
  readonly logger: Logger;
}

export interface JobCleaningRun {
  examined: number;
  removed: number;
  sandboxesRemoved: number;
  expiredRecords: number;
}

export type RemovableStatus = keyof MuonConfig['agents']['cleaning']['removeAfterSeconds'];
/** Deleted first: the user asked for those to go. */
const removable: readonly RemovableStatus[] = ['Deleted', 'Killed', 'Failed', 'Done'];

/** The time before which a job in `status` must have been last updated to be removed. */
export const removalCutoff = (
  status: RemovableStatus,
  settings: MuonConfig['agents']['cleaning'],
  now: number,
): number => now - settings.removeAfterSeconds[status] * 1000;

/**
 * What to do with a job of the walk: remove it, skip it, or stop (`end`). Job ids grow with
 * submission time, and no job can have been updated before it was submitted, so once jobs were
 * submitted after the cutoff none further on is old enough: the next run starts again from the
 * oldest. (Ids come in blocks per function instance, so a few may be left for a later pass.)
 */
export function removalVerdict(
  job: Pick<JobRecord, 'submissionTime' | 'lastUpdateTime'>,
  cutoff: number,
): 'remove' | 'skip' | 'end' {
  if (Date.parse(job.submissionTime) > cutoff) return 'end';
  return Date.parse(job.lastUpdateTime) <= cutoff ? 'remove' : 'skip';
}

export async function cleanJobs(deps: JobCleaningDeps): Promise<JobCleaningRun> {
  const settings = deps.config.agents.cleaning;
  const now = deps.now().getTime();
  const run: JobCleaningRun = { examined: 0, removed: 0, sandboxesRemoved: 0, expiredRecords: 0 };
  const budget = runBudget(settings.maxJobsPerRun);
  for (const vo of Object.keys(deps.config.virtualOrganizations)) {
    for (const status of removable) {
      const cutoff = removalCutoff(status, settings, now);
      const target = jobsInStatus(deps.jobsTable, `cleaning#${vo}#${status}`, vo, status);
      run.examined += await walk(deps, target, budget, async (item) => {
        const summary = fromJobItem(item);
        const verdict = removalVerdict(summary, cutoff);
        if (verdict !== 'remove') return verdict === 'end' ? 'end' : 'skipped';
        if (!(await removeJob(deps, summary.jobId, status, cutoff))) return 'skipped';
        run.removed += 1;
        return 'changed';
      });
    }
  }
  const sandboxes = await removeUnusedSandboxes(deps, runBudget(settings.maxSandboxesPerRun), now);
  run.sandboxesRemoved = sandboxes.removed;
  run.expiredRecords = await deleteExpiredRecords(deps, runBudget(settings.maxJobsPerRun), now);
  return run;
}

/**
 * Removes one job as it is now. The record goes last, and only at the version read: a job
 * rescheduled meanwhile stays (its executors assign its input sandboxes again).
 */
async function removeJob(
  deps: JobCleaningDeps,
  jobId: number,
  status: JobStatus,
  cutoff: number,
): Promise<boolean> {
  const job = await deps.jobs.get(jobId);
  if (!job || job.status !== status || Date.parse(job.lastUpdateTime) > cutoff) return false;
  if (job.taskQueueId) await deps.leaveTaskQueue(job);
  for (const assignment of await listJobAssignments(deps.dynamo, deps.sandboxesTable, jobId)) {
    await deleteAssignment(deps.dynamo, deps.sandboxesTable, assignment);
  }
  const removed = await removeJobRecord(deps.dynamo, deps.jobsTable, job);
  if (!removed) deps.logger.info('job changed while it was being removed; kept', { jobId });
  return removed;
}

/** Counters-table items past their `expiresAt` (what DynamoDB's TTL deletes in the cloud). */
async function deleteExpiredRecords(deps: JobCleaningDeps, budget: Budget, now: number): Promise<number> {
  const attribute = tables.counters.timeToLiveAttribute;
  const nowSeconds = Math.floor(now / 1000);
  let deleted = 0;
  const expired = {
    expression: '#expiresAt < :now',
    names: { '#expiresAt': attribute },
    values: { ':now': nowSeconds },
  };
  const target = {
    cursor: 'cleaning#expired',
    table: deps.countersTable,
    definition: tables.counters,
    filter: expired,
  };
  await walk(deps, target, budget, async (item) => {
    try {
      await deps.dynamo.send(
        new DeleteCommand({
          TableName: deps.countersTable,
          Key: { pk: item.pk },
          ConditionExpression: expired.expression,
          ExpressionAttributeNames: expired.names,
          ExpressionAttributeValues: expired.values,
        }),
      );
      deleted += 1;
      return 'changed';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return 'skipped';
      throw error;
    }
  });
  return deleted;
}
