/**
 * A matcher instance's view of its VOs' task queues: the definition items, read through the byVo
 * index at most once per `taskQueueCacheSeconds`, and the shards it recently found empty (so a
 * drained task queue costs no reads until the view is refreshed).
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { listTaskQueues, type TaskQueueItem } from '#shared/taskqueues/store.ts';

const emptyShardMs = 2000;

export interface CatalogueDeps {
  readonly dynamo: DynamoDBDocumentClient;
  readonly table: string;
  readonly cacheSeconds: number;
  readonly now: () => Date;
}

export function createTaskQueueCatalogue(deps: CatalogueDeps) {
  const views = new Map<string, { expires: number; queues: TaskQueueItem[] }>();
  const loading = new Map<string, Promise<TaskQueueItem[]>>();
  const emptyUntil = new Map<string, number>();
  const shardKey = (tqId: string, shard: number) => `${tqId}#${shard}`;

  return {
    async list(vo: string): Promise<TaskQueueItem[]> {
      const now = deps.now().getTime();
      const view = views.get(vo);
      if (view && view.expires > now) return view.queues;
      let pending = loading.get(vo);
      if (!pending) {
        pending = listTaskQueues(deps.dynamo, deps.table, vo)
          .then((queues) => {
            views.set(vo, { expires: deps.now().getTime() + deps.cacheSeconds * 1000, queues });
            return queues;
          })
          .finally(() => loading.delete(vo));
        loading.set(vo, pending);
      }
      return pending;
    },
    isEmpty(tqId: string, shard: number): boolean {
      return (emptyUntil.get(shardKey(tqId, shard)) ?? 0) > deps.now().getTime();
    },
    markEmpty(tqId: string, shard: number): void {
      if (emptyUntil.size > 100_000) emptyUntil.clear();
      emptyUntil.set(
        shardKey(tqId, shard),
        deps.now().getTime() + Math.min(emptyShardMs, deps.cacheSeconds * 1000),
      );
    },
  };
}
export type TaskQueueCatalogue = ReturnType<typeof createTaskQueueCatalogue>;
