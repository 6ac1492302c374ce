import { describe, expect, it } from 'vitest';
import { asType, inferType, typedQuery } from '#shared/catalog/fields.ts';
import {
  drivingCondition,
  type SortRange,
  smallestCondition,
  sortRanges,
} from '#shared/catalog/index-query.ts';
import { indexSortKey } from '#shared/catalog/keys.ts';
import { type Condition, holds, type MetaType, type MetaValue, parseQuery } from '#shared/catalog/query.ts';
import { BadRequestError } from '#shared/errors.ts';

/** Whether DynamoDB's key condition for `range` selects `key` (strings compare by code point). */
function selects(range: SortRange, key: string): boolean {
  if ('prefix' in range) return key.startsWith(range.prefix);
  if ('below' in range) return key < range.below;
  if ('from' in range) return key >= range.from;
  return key >= range.between[0] && key <= range.between[1];
}

const samples: Record<MetaType, MetaValue[]> = {
  integer: [-1000, -3, -1, 0, 1, 2, 3, 10, 11, 100, 2 ** 40],
  float: [-2.5, -0.001, 0, 0.001, 0.5, 1, 1.5, 6.5, 1e6],
  string: ['A', 'AB', 'B', 'DST', 'RAW', 'RAWX', 'a', 'a b', 'z', 'é', '\u{1F600}'],
  date: [
    '2023-12-31T23:59:59.000Z',
    '2024-01-01T00:00:00.000Z',
    '2024-01-15T10:00:00.000Z',
    '2025-06-01T00:00:00.000Z',
  ],
};

describe('the metadata index', () => {
  it.each(Object.keys(samples) as MetaType[])(
    'selects exactly the %s values a condition holds for, for every operator',
    (type) => {
      const values = samples[type] as MetaValue[];
      for (const [i, v] of values.entries()) {
        const w = values[Math.min(i + 2, values.length - 1)] as MetaValue;
        const conditions: Condition[] = [
          { key: 'k', op: '=', values: [v] },
          { key: 'k', op: '!=', values: [v] },
          { key: 'k', op: '<', values: [v] },
          { key: 'k', op: '<=', values: [v] },
          { key: 'k', op: '>', values: [v] },
          { key: 'k', op: '>=', values: [v] },
          { key: 'k', op: 'in', values: [v, w] },
          { key: 'k', op: 'range', values: [v, w] },
        ];
        for (const condition of conditions) {
          const ranges = sortRanges(condition, type);
          for (const value of values) {
            const key = indexSortKey(type, value, `/vo/file-${String(value)}`);
            const selected = ranges.some((range) => selects(range, key));
            expect(selected, `${condition.op} ${condition.values} on ${value}`).toBe(holds(condition, value));
          }
        }
      }
    },
  );

  it('is read for = before in, in before ranges, and != only when nothing else is there', () => {
    expect(drivingCondition(parseQuery('a!=1 b=1..3 c in 1,2 d=4'))).toMatchObject({ key: 'd' });
    expect(drivingCondition(parseQuery('a!=1 b=1..3 c in 1,2'))).toMatchObject({ key: 'c' });
    expect(drivingCondition(parseQuery('a!=1 b>3'))).toMatchObject({ key: 'b' });
    expect(drivingCondition(parseQuery('a!=1'))).toMatchObject({ key: 'a' });
  });
});

describe('smallestCondition', () => {
  /** A table whose sample shard holds `sizes[key]` index items per key (Select COUNT, up to Limit). */
  const counting = (sizes: Record<string, number>) => {
    const asked: string[] = [];
    const dynamo = {
      send: async (command: {
        input: { ExpressionAttributeValues: Record<string, string>; Limit: number };
      }) => {
        const partition = command.input.ExpressionAttributeValues[':pk'] as string;
        asked.push(partition);
        const key = partition.split('#')[2] as string;
        return { Count: Math.min(sizes[key] ?? 0, command.input.Limit) };
      },
    };
    return { catalog: { dynamo: dynamo as never, table: 't' }, asked };
  };
  const types = new Map<string, MetaType>([
    ['run', 'integer'],
    ['stream', 'string'],
    ['type', 'string'],
  ]);

  it('reads the index of the condition with the fewest items, counted in one shard', async () => {
    const { catalog, asked } = counting({ run: 1250, stream: 31_250 });
    const query = parseQuery('stream=A run=100..119');
    expect(await smallestCondition(catalog, 'vo', query, types)).toBe(1);
    expect(new Set(asked)).toEqual(new Set(['IDX#vo#stream#0', 'IDX#vo#run#0']));
  });

  it('falls back to the operator order when the sizes tie, and never drives by != if it can', async () => {
    const { catalog } = counting({ run: 100_000, stream: 100_000, type: 1 });
    expect(await smallestCondition(catalog, 'vo', parseQuery('run=1..5 stream=A'), types)).toBe(1);
    expect(await smallestCondition(catalog, 'vo', parseQuery('type!=X run=1..5'), types)).toBe(1);
  });
});

describe('metadata types', () => {
  it('are inferred from a first value', () => {
    expect([5, 5.5, 'RAW', '2024-01-15', '2024-01-15T10:00:00Z'].map(inferType)).toEqual([
      'integer',
      'float',
      'string',
      'date',
      'date',
    ]);
  });

  it('hold values to them: integers, floats, dates as UTC instants, strings without control characters', () => {
    expect(asType('integer', 3)).toBe(3);
    expect(asType('integer', 3.5)).toBeUndefined();
    expect(asType('float', 3)).toBe(3);
    expect(asType('float', 'abc')).toBeUndefined();
    expect(asType('date', '2024-01-15T11:00:00+01:00')).toBe('2024-01-15T10:00:00.000Z');
    expect(asType('date', 'yesterday')).toBeUndefined();
    expect(asType('string', 5)).toBe('5');
    expect(asType('string', 'a\u0001b')).toBeUndefined();
  });

  it('type a query: unknown keys match nothing, a value of the wrong type is a 400 naming the key', () => {
    const types = new Map<string, MetaType>([
      ['run', 'integer'],
      ['day', 'date'],
    ]);
    expect(typedQuery(parseQuery('run<2.5 day>2024-01-01'), types)).toEqual([
      { key: 'run', op: '<', values: [2.5] },
      { key: 'day', op: '>', values: ['2024-01-01T00:00:00.000Z'] },
    ]);
    expect(typedQuery(parseQuery('run=1 other=2'), types)).toBeUndefined();
    expect(() => typedQuery(parseQuery('run=abc'), types)).toThrow(BadRequestError);
    expect(() => typedQuery(parseQuery('day=tomorrow'), types)).toThrow('"day" is a date');
  });
});
