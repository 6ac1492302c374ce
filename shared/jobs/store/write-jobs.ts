/** Writing jobs: batches of items, and the versioned update of a job's attributes other than its status. */

import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { JobRecord, StatusHistoryEntry } from '#shared/jobs/model.ts';
import { jobKey } from '#shared/jobs/store/keys.ts';

/** Puts items, retrying what DynamoDB leaves unprocessed (jobs are created by transitions/submit.ts). */
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

/** Anything but the status: a job's status changes only through shared/jobs/transitions/. */
export type JobChanges = Partial<
  Omit<JobRecord, 'jobId' | 'vo' | 'owner' | 'history' | 'version' | 'status'>
>;

export type UpdateResult = { ok: true; job: JobRecord } | { ok: false; reason: 'conflict' };

/**
 * Applies `changes` to a job and appends `history`, if the job is still at `expectedVersion`: the
 * attributes that are not its status (outputs, a hold, the recovery count). A lost race is a
 * `conflict`, not an exception.
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
  for (const [field, value] of Object.entries(changes)) {
    if (field === 'status' || field === 'statusKey')
      throw new Error(`updateJob: job ${current.jobId}'s ${field} changes only through a transition`);
    if (value !== undefined) assign(field, value);
  }
  for (const field of remove)
    if (field in changes) throw new Error(`updateJob: ${field} is both set and removed`);
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
