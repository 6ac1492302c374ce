/**
 * The TaskQueues agent (DIRAC's TaskQueuesAgent, every 120 s): counts each task queue's waiting
 * jobs per priority from its entry shards, recomputes the fair-share priorities, and deletes task
 * queues that have stayed empty for `matcher.emptyTaskQueueSeconds`. The counts are taken here, by
 * reading the shards, so that no match ever writes a counter.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mapLimited } from '#shared/concurrency.ts';
import type { MuonConfig } from '#shared/config/schema.ts';
import type { Logger } from '#shared/log.ts';
import { countEntriesByPriority } from '#shared/taskqueues/entries.ts';
import { entryShards } from '#shared/taskqueues/keys.ts';
import { averageRealPriority, type GroupShare, taskQueuePriorities } from '#shared/taskqueues/priorities.ts';
import {
  deleteTaskQueueIfStillEmpty,
  listTaskQueues,
  recordTaskQueueStats,
  restoreTaskQueue,
  type TaskQueueItem,
} from '#shared/taskqueues/store.ts';

export interface TaskQueuesAgentDeps {
  readonly config: MuonConfig;
  readonly dynamo: DynamoDBDocumentClient;
  readonly table: string;
  readonly now: () => Date;
  readonly logger: Logger;
}

export interface TaskQueuesRun {
  taskQueues: number;
  jobs: number;
  updated: number;
  deleted: number;
}

/** Task queues counted at once: bounds the agent's read rate. */
const concurrency = 8;

export async function recalculateTaskQueues(
  deps: TaskQueuesAgentDeps,
  maxDeletesPerRun = 50,
): Promise<TaskQueuesRun> {
  const run: TaskQueuesRun = { taskQueues: 0, jobs: 0, updated: 0, deleted: 0 };
  const now = deps.now();
  for (const [vo, voConfig] of Object.entries(deps.config.virtualOrganizations)) {
    const queues = await listTaskQueues(deps.dynamo, deps.table, vo);
    const levels = await mapLimited(queues, concurrency, (tq) =>
      countLevels(deps.dynamo, deps.table, tq.tqId),
    );
    const groupShare = (group: string): GroupShare => ({
      share: voConfig.groups[group]?.share ?? 1,
      jobSharing: voConfig.groups[group]?.jobSharing ?? false,
      allowBackground: deps.config.matcher.allowBackgroundTaskQueues.includes(group),
    });
    const priorities = taskQueuePriorities(
      queues.map((tq, i) => ({
        tqId: tq.tqId,
        definition: tq.definition,
        average: averageRealPriority(levels[i] ?? {}),
      })),
      groupShare,
    );
    run.taskQueues += queues.length;
    await mapLimited(queues, concurrency, async (tq, i) => {
      const counted = levels[i] ?? {};
      const jobs = Object.values(counted).reduce((a, b) => a + b, 0);
      run.jobs += jobs;
      const stats = {
        priority: priorities.get(tq.tqId) ?? 0,
        levels: counted,
        jobs,
        countedAt: now.toISOString(),
      };
      if (jobs === 0 && tq.emptySince) {
        const emptyFor = (now.getTime() - Date.parse(tq.emptySince)) / 1000;
        if (emptyFor >= deps.config.matcher.emptyTaskQueueSeconds && run.deleted < maxDeletesPerRun) {
          run.deleted += 1;
          await deleteEmpty(deps, tq);
          return;
        }
      }
      const emptySince = jobs > 0 ? (tq.emptySince ? 'clear' : 'keep') : now.toISOString();
      if (unchanged(tq, stats) && emptySince === 'keep') return;
      if (await recordTaskQueueStats(deps.dynamo, deps.table, tq.tqId, stats, emptySince)) run.updated += 1;
    });
  }
  return run;
}

/** A task queue's waiting jobs per priority, over all its entry shards (`maxPages` per shard). */
export async function countLevels(
  dynamo: DynamoDBDocumentClient,
  table: string,
  tqId: string,
  maxPages?: number,
): Promise<Record<string, number>> {
  const total: Record<string, number> = {};
  for (let shard = 0; shard < entryShards; shard += 1) {
    for (const [priority, count] of await countEntriesByPriority(dynamo, table, tqId, shard, maxPages)) {
      total[priority] = (total[priority] ?? 0) + count;
    }
  }
  return total;
}

/**
 * Deletes an empty task queue. An insert that relied on the definition while it was being deleted
 * (an instance trusts it for a minute) is caught by counting again: the definition is put back.
 */
async function deleteEmpty(deps: TaskQueuesAgentDeps, tq: TaskQueueItem): Promise<void> {
  if (!tq.emptySince) return;
  if (!(await deleteTaskQueueIfStillEmpty(deps.dynamo, deps.table, tq.tqId, tq.emptySince))) return;
  const after = await countLevels(deps.dynamo, deps.table, tq.tqId);
  if (Object.values(after).some((count) => count > 0)) {
    await restoreTaskQueue(deps.dynamo, deps.table, tq);
    deps.logger.info('task queue restored after a racing insert', { tqId: tq.tqId });
  }
}

const unchanged = (
  tq: TaskQueueItem,
  stats: { priority: number; jobs: number; levels: Record<string, number> },
) =>
  tq.priority === stats.priority &&
  tq.jobs === stats.jobs &&
  JSON.stringify(tq.levels ?? {}) === JSON.stringify(stats.levels);
