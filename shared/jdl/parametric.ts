/**
 * DIRAC's parametric jobs (`WorkloadManagementSystem/Utilities/ParametricJob.py`): one JDL with
 * `Parameters` describes N jobs.
 *
 * - `Parameters = { a, b, c }` gives one job per value; `Parameters = N` gives N jobs whose values run
 *   from `ParameterStart` (default 1), each the previous one times `ParameterFactor` (default 1)
 *   plus `ParameterStep` (default 0). Values are integers unless one of the three is a float, and
 *   are printed as Python prints them (`7`, `7.0`).
 * - Named sequences `Parameters.A`, `ParameterStart.A`, ... run alongside, filling `%(A)s`; every
 *   list must have N values. A named sequence without a list takes N from `Parameters`.
 * - In every string (inside lists and nested ClassAds too) `%s` becomes the unnamed sequence's
 *   value, `%(A)s` that of A, and `%n` the job's index zero-padded to the width of N-1. `%j` is left
 *   for the job ID at submission. Each job loses the `Parameter*` attributes and gets `Parameter`
 *   (and `Parameter.A`, ...) as a string, or as the list when the value is a list, and
 *   `ParameterNumber`.
 */
import {
  ClassAd,
  classAdValue,
  cloneValue,
  floatValue,
  integerValue,
  type JdlValue,
  listValue,
  stringValue,
} from './classad.ts';
import { JdlSyntaxError, ParametricJobError, TooManyParametricJobsError } from './errors.ts';
import { parseJdlValue } from './parser.ts';
import { formatFloat, formatValue, valueText } from './serialize.ts';

export interface ExpandOptions {
  /** The most jobs one JDL may describe (DIRAC's `MaxParametricJobs`). */
  readonly max: number;
}

const PARAMETER_ATTRIBUTE = /^(Parameters|ParameterStart|ParameterStep|ParameterFactor)(?:\.(.+))?$/i;
const PLACEHOLDER = /%\(([^)]+)\)s|%s|%n/g;
const EXACT_PLACEHOLDER = /^%\(([^)]+)\)s$|^%s$/;

type SequenceKey = 'parameters' | 'parameterstart' | 'parameterstep' | 'parameterfactor';

interface Sequence {
  /** `''` for the unnamed sequence, else the name after the dot as first written. */
  readonly name: string;
  readonly attributes: Partial<Record<SequenceKey, { readonly attribute: string; readonly value: JdlValue }>>;
}

interface Parameter {
  /** What replaces `%s`/`%(A)s` inside text. */
  readonly text: string;
  /** What replaces a value that is only the placeholder (`InputData = %(InputData)s;`). */
  readonly value: JdlValue;
}

/** How many jobs the JDL describes, or `undefined` if it is not parametric. */
export function parametricJobCount(ad: ClassAd): number | undefined {
  const sequences = readSequences(ad);
  return sequences.size === 0 ? undefined : countJobs(sequences);
}

/** The jobs a JDL describes: itself (a copy) if it is not parametric. */
export function expandParametric(ad: ClassAd, options: ExpandOptions): ClassAd[] {
  const sequences = readSequences(ad);
  if (sequences.size === 0) return [ad.clone()];
  const count = countJobs(sequences);
  if (count > options.max) throw new TooManyParametricJobsError(count, options.max);

  const values = new Map([...sequences].map(([key, sequence]) => [key, sequenceValues(sequence, count)]));
  const width = String(count - 1).length;
  return Array.from({ length: count }, (_, index) => {
    const parameters = new Map([...values].map(([key, list]) => [key, list[index] as Parameter]));
    const job = fillClassAd(ad, { index: String(index).padStart(width, '0'), parameters });
    for (const name of ad.names()) if (PARAMETER_ATTRIBUTE.test(name)) job.delete(name);
    for (const [key, parameter] of parameters) {
      const name = sequences.get(key)?.name ?? key;
      const value =
        parameter.value.kind === 'list' ? cloneValue(parameter.value) : stringValue(parameter.text);
      job.set(name === '' ? 'Parameter' : `Parameter.${name}`, value);
    }
    return job.set('ParameterNumber', integerValue(index));
  });
}

/** The sequences, keyed by lower-cased name (`''` for the unnamed one). */
function readSequences(ad: ClassAd): Map<string, Sequence> {
  const sequences = new Map<string, Sequence>();
  for (const [attribute, value] of ad) {
    const match = PARAMETER_ATTRIBUTE.exec(attribute);
    if (match === null) continue;
    const name = match[2] ?? '';
    const key = name.toLowerCase();
    const sequence = sequences.get(key) ?? { name, attributes: {} };
    sequence.attributes[(match[1] ?? '').toLowerCase() as SequenceKey] = { attribute, value };
    sequences.set(key, sequence);
  }
  return sequences;
}

function countJobs(sequences: Map<string, Sequence>): number {
  let count: { attribute: string; value: number } | undefined;
  for (const { name, attributes } of sequences.values()) {
    const parameters = attributes.parameters;
    if (parameters === undefined) continue;
    const { attribute, value } = parameters;
    let length: number | undefined;
    if (value.kind === 'list') length = value.items.length;
    else if (name === '' && value.kind === 'integer') length = value.value;
    else if (name === '' && value.kind === 'string' && /^\s*[+-]?\d+\s*$/.test(value.value))
      length = Number(value.value);
    if (length === undefined) {
      const wanted = name === '' ? 'a list of values or the number of jobs' : 'a list of values';
      throw new ParametricJobError(`${attribute} must be ${wanted}, not ${formatValue(value)}.`);
    }
    if (count !== undefined && count.value !== length) {
      throw new ParametricJobError(
        `Different length of parameter vectors: ${attribute} has ${length} values, ${count.attribute} ${count.value}.`,
      );
    }
    count = { attribute, value: length };
  }
  if (count === undefined) {
    // Only ParameterStart/Step/Factor: DIRAC silently ignores them, which hides a mistake.
    const [first] = [...sequences.values()].flatMap((sequence) => Object.values(sequence.attributes));
    throw new ParametricJobError(
      `${first?.attribute} is set, but no Parameters attribute gives the number of jobs.`,
    );
  }
  if (count.value <= 0) {
    throw new ParametricJobError(
      `Illegal number of job parameters: ${count.attribute} gives ${count.value}.`,
    );
  }
  return count.value;
}

function sequenceValues(sequence: Sequence, count: number): Parameter[] {
  const { parameters, parameterstart, parameterstep, parameterfactor } = sequence.attributes;
  if (parameters?.value.kind === 'list') {
    return parameters.value.items.map((item) => ({ text: valueText(item), value: item }));
  }
  const start = readNumber(parameterstart, 1n);
  const step = readNumber(parameterstep, 0n);
  const factor = readNumber(parameterfactor, 1n);
  const attribute = parameterfactor?.attribute ?? parameterstep?.attribute ?? 'Parameters';
  const result: Parameter[] = [];
  if (typeof start === 'bigint' && typeof step === 'bigint' && typeof factor === 'bigint') {
    // Python integers never overflow; muon's stop at 2^53 rather than silently lose digits.
    for (let value = start, i = 0; i < count; i += 1, value = value * factor + step) {
      if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
        throw new ParametricJobError(`${attribute} makes the parameter values exceed 2^53 (value ${i}).`);
      }
      result.push({ text: value.toString(), value: integerValue(Number(value)) });
    }
    return result;
  }
  for (let value = Number(start), i = 0; i < count; i += 1, value = value * Number(factor) + Number(step)) {
    if (!Number.isFinite(value))
      throw new ParametricJobError(`${attribute} makes the parameter values overflow.`);
    result.push({ text: formatFloat(value), value: floatValue(value) });
  }
  return result;
}

/** An integer as a bigint, a float as a number; DIRAC also accepts numbers written as strings. */
function readNumber(
  entry: { readonly attribute: string; readonly value: JdlValue } | undefined,
  fallback: bigint,
): bigint | number {
  if (entry === undefined) return fallback;
  const { attribute, value } = entry;
  if (value.kind === 'integer') return BigInt(value.value);
  if (value.kind === 'float') return value.value;
  const text = value.kind === 'string' ? value.value.trim() : '';
  if (/^[+-]?\d+$/.test(text)) return BigInt(text);
  if (text !== '' && Number.isFinite(Number(text))) return Number(text);
  throw new ParametricJobError(
    `Illegal value for ${attribute} JDL field: ${formatValue(value)} is not a number.`,
  );
}

interface JobParameters {
  readonly index: string;
  readonly parameters: ReadonlyMap<string, Parameter>;
}

function fillClassAd(ad: ClassAd, job: JobParameters): ClassAd {
  return new ClassAd([...ad].map(([name, value]) => [name, fillValue(value, job, name)] as const));
}

function fillValue(value: JdlValue, job: JobParameters, attribute: string): JdlValue {
  switch (value.kind) {
    case 'string':
      return stringValue(fillText(value.value, job));
    case 'classad':
      return classAdValue(fillClassAd(value.value, job));
    case 'list':
      // A placeholder standing alone in a list takes a list value's items, as DIRAC strips its braces.
      return listValue(
        value.items.flatMap((item) => {
          const whole = wholePlaceholder(item, job);
          if (whole?.kind === 'list') return whole.items.map(cloneValue);
          return [whole === undefined ? fillValue(item, job, attribute) : cloneValue(whole)];
        }),
      );
    case 'expression': {
      const whole = wholePlaceholder(value, job);
      if (whole !== undefined) return cloneValue(whole);
      const source = fillText(value.source, job);
      return source === value.source ? value : reparse(source, attribute);
    }
    default:
      return value;
  }
}

/** The parameter's own value when `value` is nothing but its placeholder (`%s`, `%(A)s`). */
function wholePlaceholder(value: JdlValue, job: JobParameters): JdlValue | undefined {
  if (value.kind !== 'expression') return undefined;
  const match = EXACT_PLACEHOLDER.exec(value.source.trim());
  if (match === null) return undefined;
  return job.parameters.get((match[1] ?? '').toLowerCase())?.value;
}

function fillText(text: string, job: JobParameters): string {
  return text.replace(PLACEHOLDER, (placeholder, name: string | undefined) => {
    if (placeholder === '%n') return job.index;
    return job.parameters.get((name ?? '').toLowerCase())?.text ?? placeholder;
  });
}

/** An expression with values pasted in as text (DIRAC's way) must still read as JDL. */
function reparse(source: string, attribute: string): JdlValue {
  try {
    return parseJdlValue(source, attribute);
  } catch (error) {
    if (!(error instanceof JdlSyntaxError)) throw error;
    throw new ParametricJobError(
      `Filling in the parameters makes ${attribute} invalid JDL (${source}): ${error.reason}.`,
    );
  }
}
