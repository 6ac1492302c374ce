import { describe, expect, it } from 'vitest';
import { metaValueOrder, numberOrder } from '#shared/catalog/encoding.ts';
import { indexShards, shardOf } from '#shared/catalog/keys.ts';

describe('numberOrder', () => {
  it('orders encoded numbers as the numbers', () => {
    const numbers = [
      -Number.MAX_VALUE,
      -1e9,
      -2.5,
      -1,
      -Number.MIN_VALUE,
      0,
      Number.MIN_VALUE,
      0.5,
      1,
      2,
      10,
      1e9,
      2 ** 53,
      Number.MAX_VALUE,
    ];
    const encoded = numbers.map(numberOrder);
    expect([...encoded].sort()).toEqual(encoded);
    expect(new Set(encoded).size).toBe(numbers.length);
    expect(numberOrder(-0)).toBe(numberOrder(0));
  });

  it('gives an integer and the same float one key', () => {
    expect(metaValueOrder('integer', 3)).toBe(metaValueOrder('float', 3.0));
  });
});

describe('shardOf', () => {
  it('spreads paths evenly over the shards', () => {
    const counts = new Array(indexShards).fill(0);
    for (let i = 0; i < 16_000; i += 1) counts[shardOf(`/vo/data/run${i % 100}/file${i}.root`)] += 1;
    expect(Math.min(...counts)).toBeGreaterThan(800);
    expect(Math.max(...counts)).toBeLessThan(1200);
  });
});
