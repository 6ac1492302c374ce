/**
 * Deleting the entries of claimed jobs in batches. Concurrent matches of one instance share a
 * BatchWriteItem (up to 25 deletes) instead of one DeleteItem each; every request still waits for
 * the batch holding its entry, so nothing is left to do after the answer (a Lambda may freeze).
 * Unconditional, which is safe here: the job was just claimed, so its entry cannot have been
 * written again. A failed batch leaves stale entries, which matchers delete when they meet them.
 */
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Logger } from '#shared/log.ts';
import type { TaskQueueEntry } from '#shared/taskqueues/entries.ts';
import { taskQueueKeys } from '#shared/taskqueues/keys.ts';

const batchSize = 25;
/** How long a delete waits for company. */
const gatherMs = 2;

export function createEntryRemovals(dynamo: DynamoDBDocumentClient, table: string, logger: Logger) {
  let pending: { entry: TaskQueueEntry; done: () => void }[] = [];
  let timer: NodeJS.Timeout | undefined;

  async function flush(batch: typeof pending) {
    let requests = batch.map(({ entry }) => ({
      DeleteRequest: { Key: taskQueueKeys.entry(entry.tqId, entry.jobId, entry.priority) },
    }));
    try {
      for (let attempt = 0; requests.length > 0 && attempt < 5; attempt += 1) {
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt));
        const result = await dynamo.send(new BatchWriteCommand({ RequestItems: { [table]: requests } }));
        requests = (result.UnprocessedItems?.[table] ?? []) as typeof requests;
      }
    } catch (error) {
      logger.warn('could not delete task queue entries of matched jobs', { error, entries: batch.length });
    } finally {
      for (const { done } of batch) done();
    }
  }

  const drain = () => {
    timer = undefined;
    while (pending.length > 0) void flush(pending.splice(0, batchSize));
  };

  return (entry: TaskQueueEntry): Promise<void> =>
    new Promise<void>((done) => {
      pending.push({ entry, done });
      if (pending.length >= batchSize) {
        const batch = pending;
        pending = [];
        void flush(batch);
      } else if (timer === undefined) timer = setTimeout(drain, gatherMs);
    });
}
export type EntryRemovals = ReturnType<typeof createEntryRemovals>;
