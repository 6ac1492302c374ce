/** Task queues as the executors and the job manager use them: put a job in, take it out. */
import type { Deps } from '#shared/deps.ts';
import { tableName } from '#shared/deps.ts';
import type { JobRecord, JobRequirements } from '#shared/jobs/model.ts';
import { taskQueueDefinition, taskQueueId } from '#shared/taskqueues/definition.ts';
import { ensureTaskQueue, insertTaskQueueEntry, removeTaskQueueEntry } from '#shared/taskqueues/store.ts';

export function createTaskQueuePort(deps: Pick<Deps, 'aws' | 'resources' | 'now'>) {
  const { dynamo } = deps.aws;
  const table = () => tableName(deps.resources, 'taskQueues');
  // Task queues this instance has made sure exist: one write per task queue, not one per job.
  const known = new Set<string>();
  return {
    async insert(job: JobRecord, requirements: JobRequirements): Promise<string> {
      const definition = taskQueueDefinition(requirements);
      const tqId = taskQueueId(definition);
      const now = deps.now().toISOString();
      if (!known.has(tqId)) {
        await ensureTaskQueue(dynamo, table(), tqId, definition, now);
        known.add(tqId);
      }
      await insertTaskQueueEntry(dynamo, table(), {
        tqId,
        jobId: job.jobId,
        priority: job.userPriority,
        enqueuedAt: now,
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
