import { describe, expect, it } from 'vitest';
import { groupFiles } from '#shared/transformations/grouping.ts';

const files = (n: number, size = 10) =>
  Array.from({ length: n }, (_, i) => ({ lfn: `/vo/f${String(i).padStart(3, '0')}`, size }));

describe('Grouping plugins', () => {
  it('Standard makes tasks of groupSize files in LFN order and keeps the rest until a flush', () => {
    const groups = groupFiles(files(7).reverse(), { plugin: 'Standard', groupSize: 3 }, false);
    expect(groups.map((g) => g.map((f) => f.lfn))).toEqual([
      ['/vo/f000', '/vo/f001', '/vo/f002'],
      ['/vo/f003', '/vo/f004', '/vo/f005'],
    ]);
    const flushed = groupFiles(files(7), { plugin: 'Standard', groupSize: 3 }, true);
    expect(flushed.map((g) => g.length)).toEqual([3, 3, 1]);
  });

  it('never puts a file in two groups nor leaves one out when flushing', () => {
    const input = files(101);
    const groups = groupFiles(input, { plugin: 'Standard', groupSize: 10 }, true);
    const out = groups.flat().map((f) => f.lfn);
    expect(new Set(out).size).toBe(out.length);
    expect(out.sort()).toEqual(input.map((f) => f.lfn).sort());
  });

  it('BySize closes a task once its bytes reach groupBytes, or at groupSize files', () => {
    const sized = [
      { lfn: '/vo/a', size: 60 },
      { lfn: '/vo/b', size: 50 },
      { lfn: '/vo/c', size: 10 },
      { lfn: '/vo/d', size: 200 },
      { lfn: '/vo/e', size: 1 },
    ];
    const groups = groupFiles(sized, { plugin: 'BySize', groupSize: 100, groupBytes: 100 }, false);
    expect(groups.map((g) => g.map((f) => f.lfn))).toEqual([
      ['/vo/a', '/vo/b'],
      ['/vo/c', '/vo/d'],
    ]);
    const byCount = groupFiles(files(5, 1), { plugin: 'BySize', groupSize: 2, groupBytes: 1000 }, false);
    expect(byCount.map((g) => g.length)).toEqual([2, 2]);
  });

  it('a group size of 1 makes one task per file', () => {
    expect(groupFiles(files(3), { plugin: 'Standard', groupSize: 1 }, false)).toHaveLength(3);
  });
});
