/**
 * The job search language, in DiracX's wire shape (`POST /api/jobs/search` and `/summary`):
 *
 *   { "parameters": ["JobID", "Status"],
 *     "search": [{ "parameter": "Status", "operator": "in", "values": ["Waiting", "Running"] },
 *                { "parameter": "SubmissionTime", "operator": "gt", "value": "2025-08" }],
 *     "sort": [{ "parameter": "SubmissionTime", "direction": "desc" }],
 *     "distinct": false }
 *
 * The schemas check the shape (a malformed body is a 422, as pydantic answers); `compileSearch`
 * checks the meaning and turns each condition into a predicate. An unknown column, operator or
 * direction, a bad value or an invalid regex is a 400 (DiracX's InvalidQueryError) that names it.
 *
 * Semantics, as SQL has them in DiracX: a job without a value for the column (an unset
 * `StartExecTime`) matches no condition on that column, not even `neq` or `not in`. String
 * comparisons (`eq`, `gt`, `like`, ...) are case-sensitive and compare code units.
 */
import { z } from 'zod';
import { BadRequestError, ValidationError } from '#shared/errors.ts';
import { type JobColumn, jobColumns, numberColumns, timeColumns } from '#shared/jobs/model.ts';
import { parsePartialTimestamp, storedTimeMicros, type TimeRange, timestampForms } from './time-range.ts';

export const scalarOperators = ['eq', 'neq', 'gt', 'lt', 'like', 'not like', 'regex'] as const;
export const vectorOperators = ['in', 'not in'] as const;
export const operators = [...scalarOperators, ...vectorOperators] as const;
export type Operator = (typeof operators)[number];
export const sortDirections = ['asc', 'desc'] as const;
export type SortDirection = (typeof sortDirections)[number];

/** Asks for each job's status history; only valid in `parameters`. */
export const loggingInfoParameter = 'LoggingInfo';

/** Largest page DiracX serves (`MAX_PER_PAGE`); larger requests are served this much. */
export const maxPerPage = 10_000;

const scalar = z.union([z.string(), z.number()]);

export const searchSpecSchema = z.object({
  parameter: z.string(),
  operator: z.string(),
  value: scalar.optional(),
  values: z.array(scalar).optional(),
});
export type SearchSpec = z.infer<typeof searchSpecSchema>;

export const sortSpecSchema = z.object({ parameter: z.string(), direction: z.string().default('asc') });
export type SortSpec = z.infer<typeof sortSpecSchema>;

export const searchParamsSchema = z.object({
  parameters: z.array(z.string()).nullish(),
  search: z.array(searchSpecSchema).default([]),
  sort: z.array(sortSpecSchema).default([]),
  distinct: z.boolean().default(false),
});
export type SearchParams = z.input<typeof searchParamsSchema>;

export const summaryParamsSchema = z.object({
  grouping: z.array(z.string()),
  search: z.array(searchSpecSchema).default([]),
});
export type SummaryParams = z.input<typeof summaryParamsSchema>;

/** `?page=1&per_page=100` of a search; `per_page` above 10000 is served as 10000, as DiracX does. */
export const searchPageQuerySchema = z.object({
  page: z.coerce.number().int().min(1).default(1),
  per_page: z.coerce
    .number()
    .int()
    .min(1)
    .default(100)
    .transform((perPage) => Math.min(perPage, maxPerPage)),
});

/** One compiled condition. `values` keeps the normalised operands for the read planner. */
export interface Filter {
  readonly column: JobColumn;
  readonly operator: Operator;
  readonly values: readonly (string | number)[];
  readonly test: (stored: unknown) => boolean;
}

export interface SortKey {
  readonly column: JobColumn;
  readonly direction: SortDirection;
}

export interface CompiledSearch {
  /** Columns of each result row, in the table's order. */
  readonly columns: readonly JobColumn[];
  readonly loggingInfo: boolean;
  readonly filters: readonly Filter[];
  readonly sort: readonly SortKey[];
  readonly distinct: boolean;
}

const allColumns = Object.keys(jobColumns) as JobColumn[];
const quoted = (items: readonly string[]) => items.map((item) => `"${item}"`).join(', ');
const invalid = (message: string, code = 'search.invalid_query') => new BadRequestError(message, { code });

export function resolveColumn(parameter: string, use: string): JobColumn {
  if (Object.hasOwn(jobColumns, parameter)) return parameter as JobColumn;
  throw invalid(
    `Cannot ${use} "${parameter}": it is not a job column. Valid columns are ${allColumns.join(', ')}.`,
    'search.unknown_column',
  );
}

export function compileSearch(params: SearchParams): CompiledSearch {
  const parsed = parseParams(searchParamsSchema, params);
  const requested = parsed.parameters ?? [];
  const loggingInfo = requested.includes(loggingInfoParameter);
  const named = new Set(
    requested.filter((p) => p !== loggingInfoParameter).map((p) => resolveColumn(p, 'return')),
  );
  // As DiracX: LoggingInfo alone means every column; with others it brings JobID along.
  if (loggingInfo && named.size > 0) named.add('JobID');
  return {
    columns: named.size === 0 ? allColumns : allColumns.filter((column) => named.has(column)),
    loggingInfo,
    filters: compileFilters(parsed.search),
    sort: parsed.sort.map(compileSort),
    distinct: parsed.distinct,
  };
}

export function compileFilters(specs: readonly SearchSpec[]): Filter[] {
  return specs.map(compileFilter);
}

/** Applies the schema's defaults; a caller that skipped the route's validation gets a 422 here. */
export function parseParams<S extends z.ZodType>(schema: S, params: unknown): z.infer<S> {
  const parsed = schema.safeParse(params ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`);
  throw new ValidationError(`The search is malformed: ${problems.join('; ')}.`);
}

function compileSort(spec: SortSpec): SortKey {
  const column = resolveColumn(spec.parameter, 'sort by');
  if (!(sortDirections as readonly string[]).includes(spec.direction)) {
    throw invalid(
      `Cannot sort by ${column} "${spec.direction}": the direction is ${quoted(sortDirections)}.`,
      'search.unknown_direction',
    );
  }
  return { column, direction: spec.direction as SortDirection };
}

export function compileFilter(spec: SearchSpec): Filter {
  const column = resolveColumn(spec.parameter, 'filter on');
  const operator = spec.operator as Operator;
  if (!(operators as readonly string[]).includes(operator)) {
    throw invalid(
      `Unknown operator "${spec.operator}" on ${column}. Valid operators are ${quoted(operators)}.`,
      'search.unknown_operator',
    );
  }
  const where = `${column} ${operator}`;
  if ((vectorOperators as readonly string[]).includes(operator)) {
    if (spec.values === undefined) throw invalid(`${where} needs "values", a list.`);
  } else if (spec.value === undefined) {
    throw invalid(`${where} needs "value", a single value${spec.values ? ' (not "values")' : ''}.`);
  }
  const operands = spec.values ?? [spec.value as string | number];

  if (operator === 'like' || operator === 'not like' || operator === 'regex') {
    const pattern = operands[0];
    if (typeof pattern !== 'string') throw invalid(`${where} needs a string pattern.`);
    const expression = operator === 'regex' ? compileRegex(pattern, where) : likePattern(pattern);
    const matches = (stored: unknown) =>
      stored !== undefined && stored !== null && expression.test(String(stored));
    return {
      column,
      operator,
      values: [pattern],
      test: operator === 'not like' ? (s) => s !== undefined && s !== null && !matches(s) : matches,
    };
  }
  if (timeColumns.has(column)) return timeFilter(column, operator, operands, where);
  const values = numberColumns.has(column)
    ? operands.map((operand) => toNumber(operand, where))
    : operands.map(String);
  return { column, operator, values, test: comparison(operator, values) };
}

/** SQL LIKE: `%` is any run of characters, `_` one character, `\` escapes the next one. */
export function likePattern(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i += 1) {
    const char = pattern[i] as string;
    if (char === '\\' && i + 1 < pattern.length) source += escapeRegex(pattern[++i] as string);
    else if (char === '%') source += '.*';
    else if (char === '_') source += '.';
    else source += escapeRegex(char);
  }
  return new RegExp(`^${source}$`, 's');
}

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');

function compileRegex(pattern: string, where: string): RegExp {
  try {
    return new RegExp(pattern);
  } catch (error) {
    throw new BadRequestError(
      `${where}: "${pattern}" is not a valid regular expression (${(error as Error).message}).`,
      {
        code: 'search.invalid_regex',
        cause: error,
      },
    );
  }
}

function toNumber(operand: string | number, where: string): number {
  const number = typeof operand === 'number' ? operand : operand.trim() === '' ? Number.NaN : Number(operand);
  if (!Number.isFinite(number)) throw invalid(`${where} compares numbers; "${operand}" is not a number.`);
  return number;
}

function comparison(operator: Operator, values: readonly (string | number)[]): (stored: unknown) => boolean {
  const [value] = values;
  const kind = typeof value;
  const set = new Set(values);
  const comparable = (stored: unknown): stored is string | number =>
    // Values of the other kind never match: a number column never holds a string.
    (typeof stored === 'number' || typeof stored === 'string') &&
    (values.length === 0 || typeof stored === kind);
  switch (operator) {
    case 'eq':
      return (s) => comparable(s) && s === value;
    case 'neq':
      return (s) => comparable(s) && s !== value;
    case 'gt':
      return (s) => comparable(s) && s > (value as string | number);
    case 'lt':
      return (s) => comparable(s) && s < (value as string | number);
    case 'in':
      return (s) => comparable(s) && set.has(s);
    default:
      return (s) => comparable(s) && !set.has(s);
  }
}

function timeFilter(
  column: JobColumn,
  operator: Operator,
  operands: readonly (string | number)[],
  where: string,
): Filter {
  const ranges: TimeRange[] = operands.map((operand) => {
    const range = typeof operand === 'string' ? parsePartialTimestamp(operand) : undefined;
    if (!range) throw invalid(`${where}: "${operand}" is not a time. ${column} accepts ${timestampForms}.`);
    return range;
  });
  const resolutions = new Set(ranges.map((range) => range.resolution));
  if (resolutions.size > 1) {
    throw invalid(
      `${where}: cannot mix time resolutions (${[...resolutions].join(', ')}) in one condition; ` +
        'give every value to the same precision.',
    );
  }
  const inside = (t: number) => ranges.some((r) => t >= r.start && t < r.end);
  const [first] = ranges;
  const test = (stored: unknown) => {
    const t = storedTimeMicros(stored);
    if (t === undefined) return false;
    switch (operator) {
      case 'eq':
      case 'in':
        return inside(t);
      case 'neq':
      case 'not in':
        return !inside(t);
      case 'gt':
        return first !== undefined && t >= first.end;
      default:
        return first !== undefined && t < first.start;
    }
  };
  return { column, operator, values: operands.map(String), test };
}
