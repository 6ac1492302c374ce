/**
 * The command-line spelling of the search language, as DiracX's `dirac jobs search` has it:
 * `--condition "<parameter> <operator> <value>"`, `--sort "<parameter> [asc|desc]"`, job ids.
 * Malformed text is a usage error (exit code 2) naming what to write instead.
 */
import type { SearchSpec, SortSpec } from '#cli/commands/job-api.ts';
import { CliError, USAGE } from '#cli/errors.ts';
import { closest } from '#shared/cwl/errors.ts';
import { jobColumns } from '#shared/jobs/model.ts';
import { loggingInfoParameter, scalarOperators, vectorOperators } from '#shared/jobs/search/query.ts';

const columns = Object.keys(jobColumns);
const operatorList = [...scalarOperators, ...vectorOperators].map((op) => `"${op}"`).join(', ');
const usage = (message: string) => new CliError(message, USAGE);

/** The columns a search is over: the job columns, or another entity's (pilots). */
export interface ColumnSet {
  readonly what: string;
  readonly names: readonly string[];
}

const jobColumnSet: ColumnSet = { what: 'job', names: columns };

/** A column, or a usage error with the closest one. */
export function parseColumn(
  name: string,
  what: string,
  extra: readonly string[] = [],
  known: ColumnSet = jobColumnSet,
): string {
  if (known.names.includes(name) || extra.includes(name)) return name;
  const suggestion = closest(name, [...known.names, ...extra]);
  throw usage(
    `${what}: "${name}" is not a ${known.what} column${suggestion ? ` (did you mean ${suggestion}?)` : ''}. ` +
      `Columns: ${known.names.join(', ')}.`,
  );
}

export const parseParameter = (name: string) => parseColumn(name, '--parameter', [loggingInfoParameter]);

/**
 * `"Status eq Waiting"`, `"JobName like hello%"`, `"JobName not like %test%"`,
 * `"Status in Waiting,Running"` or `"JobID in [1, 2]"`. A scalar value is the rest of the text
 * (outer quotes removed); a vector value is a JSON list or a comma-separated list.
 */
export function parseCondition(text: string, known: ColumnSet = jobColumnSet): SearchSpec {
  const match = text.trim().match(/^(\S+)\s+(not\s+like|not\s+in|\S+)(?:\s+([\s\S]*))?$/i);
  const example = 'write it as "<parameter> <operator> <value>", e.g. "Status eq Waiting"';
  if (!match) throw usage(`--condition "${text}": ${example}.`);
  const [, name = '', written = '', rest = ''] = match;
  const parameter = parseColumn(name, `--condition "${text}"`, [], known);
  const operator = written.toLowerCase().replace(/\s+/g, ' ');
  const value = unquote(rest.trim());
  if ((scalarOperators as readonly string[]).includes(operator)) {
    if (value === '') throw usage(`--condition "${text}": ${operator} needs a value; ${example}.`);
    return { parameter, operator, value };
  }
  if ((vectorOperators as readonly string[]).includes(operator)) {
    const values = parseValues(value, text);
    if (values.length === 0) throw usage(`--condition "${text}": ${operator} needs at least one value.`);
    return { parameter, operator, values };
  }
  throw usage(`--condition "${text}": unknown operator "${written}". Operators: ${operatorList}.`);
}

function parseValues(text: string, condition: string): (string | number)[] {
  if (!text.startsWith('[')) {
    return text
      .split(',')
      .map((item) => unquote(item.trim()))
      .filter((item) => item !== '');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw usage(`--condition "${condition}": the values are not a JSON list (${(error as Error).message}).`);
  }
  if (!Array.isArray(parsed) || !parsed.every((v) => typeof v === 'string' || typeof v === 'number')) {
    throw usage(`--condition "${condition}": the values must be a list of strings or numbers.`);
  }
  return parsed;
}

const unquote = (text: string) =>
  text
    .match(/^"(.*)"$|^'(.*)'$/s)
    ?.slice(1)
    .find((v) => v !== undefined) ?? text;

/** `"JobID"`, `"JobID desc"`, `"LastUpdateTime asc"`. */
export function parseSort(text: string, known: ColumnSet = jobColumnSet): SortSpec {
  const [name = '', direction = 'asc', ...more] = text.trim().split(/\s+/);
  const lower = direction.toLowerCase();
  if (more.length > 0 || (lower !== 'asc' && lower !== 'desc')) {
    throw usage(`--sort "${text}": write it as "<parameter> [asc|desc]", e.g. "JobID desc".`);
  }
  return {
    parameter: parseColumn(name, `--sort "${text}"`, [], known),
    direction: lower as SortSpec['direction'],
  };
}

/** Job ids as arguments, each a number or a comma-separated list of numbers. */
export function parseJobIds(args: readonly string[]): number[] {
  const ids = args.flatMap((arg) => arg.split(',')).filter((item) => item.trim() !== '');
  if (ids.length === 0) throw usage('Give at least one job id.');
  return [
    ...new Set(
      ids.map((item) => {
        const id = Number(item.trim());
        if (!/^\s*\d+\s*$/.test(item) || !Number.isSafeInteger(id) || id <= 0) {
          throw usage(`"${item}" is not a job id: a job id is a positive whole number.`);
        }
        return id;
      }),
    ),
  ];
}

/** A whole number for an option such as `--page`, at least `min`. */
export function parseCount(text: string, option: string, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || value < min || value > max) {
    throw usage(
      `${option} must be a whole number from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : ''}, not "${text}".`,
    );
  }
  return value;
}
