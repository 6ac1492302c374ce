/**
 * Metadata queries over the file catalog (DIRAC's `findFilesByMetadata` and the metaquery syntax of
 * `dirac-dms-find-lfns`): conditions on metadata keys, all of which must hold (AND).
 *
 *   run=1..5 type=RAW energy>=6.5 site in CERN,PIC status!=bad name='a b'
 *
 * A condition holds only for a file that has its key, itself or through a directory above it
 * (its *effective* metadata), as in DIRAC, where a file without the key is never selected.
 * Dates are ISO-8601 strings and compare as instants.
 */
import { z } from 'zod';
import { BadRequestError } from '#shared/errors.ts';

export type MetaValue = number | string;
export type MetaType = 'integer' | 'float' | 'string' | 'date';
export type Operator = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'range';

export interface Condition {
  readonly key: string;
  readonly op: Operator;
  readonly values: MetaValue[];
}
/** The AND of its conditions. */
export type MetaQuery = readonly Condition[];

export const metaTypes = ['integer', 'float', 'string', 'date'] as const satisfies readonly MetaType[];
export const operators = ['=', '!=', '<', '<=', '>', '>=', 'in', 'range'] as const satisfies Operator[];

/** DIRAC's metadata names are SQL column names: a letter, then letters, digits and `_`. */
export const metaKeyPattern = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
export const maxConditions = 32;
export const maxInValues = 1000;

export const metaKeySchema = z
  .string()
  .regex(metaKeyPattern, 'a metadata key is a letter, then up to 63 letters, digits or "_"');
const valueSchema = z.union([z.number().finite(), z.string().min(1).max(256)]);

/** A query as JSON (transformations keep their input query so): a list of conditions. */
export const metaQuerySchema = z
  .array(
    z
      .strictObject({ key: metaKeySchema, op: z.enum(operators), values: z.array(valueSchema).min(1) })
      .superRefine((condition, ctx) => {
        const problem = arityProblem(condition.op, condition.values.length);
        if (problem) ctx.addIssue({ code: 'custom', path: ['values'], message: problem });
      }),
  )
  .min(1, 'a query has at least one condition')
  .max(maxConditions, `a query has at most ${maxConditions} conditions`);

function arityProblem(op: Operator, count: number): string | undefined {
  if (op === 'range') return count === 2 ? undefined : 'a range has two values, low and high';
  if (op === 'in') return count <= maxInValues ? undefined : `"in" takes at most ${maxInValues} values`;
  return count === 1 ? undefined : `"${op}" takes one value`;
}

const numberPattern = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const symbolOperators = ['!=', '<=', '>=', '=', '<', '>'] as const;

/**
 * `k=v k2>3 k3 in a,b k4=1..5 k5!=x`. Unquoted values that read as numbers are numbers; quote
 * with '...' to keep one a string (or to put a space, a comma or `..` in it). `k=a,b` is `k in a,b`.
 */
export function parseQuery(text: string): MetaQuery {
  const conditions: Condition[] = [];
  const reader = { text, at: 0 };
  skipSpace(reader);
  while (reader.at < text.length) {
    conditions.push(readCondition(reader));
    skipSpace(reader);
  }
  if (conditions.length === 0) {
    throw queryError(text, 'it has no condition: write key=value, key>value, key in a,b or key=low..high');
  }
  if (conditions.length > maxConditions) {
    throw queryError(text, `it has ${conditions.length} conditions; at most ${maxConditions} are allowed`);
  }
  return conditions;
}

interface Reader {
  readonly text: string;
  at: number;
}

function readCondition(reader: Reader): Condition {
  const { text } = reader;
  const key = /^[A-Za-z0-9_]*/.exec(text.slice(reader.at))?.[0] ?? '';
  if (!metaKeyPattern.test(key)) {
    const found = key || text.slice(reader.at).split(/\s/)[0];
    throw queryError(text, `"${found}" is not a metadata key (a letter, then letters, digits or "_")`);
  }
  reader.at += key.length;
  skipSpace(reader);
  const rest = text.slice(reader.at);
  const inWord = /^in\s/i.exec(rest);
  const symbol = symbolOperators.find((op) => rest.startsWith(op));
  if (!inWord && !symbol) {
    throw queryError(text, `after "${key}" comes an operator: =, !=, <, <=, >, >=, in, or =low..high`);
  }
  reader.at += inWord ? inWord[0].length : (symbol as string).length;
  skipSpace(reader);
  const items = readValues(reader, key);
  if (inWord) return { key, op: 'in', values: items.map((item) => item.value) };
  const op = symbol as (typeof symbolOperators)[number];
  const [first] = items;
  if (items.length > 1) {
    if (op !== '=') throw queryError(text, `"${key}${op}" takes one value, not a list`);
    if (items.length > maxInValues) throw queryError(text, `"${key}" lists more than ${maxInValues} values`);
    return { key, op: 'in', values: items.map((item) => item.value) };
  }
  if (first && !first.quoted && typeof first.value === 'string' && first.value.includes('..')) {
    if (op !== '=') throw queryError(text, `a range is written ${key}=low..high`);
    const [low, high, extra] = first.value.split('..');
    if (!low || !high || extra !== undefined) {
      throw queryError(text, `"${first.value}" is not a range: write ${key}=low..high`);
    }
    return { key, op: 'range', values: [literal(low), literal(high)] };
  }
  return { key, op, values: [(first as Item).value] };
}

interface Item {
  readonly value: MetaValue;
  readonly quoted: boolean;
}

function readValues(reader: Reader, key: string): Item[] {
  const { text } = reader;
  const items: Item[] = [];
  for (;;) {
    let item: Item;
    if (text[reader.at] === "'") {
      const end = text.indexOf("'", reader.at + 1);
      if (end < 0) throw queryError(text, `the quoted value of "${key}" has no closing '`);
      const value = text.slice(reader.at + 1, end);
      if (value === '') throw queryError(text, `the value of "${key}" is empty`);
      item = { value, quoted: true };
      reader.at = end + 1;
    } else {
      const raw = /^[^\s,']*/.exec(text.slice(reader.at))?.[0] ?? '';
      if (raw === '') throw queryError(text, `"${key}" has no value after its operator`);
      item = { value: literal(raw), quoted: false };
      reader.at += raw.length;
    }
    items.push(item);
    if (text[reader.at] !== ',') break;
    reader.at += 1;
  }
  const next = text[reader.at];
  if (next !== undefined && !/\s/.test(next)) {
    throw queryError(text, `unexpected "${next}" after the value of "${key}"; quote values with '...'`);
  }
  return items;
}

/** An unquoted value: a number when it reads as one, else the text. */
const literal = (raw: string): MetaValue => (numberPattern.test(raw) ? Number(raw) : raw);

function skipSpace(reader: Reader): void {
  while (reader.at < reader.text.length && /\s/.test(reader.text[reader.at] as string)) reader.at += 1;
}

function queryError(text: string, problem: string): BadRequestError {
  return new BadRequestError(`The metadata query "${text}" is invalid: ${problem}.`, {
    code: 'catalog.invalid_query',
  });
}

/** Whether a file whose effective metadata is `metadata` satisfies every condition. */
export function matches(query: MetaQuery, metadata: Readonly<Record<string, MetaValue>>): boolean {
  return query.every((condition) => holds(condition, metadata[condition.key]));
}

export function holds(condition: Condition, value: MetaValue | undefined): boolean {
  if (value === undefined) return false;
  const [first, second] = condition.values as [MetaValue, MetaValue];
  switch (condition.op) {
    case '=':
      return compareValues(value, first) === 0;
    case '!=':
      return compareValues(value, first) !== 0;
    case '<':
      return compareValues(value, first) < 0;
    case '<=':
      return compareValues(value, first) <= 0;
    case '>':
      return compareValues(value, first) > 0;
    case '>=':
      return compareValues(value, first) >= 0;
    case 'in':
      return condition.values.some((candidate) => compareValues(value, candidate) === 0);
    case 'range':
      return compareValues(value, first) >= 0 && compareValues(value, second) <= 0;
  }
}

const isoDatePattern = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/** The instant an ISO-8601 date or date-time stands for (UTC unless it names a zone), or NaN. */
export function dateMillis(text: string): number {
  if (!isoDatePattern.test(text)) return Number.NaN;
  const withT = text.replace(' ', 'T');
  const zoned = withT.length <= 10 || /(?:Z|[+-]\d{2}:?\d{2})$/.test(withT) ? withT : `${withT}Z`;
  return Date.parse(zoned);
}

/**
 * Numbers by value, dates as instants, other strings by code point (the order DynamoDB keeps
 * UTF-8 sort keys in); a number and a numeric string as numbers.
 */
export function compareValues(a: MetaValue, b: MetaValue): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number' || typeof b === 'number') {
    const [x, y] = [Number(a), Number(b)];
    if (!Number.isNaN(x) && !Number.isNaN(y) && String(a).trim() !== '' && String(b).trim() !== '') {
      return x - y;
    }
    return compareCodePoints(String(a), String(b));
  }
  const [da, db] = [dateMillis(a), dateMillis(b)];
  if (!Number.isNaN(da) && !Number.isNaN(db)) return da - db;
  return compareCodePoints(a, b);
}

export function compareCodePoints(a: string, b: string): number {
  const left = a[Symbol.iterator]();
  const right = b[Symbol.iterator]();
  for (;;) {
    const x = left.next();
    const y = right.next();
    if (x.done || y.done) return x.done && y.done ? 0 : x.done ? -1 : 1;
    const difference = (x.value.codePointAt(0) as number) - (y.value.codePointAt(0) as number);
    if (difference !== 0) return difference;
  }
}

/** The query as `parseQuery` reads it back (for messages and the CLI). */
export function formatQuery(query: MetaQuery): string {
  const show = (value: MetaValue) =>
    typeof value === 'number' || !(/[\s,']/.test(value) || value.includes('..') || numberPattern.test(value))
      ? String(value)
      : `'${value}'`;
  return query
    .map(({ key, op, values }) => {
      if (op === 'in') return `${key} in ${values.map(show).join(',')}`;
      if (op === 'range') return `${key}=${show(values[0] as MetaValue)}..${show(values[1] as MetaValue)}`;
      return `${key}${op}${show(values[0] as MetaValue)}`;
    })
    .join(' ');
}
