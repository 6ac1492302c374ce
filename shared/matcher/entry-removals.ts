/**
 * Deleting the entries of claimed jobs in batches, off the answer's path. Matches of one instance
 * share a BatchWriteItem (up to 25 deletes, sent when 25 are pending or `gatherMs` after the first),
 * instead of one DeleteItem each, and the request answers without waiting for it: the claim alone
 * decides who gets the job, and an entry still there after its job was claimed is only stale.
 * Unconditional, which is safe here: the job was just claimed, so its entry cannot have been
 * written again. A batch that fails, or that never runs (the Lambda environment ended before the
 * timer fired), leaves stale entries; a matcher that meets one loses the claim, finds the job
 * elsewhere and deletes the entry as read (find.ts), and this instance does not hand out its own
 * claimed jobs' entries again meanwhile (candidates.ts). So about one write in 25 per match,
 * instead of one in 8 when every request waited for its batch.
 */
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Logger } from '#shared/log.ts';
import type { TaskQueueEntry } from '#shared/taskqueues/entries.ts';
import { taskQueueKeys } from '#shared/taskqueues/keys.ts';

const batchSize = 25;
/** How long a delete waits for company: a match no longer waits for it, so it may wait for 25. */
const gatherMs = 100;

export function createEntryRemovals(dynamo: DynamoDBDocumentClient, table: string, logger: Logger) {
  const pending: TaskQueueEntry[] = [];
  let timer: NodeJS.Timeout | undefined;

  async function flush(batch: TaskQueueEntry[]) {
    let requests = batch.map((entry) => ({
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
    }
  }

  const drain = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    while (pending.length > 0) void flush(pending.splice(0, batchSize));
  };

  return (entry: TaskQueueEntry): void => {
    pending.push(entry);
    if (pending.length >= batchSize) drain();
    else if (timer === undefined) timer = setTimeout(drain, gatherMs);
  };
}
export type EntryRemovals = ReturnType<typeof createEntryRemovals>;
