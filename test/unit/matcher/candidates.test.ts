/**
 * The candidate entries a matcher instance keeps: one read serves many requests, no entry goes to
 * two requests of the instance, jobs it claimed are not handed out again from a later read, a
 * read of a whole shard serves its other levels, a level read whole is not read again once
 * handed out (unless a claim from it failed), and kept entries expire.
 */
import { describe, expect, it } from 'vitest';
import { createCandidateEntries } from '#shared/matcher/candidates.ts';
import type { TaskQueueEntry } from '#shared/taskqueues/entries.ts';

const entry = (jobId: number): TaskQueueEntry => ({
  tqId: 'tq',
  jobId,
  priority: 1,
  enqueuedAt: '2026-12-07T00:00:00.000Z',
});

function world(jobIds: number[], complete = false) {
  let clock = 0;
  let reads = 0;
  const kept = createCandidateEntries({ now: () => clock, keepMs: 1000, limit: 100 });
  const read = async () => {
    reads += 1;
    await new Promise((resolve) => setTimeout(resolve, 5));
    return { entries: jobIds.map(entry), complete };
  };
  const take = (skip: (e: TaskQueueEntry) => boolean = () => false, level = 1) =>
    kept.take('tq', 0, level, read, { skip, read: false }, Math.random, 5);
  return { kept, take, reads: () => reads, advance: (ms: number) => (clock += ms) };
}

describe('Candidate entries', () => {
  it('serves concurrent requests from one read, each entry to one request', async () => {
    const w = world([1, 2, 3, 4, 5, 6]);
    const taken = await Promise.all(Array.from({ length: 6 }, () => w.take()));
    expect(w.reads()).toBe(1);
    expect(taken.map((e) => e?.jobId).sort()).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('reads again when it keeps nothing, leaving out jobs it claimed and entries still being claimed', async () => {
    const w = world([1, 2, 3]);
    const first = (await w.take())?.jobId as number;
    w.kept.claimed(first);
    const second = (await w.take())?.jobId as number;
    const third = (await w.take())?.jobId as number;
    w.kept.released(third);
    // All handed out: the next request reads; the claimed job and the claim under way stay out.
    const again = await w.take();
    expect(w.reads()).toBe(2);
    expect(again?.jobId).toBe(third);
    expect(await w.take()).toBeUndefined();
    expect([first, second, third].sort()).toEqual([1, 2, 3]);
  });

  it('answers nothing when a fresh read has nothing the request may try', async () => {
    const w = world([7]);
    expect(await w.take((e) => e.jobId === 7)).toBeUndefined();
    expect(w.reads()).toBe(1);
  });

  it('does not trust kept entries past keepMs', async () => {
    const w = world([1, 2, 3]);
    await w.take();
    w.advance(1500);
    await w.take();
    expect(w.reads()).toBe(2);
  });

  it('keeps the entries of another level that a read of the whole shard offered', async () => {
    const w = world([1]);
    w.kept.offer('tq', 0, 5, { entries: [{ ...entry(9), priority: 5 }], complete: true });
    expect(w.kept.stockedLevels('tq', 0)).toEqual([5]);
    expect((await w.take(() => false, 5))?.jobId).toBe(9);
    expect(w.reads()).toBe(0);
    // Handed out, and the offer held the whole level: nothing more to read for it.
    expect(await w.take(() => false, 5)).toBeUndefined();
    expect(w.reads()).toBe(0);
  });

  it('does not read a whole level again once handed out, unless a claim from it failed or it expired', async () => {
    const w = world([1, 2], true);
    const first = (await w.take())?.jobId as number;
    w.kept.claimed(first);
    const second = (await w.take())?.jobId as number;
    expect(await w.take()).toBeUndefined();
    expect(w.reads()).toBe(1);
    // The second claim failed (the job was still on its way to Waiting): the level is worth a read.
    w.kept.released(second);
    expect((await w.take())?.jobId).toBe(second);
    expect(w.reads()).toBe(2);
    w.kept.claimed(second);
    w.advance(1500);
    expect(await w.take()).toBeUndefined();
    expect(w.reads()).toBe(3);
  });
});
