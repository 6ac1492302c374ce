/**
 * A pilot that asks for one job (DIRAC's `JobID` in the ceDict): the job must be Waiting, of the
 * pilot's VO, and match the pilot like any other; then the same claim as always.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { JobRecord } from '#shared/jobs/model.ts';
import { getJob } from '#shared/jobs/store/read-jobs.ts';
import { claimJob } from '#shared/jobs/transitions/match.ts';
import type { Claimant } from '#shared/matcher/find.ts';
import { type Exclusion, matchTaskQueue } from '#shared/matcher/predicate.ts';
import type { ResourceDescription } from '#shared/matcher/resource-description.ts';
import { taskQueueDefinition } from '#shared/taskqueues/definition.ts';
import { removeTaskQueueEntry } from '#shared/taskqueues/entries.ts';

export async function claimRequestedJob(
  deps: { dynamo: DynamoDBDocumentClient; tables: { jobs: string; taskQueues: string } },
  jobId: number,
  resource: ResourceDescription,
  exclusions: readonly Exclusion[],
  claimant: Claimant,
): Promise<{ ok: true; job: JobRecord } | { ok: false; reason: string }> {
  const job = await getJob(deps.dynamo, deps.tables.jobs, jobId);
  if (!job || job.vo !== claimant.vo) return { ok: false, reason: `job ${jobId} does not exist` };
  if (job.status !== 'Waiting' || !job.requirements || !job.taskQueueId)
    return { ok: false, reason: `job ${jobId} is ${job.status}, not Waiting` };
  const verdict = matchTaskQueue(taskQueueDefinition(job.requirements), resource, exclusions);
  if (!verdict.match) return { ok: false, reason: `job ${jobId} does not match: ${verdict.reason}` };
  const claimed = await claimJob(
    { dynamo: deps.dynamo, table: deps.tables.jobs },
    {
      ...claimant,
      jobId,
      tqId: job.taskQueueId,
    },
  );
  if (!claimed.ok) return { ok: false, reason: `job ${jobId} was taken by another pilot` };
  await removeTaskQueueEntry(deps.dynamo, deps.tables.taskQueues, {
    tqId: job.taskQueueId,
    jobId,
    priority: job.userPriority,
  }).catch(() => undefined);
  return { ok: true, job: claimed.job };
}
