/** Writing jobs: the bulk insert of a submission and the versioned update of one job. */

import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { chunk, forEachLimited } from '#shared/concurrency.ts';
import type { JobRecord, StatusHistoryEntry } from '#shared/jobs/model.ts';
import { indexKeys, jobItem, jobKey } from '#shared/jobs/store/keys.ts';

const batchSize = 25;

/** Writes new jobs in parallel batches, retrying what DynamoDB leaves unprocessed. */
export async function insertJobs(
  dynamo: DynamoDBDocumentClient,
  table: string,
  jobs: readonly JobRecord[],
  parallel = 8,
): Promise<void> {
  await forEachLimited(chunk(jobs, batchSize), parallel, (batch) =>
    writeBatch(dynamo, table, batch.map(jobItem)),
  );
}

export async function writeBatch(
  dynamo: DynamoDBDocumentClient,
  table: string,
  items: Record<string, unknown>[],
): Promise<void> {
  let requests = items.map((Item) => ({ PutRequest: { Item } }));
  for (let attempt = 0; requests.length > 0; attempt += 1) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 25 * 2 ** attempt)));
    if (attempt > 8)
      throw new Error(`DynamoDB left ${requests.length} writes unprocessed after ${attempt} attempts.`);
    const result = await dynamo.send(new BatchWriteCommand({ RequestItems: { [table]: requests } }));
    requests = (result.UnprocessedItems?.[table] ?? []) as typeof requests;
  }
}

/**
 * Writes the jobs that do not exist yet, one conditional put each: a retried submission must never
 * reset a job its first attempt already wrote and the executors moved on.
 */
export async function insertJobsIfAbsent(
  dynamo: DynamoDBDocumentClient,
  table: string,
  jobs: readonly JobRecord[],
  parallel = 16,
): Promise<void> {
  await forEachLimited(jobs, parallel, async (job) => {
    try {
      await dynamo.send(
        new PutCommand({
          TableName: table,
          Item: jobItem(job),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  });
}

export type JobChanges = Partial<Omit<JobRecord, 'jobId' | 'vo' | 'owner' | 'history' | 'version'>>;

export type UpdateResult = { ok: true; job: JobRecord } | { ok: false; reason: 'conflict' };

/**
 * Applies `changes` to a job and appends `history`, if the job is still at `expectedVersion`.
 * Status changes move the job between index groups. A lost race is a `conflict`, not an exception.
 */
export async function updateJob(
  dynamo: DynamoDBDocumentClient,
  table: string,
  current: JobRecord,
  changes: JobChanges,
  history: readonly StatusHistoryEntry[] = [],
  remove: readonly (keyof JobRecord)[] = [],
): Promise<UpdateResult> {
  const names: Record<string, string> = { '#version': 'version' };
  const values: Record<string, unknown> = { ':expected': current.version, ':one': 1 };
  const sets: string[] = ['#version = #version + :one'];
  const assign = (field: string, value: unknown) => {
    names[`#${field}`] = field;
    values[`:${field}`] = value;
    sets.push(`#${field} = :${field}`);
  };
  for (const [field, value] of Object.entries(changes)) if (value !== undefined) assign(field, value);
  for (const field of remove)
    if (field in changes) throw new Error(`updateJob: ${field} is both set and removed`);
  if (changes.status && changes.status !== current.status) {
    assign('statusKey', indexKeys({ ...current, status: changes.status }).statusKey);
  }
  if (history.length > 0) {
    names['#history'] = 'history';
    values[':history'] = history;
    sets.push('#history = list_append(#history, :history)');
  }
  const removals = remove.map((field) => {
    names[`#${field}`] = field;
    return `#${field}`;
  });
  try {
    await dynamo.send(
      new UpdateCommand({
        TableName: table,
        Key: jobKey(current.jobId),
        UpdateExpression: `SET ${sets.join(', ')}${removals.length > 0 ? ` REMOVE ${removals.join(', ')}` : ''}`,
        ConditionExpression: '#version = :expected',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
    // The write succeeded on exactly `current`, so the new job is `current` with the changes.
    const job = Object.assign({}, current, changes, {
      history: [...current.history, ...history],
      version: current.version + 1,
    }) as unknown as Record<string, unknown>;
    for (const field of remove) delete job[field];
    return { ok: true, job: job as unknown as JobRecord };
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return { ok: false, reason: 'conflict' };
    throw error;
  }
}
