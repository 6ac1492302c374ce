/**
 * A matcher instance's view of its VOs' task queues: the definition items, read through the byVo
 * index at most once per `taskQueueCacheSeconds`, and the shards it recently found empty, so that
 * a drained task queue costs no read while other task queues have jobs. Both are hints: before a
 * request answers "no match" it lists the task queues again (`list(vo, since)`) and reads every
 * shard the memory skipped (find.ts), so neither can hide a job added since.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { listTaskQueues, type TaskQueueItem } from '#shared/taskqueues/store.ts';

export interface CatalogueDeps {
  readonly dynamo: DynamoDBDocumentClient;
  readonly table: string;
  readonly cacheSeconds: number;
  readonly now: () => Date;
}

interface View {
  /** The listing's number, in the order listings began: it holds every task queue created before. */
  readonly listing: number;
  readonly expires: number;
  readonly queues: TaskQueueItem[];
}

export function createTaskQueueCatalogue(deps: CatalogueDeps) {
  const views = new Map<string, View>();
  const loading = new Map<string, { listing: number; view: Promise<View> }>();
  let listings = 0;
  const emptyUntil = new Map<string, number>();
  const shardKey = (tqId: string, shard: number) => `${tqId}#${shard}`;
  const now = () => deps.now().getTime();

  function load(vo: string): Promise<View> {
    listings += 1;
    const listing = listings;
    const view = listTaskQueues(deps.dynamo, deps.table, vo)
      .then((queues) => {
        const loaded = { listing, expires: now() + deps.cacheSeconds * 1000, queues };
        const current = views.get(vo);
        if (!current || current.listing < listing) views.set(vo, loaded);
        return loaded;
      })
      .finally(() => {
        if (loading.get(vo)?.view === view) loading.delete(vo);
      });
    loading.set(vo, { listing, view });
    return view;
  }

  return {
    /** A mark to pass to `list` for task queues listed from now on. */
    mark: (): number => listings,
    /**
     * The VO's task queues: the cached view, or with `since` (a `mark()`) a listing begun after
     * the mark was taken, shared with concurrent requests that need no older one.
     */
    async list(vo: string, since?: number): Promise<TaskQueueItem[]> {
      const view = views.get(vo);
      const fresh = (v: { listing: number }) => since === undefined || v.listing > since;
      if (view && view.expires > now() && fresh(view)) return view.queues;
      const pending = loading.get(vo);
      return (await (pending && fresh(pending) ? pending.view : load(vo))).queues;
    },
    /** Whether the shard was found empty within the last `taskQueueCacheSeconds`. */
    isEmpty(tqId: string, shard: number): boolean {
      return (emptyUntil.get(shardKey(tqId, shard)) ?? 0) > now();
    },
    markEmpty(tqId: string, shard: number): void {
      if (emptyUntil.size > 100_000) emptyUntil.clear();
      emptyUntil.set(shardKey(tqId, shard), now() + deps.cacheSeconds * 1000);
    },
    markFilled(tqId: string, shard: number): void {
      emptyUntil.delete(shardKey(tqId, shard));
    },
  };
}
export type TaskQueueCatalogue = ReturnType<typeof createTaskQueueCatalogue>;
