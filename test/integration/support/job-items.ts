/** Jobs written straight into the table in any status, for tests that need them (no transition). */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { JobRecord } from '#shared/jobs/model.ts';
import { jobItem } from '#shared/jobs/store/keys.ts';
import { writeBatch } from '#shared/jobs/store/write-jobs.ts';

export async function insertFixtureJobs(
  dynamo: DynamoDBDocumentClient,
  table: string,
  jobs: readonly JobRecord[],
): Promise<void> {
  for (let i = 0; i < jobs.length; i += 25)
    await writeBatch(dynamo, table, jobs.slice(i, i + 25).map(jobItem));
}
