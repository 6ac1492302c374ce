import { describe, expect, it } from 'vitest';
import {
  fileKey,
  fileShards,
  fileStatusKeyOf,
  shardOf,
  taskIdempotencyKey,
  taskKey,
} from '#shared/transformations/keys.ts';

describe('Transformation keys', () => {
  it('spread a million LFNs evenly over the file shards (no shard above 1.05x its share)', () => {
    const counts = new Array<number>(fileShards).fill(0);
    for (let i = 0; i < 1_000_000; i += 1) {
      const shard = shardOf(`/vo.example.org/data/run${Math.floor(i / 1000)}/file-${i}.root`);
      counts[shard] = (counts[shard] ?? 0) + 1;
    }
    const share = 1_000_000 / fileShards;
    expect(Math.max(...counts)).toBeLessThan(share * 1.05);
    expect(Math.min(...counts)).toBeGreaterThan(share * 0.95);
  });

  it("put a file's item and its status index entry in the same shard", () => {
    const lfn = '/vo/data/a.root';
    const shard = shardOf(lfn);
    expect(fileKey(7, lfn)).toEqual({ pk: `FILES#7#${shard}`, sk: lfn });
    expect(fileStatusKeyOf(7, lfn, 'Unused')).toBe(`7#${shard}#Unused`);
  });

  it('keep tasks in blocks of a thousand, in id order', () => {
    expect(taskKey(3, 999).pk).toBe('TASKS#3#0');
    expect(taskKey(3, 1000).pk).toBe('TASKS#3#1');
    expect(taskKey(3, 2).sk < taskKey(3, 10).sk).toBe(true);
  });

  it('give each attempt of a task its own idempotency key, the first one stable', () => {
    expect(taskIdempotencyKey(4, 5)).toBe('transformation-4-task-5');
    expect(taskIdempotencyKey(4, 5, 2)).not.toBe(taskIdempotencyKey(4, 5));
  });
});
