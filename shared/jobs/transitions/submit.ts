/**
 * Submission (DIRAC's `JobDB.insertNewJobIntoDB`, DiracX `submit_jobs`): new jobs are written as
 * Received / "Job accepted" with their first history row, many at a time. Nothing moves here: a
 * job comes into being, so there is no source status; a retried submission writes only the jobs
 * that do not exist, so it never resets a job its first attempt wrote and the executors moved on.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { conditionHolds } from '#shared/aws/dynamo.ts';
import { chunk, forEachLimited } from '#shared/concurrency.ts';
import type { JobRecord } from '#shared/jobs/model.ts';
import { jobItem } from '#shared/jobs/store/keys.ts';
import { writeBatch } from '#shared/jobs/store/write-jobs.ts';
import type { TransitionStore } from '#shared/jobs/transitions/write.ts';
import { countMetric, metricNames } from '#shared/metrics.ts';

const batchSize = 25;

/** The status every new job starts in. */
export const submittedAs = 'Received' as const;

function checked(jobs: readonly JobRecord[]): readonly JobRecord[] {
  for (const job of jobs)
    if (job.status !== submittedAs) throw new Error(`Job ${job.jobId} is submitted as ${job.status}`);
  return jobs;
}

/** Writes new jobs in parallel batches, retrying what DynamoDB leaves unprocessed. */
export async function insertJobs(
  store: TransitionStore,
  jobs: readonly JobRecord[],
  parallel = 8,
): Promise<void> {
  await forEachLimited(chunk(checked(jobs), batchSize), parallel, (batch) =>
    writeBatch(store.dynamo, store.table, batch.map(jobItem)),
  );
  countMetric(metricNames.jobsSubmitted, jobs.length);
}

/** Writes the jobs that do not exist yet, one conditional put each. */
export async function insertJobsIfAbsent(
  store: TransitionStore,
  jobs: readonly JobRecord[],
  parallel = 16,
): Promise<void> {
  let written = 0;
  await forEachLimited(checked(jobs), parallel, async (job) => {
    const held = await conditionHolds(
      store.dynamo.send(
        new PutCommand({
          TableName: store.table,
          Item: jobItem(job),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
    if (held) written += 1;
  });
  // A retried submission counts only the jobs its first attempt did not write.
  countMetric(metricNames.jobsSubmitted, written);
}
