import { describe, expect, it } from 'vitest';
import type { JobRecord } from '#shared/jobs/model.ts';
import {
  indexShards,
  jobItem,
  ownerPartitions,
  statusKey,
  statusPartitions,
} from '#shared/jobs/store/keys.ts';

/** A 10,000-job submission: consecutive ids from wherever the job-id counter stood. */
const submission = (first: number, count: number): Pick<JobRecord, 'jobId' | 'vo' | 'owner' | 'status'>[] =>
  Array.from({ length: count }, (_, i) => ({
    jobId: first + i,
    vo: 'lhcb',
    owner: 'alice',
    status: 'Received',
  }));

const countBy = (keys: readonly string[]) => {
  const counts = new Map<string, number>();
  for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
  return counts;
};

describe('Job index shards', () => {
  it('spread a 10,000-job submission evenly over every byStatus and byOwner partition', () => {
    const items = submission(123_457, 10_000).map((job) => jobItem(job as JobRecord));
    const byStatus = countBy(items.map((item) => String(item.statusKey)));
    const byOwner = countBy(items.map((item) => String(item.ownerKey)));
    expect([...byStatus.keys()].sort()).toEqual([...statusPartitions('lhcb', 'Received')].sort());
    expect([...byOwner.keys()].sort()).toEqual([...ownerPartitions('lhcb', 'alice')].sort());
    for (const counts of [byStatus, byOwner]) {
      expect(counts.size).toBe(indexShards);
      expect(Math.max(...counts.values())).toBe(Math.ceil(10_000 / indexShards));
      expect(Math.min(...counts.values())).toBe(Math.floor(10_000 / indexShards));
    }
  });

  it("keeps a job in its shard when its status changes, so readers find it among the status's partitions", () => {
    for (const jobId of [1, 15, 16, 17, 999_999]) {
      const received = statusKey('lhcb', 'Received', jobId);
      const running = statusKey('lhcb', 'Running', jobId);
      expect(statusPartitions('lhcb', 'Running')).toContain(running);
      expect(received.split('#').at(-1)).toBe(running.split('#').at(-1));
    }
  });

  it("never gives two owners or two statuses the same partition, even with '#' in an owner's name", () => {
    const partitions = [
      ...ownerPartitions('lhcb', 'a'),
      ...ownerPartitions('lhcb', 'a#1'),
      ...ownerPartitions('lhcb', 'b'),
      ...statusPartitions('lhcb', 'Done'),
      ...statusPartitions('lhcb', 'Failed'),
    ];
    expect(new Set(partitions).size).toBe(partitions.length);
  });
});
