/**
 * Every key of the transformations table is built here and nowhere else.
 *
 * - A transformation is one item, `TRANSFORMATION#<id>` / `TRANSFORMATION`, found by state through
 *   `byState` (`<vo>#<state>`) and, whatever its state until Cleaned, through `byVo` (`<vo>`):
 *   a transformation moving between states while the state index is walked one state at a time
 *   can be in none of the answers, and a catalog event must not miss it (it would never get the
 *   file).
 * - A file's status in a transformation is one item under its *shard*, a hash of its LFN:
 *   `FILES#<id>#<shard>` / `<lfn>`. The `byFileStatus` index is keyed the same way
 *   (`<id>#<shard>#<status>`), so a million files of one transformation spread over `fileShards`
 *   partitions in the table and in the index, and no partition takes more than its share of the
 *   writes of the consumer, the agent and the job outcomes.
 * - A task is one item in a block of a thousand task ids, `TASKS#<id>#<block>` / task id, like the
 *   jobs table's VO blocks: tasks are listed in order and a block is written for a while, then
 *   only read. While its job runs (Created, Submitted) a task also carries `openKey`
 *   (`<id>#<taskId mod openShards>`), a sparse index the agent walks to follow running tasks.
 */
import type { FileStatus, TransformationState } from '#shared/transformations/model.ts';

export const fileShards = 16;
export const openShards = 8;
export const tasksPerBlock = 1000;

/** FNV-1a of the LFN: stable across processes and languages, and cheap on a million names. */
export function shardOf(lfn: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < lfn.length; i += 1) {
    hash ^= lfn.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % fileShards;
}

export const allFileShards = (): number[] => Array.from({ length: fileShards }, (_, i) => i);
export const allOpenShards = (): number[] => Array.from({ length: openShards }, (_, i) => i);

export const transformationKey = (transformationId: number) => ({
  pk: `TRANSFORMATION#${transformationId}`,
  sk: 'TRANSFORMATION',
});
export const stateKey = (vo: string, state: TransformationState) => `${vo}#${state}`;
/** The `byVo` partition: every transformation of the VO that is not Cleaned, whatever its state. */
export const voKey = (vo: string) => vo;

/** The transformation-id allocator. */
export const counterKey = { pk: 'COUNTER#transformationId', sk: 'COUNTER' } as const;

export const filePartition = (transformationId: number, shard: number) =>
  `FILES#${transformationId}#${shard}`;
export const fileKey = (transformationId: number, lfn: string) => ({
  pk: filePartition(transformationId, shardOf(lfn)),
  sk: lfn,
});
export const fileStatusKey = (transformationId: number, shard: number, status: FileStatus) =>
  `${transformationId}#${shard}#${status}`;
export const fileStatusKeyOf = (transformationId: number, lfn: string, status: FileStatus) =>
  fileStatusKey(transformationId, shardOf(lfn), status);

export const taskBlock = (taskId: number) => Math.floor(taskId / tasksPerBlock);
export const taskPartition = (transformationId: number, block: number) =>
  `TASKS#${transformationId}#${block}`;
export const taskKey = (transformationId: number, taskId: number) => ({
  pk: taskPartition(transformationId, taskBlock(taskId)),
  sk: `TASK#${String(taskId).padStart(10, '0')}`,
});
export const openKey = (transformationId: number, taskId: number) =>
  `${transformationId}#${taskId % openShards}`;
export const openShardKey = (transformationId: number, shard: number) => `${transformationId}#${shard}`;

/** The idempotency key a task's job is submitted with: a retry after a crash finds the same job. */
export const taskIdempotencyKey = (transformationId: number, taskId: number, attempt = 1) =>
  `transformation-${transformationId}-task-${taskId}${attempt > 1 ? `-attempt-${attempt}` : ''}`;

/** DIRAC names a task's job `<transformation>_<task>` and puts it in the JobGroup of the transformation. */
export const taskJobName = (transformationId: number, taskId: number) =>
  `${String(transformationId).padStart(8, '0')}_${String(taskId).padStart(8, '0')}`;
export const transformationJobGroup = (transformationId: number) => String(transformationId).padStart(8, '0');
