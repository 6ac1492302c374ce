/**
 * Fair share as DIRAC computes it: the unit cases of `DB/tests/Test_TaskQueueDB.py` (research
 * notes §3.3) and the RealPriority hack.
 */
import { describe, expect, it } from 'vitest';
import {
  averageRealPriority,
  calculatePriority,
  minimumShare,
  realPriority,
  taskQueuePriorities,
} from '#shared/taskqueues/priorities.ts';
import { taskQueue } from '#test/unit/matcher/support.ts';

const definition = taskQueue;
const share = 1000;

describe('RealPriority', () => {
  it('makes 10 always first, 0 background, and keeps 1..9', () => {
    expect(realPriority(10)).toBe(1e6);
    expect(realPriority(0)).toBe(1e-5);
    expect(realPriority(-3)).toBe(1e-5);
    expect(realPriority(5)).toBe(5);
    expect(averageRealPriority({ 1: 2, 3: 2 })).toBe(2);
    expect(averageRealPriority({})).toBe(0);
  });
});

describe('calculatePriority (DIRAC calculate_priority)', () => {
  it('gives each of the task queues with the same definition but sites the whole share', () => {
    const definitions = new Map([
      ['a', definition({ sites: ['A'] })],
      ['b', definition({ sites: ['B'] })],
      ['c', definition({ sites: ['C'], bannedSites: ['D'] })],
    ]);
    const result = calculatePriority(
      new Map([
        ['a', 3],
        ['b', 2],
        ['c', 0.3],
      ]),
      definitions,
      share,
      false,
    );
    for (const id of ['a', 'b', 'c']) expect(result.get(id)).toBeCloseTo(share);
  });

  it('splits the share evenly among task queues of equal priority and different CPU time', () => {
    const definitions = new Map([
      ['a', definition({ cpuTime: 360 })],
      ['b', definition({ cpuTime: 3600 })],
      ['c', definition({ cpuTime: 86_400 })],
    ]);
    const result = calculatePriority(
      new Map([
        ['a', 1],
        ['b', 1],
        ['c', 1],
      ]),
      definitions,
      share,
      false,
    );
    for (const id of ['a', 'b', 'c']) expect(result.get(id)).toBeCloseTo(share / 3);
  });

  it('splits the share in proportion to the average priorities', () => {
    const definitions = new Map([
      ['a', definition({ cpuTime: 360 })],
      ['b', definition({ cpuTime: 3600 })],
      ['c', definition({ cpuTime: 86_400 })],
    ]);
    const result = calculatePriority(
      new Map([
        ['a', 5],
        ['b', 3],
        ['c', 2],
      ]),
      definitions,
      share,
      false,
    );
    expect(result.get('a')).toBeCloseTo(0.5 * share);
    expect(result.get('b')).toBeCloseTo(0.3 * share);
    expect(result.get('c')).toBeCloseTo(0.2 * share);
  });

  it('gives nothing for no task queues', () => {
    expect(calculatePriority(new Map(), new Map(), share, false).size).toBe(0);
  });

  it('puts background task queues at the minimum share when the group allows them', () => {
    const definitions = new Map([
      ['a', definition({ cpuTime: 360 })],
      ['b', definition({ cpuTime: 3600 })],
    ]);
    const result = calculatePriority(
      new Map([
        ['a', 1e-5],
        ['b', 2],
      ]),
      definitions,
      share,
      true,
    );
    expect(result.get('a')).toBe(minimumShare);
    expect(result.get('b')).toBeCloseTo(share);
  });
});

describe('taskQueuePriorities (shares among groups and owners)', () => {
  const groups = {
    user: { share: 100, jobSharing: false, allowBackground: false },
    prod: { share: 300, jobSharing: true, allowBackground: false },
  };
  const groupShare = (g: string) => groups[g as keyof typeof groups];

  it("splits a non-sharing group's share among its owners, and gives a sharing group one share", () => {
    const result = taskQueuePriorities(
      [
        { tqId: 'alice', definition: definition({ owner: 'alice' }), average: 1 },
        { tqId: 'bob', definition: definition({ owner: 'bob' }), average: 1 },
        { tqId: 'p1', definition: definition({ owner: 'carol', ownerGroup: 'prod' }), average: 1 },
        {
          tqId: 'p2',
          definition: definition({ owner: 'dave', ownerGroup: 'prod', cpuTime: 360 }),
          average: 1,
        },
      ],
      groupShare,
    );
    expect(result.get('alice')).toBeCloseTo(50);
    expect(result.get('bob')).toBeCloseTo(50);
    expect(result.get('p1')).toBeCloseTo(150);
    expect(result.get('p2')).toBeCloseTo(150);
  });

  it('gives empty task queues the minimum and leaves their owners out of the split', () => {
    const result = taskQueuePriorities(
      [
        { tqId: 'alice', definition: definition({ owner: 'alice' }), average: 1 },
        { tqId: 'bob', definition: definition({ owner: 'bob' }), average: 0 },
      ],
      groupShare,
    );
    expect(result.get('alice')).toBeCloseTo(100);
    expect(result.get('bob')).toBe(minimumShare);
  });
});
