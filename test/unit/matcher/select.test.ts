/** Choosing task queues and priority levels: weighted random, as DIRAC's ORDER BY RAND()/Priority. */
import { describe, expect, it } from 'vitest';
import { choosePriority, shardOrder, weightedOrder, weightedSequence } from '#shared/matcher/select.ts';

/** A deterministic generator, so the frequencies below do not flake. */
function seeded(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return (state + 0.5) / 2 ** 32;
  };
}

describe('task queue selection', () => {
  it('puts a task queue first in proportion to its priority', () => {
    const random = seeded(7);
    const firsts = new Map<string, number>();
    const queues = [
      { id: 'a', priority: 1 },
      { id: 'b', priority: 2 },
      { id: 'c', priority: 7 },
    ];
    const rounds = 20_000;
    for (let i = 0; i < rounds; i += 1) {
      const first = weightedOrder(queues, (q) => q.priority, random)[0]?.id as string;
      firsts.set(first, (firsts.get(first) ?? 0) + 1);
    }
    expect((firsts.get('a') ?? 0) / rounds).toBeCloseTo(0.1, 1);
    expect((firsts.get('b') ?? 0) / rounds).toBeCloseTo(0.2, 1);
    expect((firsts.get('c') ?? 0) / rounds).toBeCloseTo(0.7, 1);
  });

  it('keeps every task queue in the order', () => {
    expect(weightedOrder([1, 2, 3], () => 1, seeded(1)).sort()).toEqual([1, 2, 3]);
  });

  it('draws lazily the same order as the sort, from the same random numbers', () => {
    const queues = Array.from({ length: 50 }, (_, i) => ({ id: i, priority: 1 + (i % 7) }));
    for (const seed of [1, 2, 3]) {
      const sorted = weightedOrder(queues, (q) => q.priority, seeded(seed)).map((q) => q.id);
      const lazy = [...weightedSequence(queues, (q) => q.priority, seeded(seed))].map((q) => q.id);
      expect(lazy).toEqual(sorted);
    }
  });

  it('visits every shard once', () => {
    expect(shardOrder(8, seeded(3)).sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });
});

describe('job priority inside a task queue', () => {
  it('takes priority-10 jobs first and priority-0 jobs last', () => {
    const random = seeded(11);
    for (let i = 0; i < 1000; i += 1) {
      // Undefined: read in rank order, where priority 10 sorts first.
      expect(choosePriority({ 10: 1, 5: 1000, 0: 1000 }, random)).toBeUndefined();
      expect(choosePriority({ 1: 1, 0: 1000 }, random)).toBe(1);
    }
  });

  it('shares pilots among levels 1..9 by jobs x priority', () => {
    const random = seeded(5);
    let threes = 0;
    const rounds = 20_000;
    for (let i = 0; i < rounds; i += 1) if (choosePriority({ 1: 10, 3: 10 }, random) === 3) threes += 1;
    expect(threes / rounds).toBeCloseTo(0.75, 1);
  });

  it('takes the best rank when there is no count yet or only priority 0, and the one level 1..9 there is', () => {
    expect(choosePriority(undefined, Math.random)).toBeUndefined();
    expect(choosePriority({ 0: 12 }, Math.random)).toBeUndefined();
    expect(choosePriority({ 4: 12, 7: 0 }, Math.random)).toBe(4);
  });
});
