/** Task queues as the executors and the job manager use them: put a job in, take it out. */
import type { Deps } from '#shared/deps.ts';
import { tableName } from '#shared/deps.ts';
import type { JobRecord, JobRequirements } from '#shared/jobs/model.ts';
import { taskQueueDefinition, taskQueueId } from '#shared/taskqueues/definition.ts';
import { insertTaskQueueEntry, removeTaskQueueEntry } from '#shared/taskqueues/entries.ts';
import { ensureTaskQueue } from '#shared/taskqueues/store.ts';

/**
 * How long an instance trusts that a task queue's definition item exists. Shorter than the
 * TaskQueues agent's empty-queue delay, so the agent never deletes a definition an instance still
 * relies on without the instance writing it again first.
 */
const ensuredForMs = 60_000;

export function createTaskQueuePort(deps: Pick<Deps, 'aws' | 'resources' | 'now'>) {
  const { dynamo } = deps.aws;
  const table = () => tableName(deps.resources, 'taskQueues');
  // Task queues this instance wrote recently: one write per task queue and minute, not one per job.
  const ensured = new Map<string, number>();
  return {
    async insert(job: JobRecord, requirements: JobRequirements): Promise<string> {
      const definition = taskQueueDefinition(requirements);
      const tqId = taskQueueId(definition);
      const now = deps.now();
      if ((ensured.get(tqId) ?? 0) < now.getTime()) {
        await ensureTaskQueue(dynamo, table(), tqId, definition, now.toISOString());
        ensured.set(tqId, now.getTime() + ensuredForMs);
      }
      await insertTaskQueueEntry(dynamo, table(), {
        tqId,
        jobId: job.jobId,
        priority: job.userPriority,
        enqueuedAt: now.toISOString(),
      });
      return tqId;
    },
    async remove(job: JobRecord): Promise<void> {
      if (!job.taskQueueId) return;
      await removeTaskQueueEntry(dynamo, table(), {
        tqId: job.taskQueueId,
        jobId: job.jobId,
        priority: job.userPriority,
      });
    },
  };
}
