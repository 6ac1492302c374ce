import { describe, expect, it } from 'vitest';
import { formatQuery, matches, metaQuerySchema, parseQuery } from '#shared/catalog/query.ts';
import { BadRequestError } from '#shared/errors.ts';

describe('parseQuery', () => {
  it('reads every operator, lists, ranges and quoted values', () => {
    const query = parseQuery(
      "run=1..5 type=RAW energy>=6.5 e<2 f<=3 g>4 site in CERN,PIC status!=bad name='a b' n=1,2",
    );
    expect(query).toEqual([
      { key: 'run', op: 'range', values: [1, 5] },
      { key: 'type', op: '=', values: ['RAW'] },
      { key: 'energy', op: '>=', values: [6.5] },
      { key: 'e', op: '<', values: [2] },
      { key: 'f', op: '<=', values: [3] },
      { key: 'g', op: '>', values: [4] },
      { key: 'site', op: 'in', values: ['CERN', 'PIC'] },
      { key: 'status', op: '!=', values: ['bad'] },
      { key: 'name', op: '=', values: ['a b'] },
      { key: 'n', op: 'in', values: [1, 2] },
    ]);
  });

  it('keeps quoted numbers as strings and allows spaces around operators', () => {
    expect(parseQuery("version = '5.0'  day >= 2024-01-01")).toEqual([
      { key: 'version', op: '=', values: ['5.0'] },
      { key: 'day', op: '>=', values: ['2024-01-01'] },
    ]);
  });

  it('reads date ranges', () => {
    expect(parseQuery('day=2024-01-01..2024-02-01')).toEqual([
      { key: 'day', op: 'range', values: ['2024-01-01', '2024-02-01'] },
    ]);
  });

  it.each([
    ['', 'no condition'],
    ['run', 'operator'],
    ['run=', 'no value'],
    ['1run=3', 'not a metadata key'],
    ["name='abc", 'closing'],
    ['run<1,2', 'one value'],
    ['run>1..2', 'low..high'],
    ['run=1..', 'not a range'],
    ["a=b'c'", 'unexpected'],
    ['run~3', 'operator'],
  ])('refuses %j with a message saying what to fix', (text, words) => {
    expect(() => parseQuery(text)).toThrow(BadRequestError);
    expect(() => parseQuery(text)).toThrow(words);
  });

  it('reads back what formatQuery writes', () => {
    const text = "run=1..5 name='a b' t in x,'1' v!='a..b' w<=2.5";
    expect(parseQuery(formatQuery(parseQuery(text)))).toEqual(parseQuery(text));
  });
});

describe('metaQuerySchema', () => {
  it('takes the JSON form of a parsed query', () => {
    const query = parseQuery('run=1..5 type in a,b');
    expect(metaQuerySchema.parse(query)).toEqual(query);
  });

  it('refuses a range without two values and an unknown operator', () => {
    expect(metaQuerySchema.safeParse([{ key: 'run', op: 'range', values: [1] }]).success).toBe(false);
    expect(metaQuerySchema.safeParse([{ key: 'run', op: '~', values: [1] }]).success).toBe(false);
    expect(metaQuerySchema.safeParse([]).success).toBe(false);
  });
});

describe('matches', () => {
  const file = { run: 3, energy: 6.5, type: 'RAW', day: '2024-01-15T00:00:00.000Z' };

  it('holds when every condition holds', () => {
    expect(matches(parseQuery('run=1..5 type=RAW energy>=6.5'), file)).toBe(true);
    expect(matches(parseQuery('run in 1,3 type!=DST'), file)).toBe(true);
    expect(matches(parseQuery('run=1..5 type=DST'), file)).toBe(false);
    expect(matches(parseQuery('run>3'), file)).toBe(false);
    expect(matches(parseQuery('run<=3 run>=3 run<4 run>2'), file)).toBe(true);
  });

  it('never selects a file without the key, not even for !=', () => {
    expect(matches(parseQuery('missing!=x'), file)).toBe(false);
  });

  it('compares dates as instants, whatever their ISO form', () => {
    expect(matches(parseQuery('day>2024-01-14'), file)).toBe(true);
    expect(matches(parseQuery('day=2024-01-15'), file)).toBe(true);
    expect(matches(parseQuery("day='2024-01-15T01:00:00+01:00'"), file)).toBe(true);
    expect(matches(parseQuery('day=2024-01-01..2024-01-10'), file)).toBe(false);
  });

  it('orders strings by code point', () => {
    expect(matches(parseQuery('type<RAWX type>RA'), file)).toBe(true);
    expect(matches([{ key: 's', op: '<', values: ['\u{1F600}'] }], { s: '\uFFFD' })).toBe(true);
  });
});
