/**
 * CWL validation problems. Every problem carries the path of the offending field, written the way a
 * user reads their document (`inputs.message.type`, `steps.count.in.file`, `arguments[0]`), so a
 * rejected submission can be fixed without guessing. All problems are collected before throwing.
 */
import type { z } from 'zod';
import { ValidationError } from '#shared/errors.ts';

export interface CwlIssue {
  /** Dotted path of the field; `(document)` for the document itself. */
  path: string;
  message: string;
  /** What kind of problem, for callers that act on one (`cwl.unsupported_requirement`). */
  code?: string;
}

export type PathSegment = string | number;

/** The code of an issue naming a requirement muon does not run (cwl-runner's exit 33). */
export const UNSUPPORTED_REQUIREMENT = 'cwl.unsupported_requirement';

export class CwlValidationError extends ValidationError {
  readonly issues: readonly CwlIssue[];

  constructor(subject: string, issues: readonly CwlIssue[]) {
    const message = `${subject} is invalid:\n${formatIssues(issues)}`;
    super(message, { code: 'cwl.invalid', detail: { message, issues } });
    this.issues = issues;
  }
}

export const formatIssues = (issues: readonly CwlIssue[]): string =>
  issues.map((issue) => `  ${issue.path}: ${issue.message}`).join('\n');

export function formatPath(path: readonly PathSegment[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else text += text === '' ? segment : `.${segment}`;
  }
  return text === '' ? '(document)' : text;
}

export const issueAt = (path: readonly PathSegment[], message: string, code?: string): CwlIssue => ({
  path: formatPath(path),
  message,
  ...(code === undefined ? {} : { code }),
});

/** Drops repeated problems while keeping the order in which they were found. */
export function uniqueIssues(issues: readonly CwlIssue[]): CwlIssue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = `${issue.path}\u0000${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Turns zod issues into CWL issues. A union's error lists every alternative; the alternatives that
 * failed only because the value had another shape (a string where an object was allowed) say
 * nothing useful, so the report keeps the alternative that got furthest, or one "expected ..." line.
 */
export function fromZodIssues(
  issues: readonly z.core.$ZodIssue[],
  prefix: readonly PathSegment[] = [],
): CwlIssue[] {
  const out: CwlIssue[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...(issue.path as PathSegment[])];
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      const relevant = issue.errors.filter((branch) => !branch.every(isShapeMismatch));
      const best = relevant.sort((a, b) => a.length - b.length)[0];
      if (best) {
        out.push(...fromZodIssues(best, path));
        continue;
      }
      const expected = [
        ...new Set(issue.errors.flat().map((i) => (i.code === 'invalid_type' ? i.expected : '?'))),
      ];
      out.push(issueAt(path, describeMismatch(expected, issue.input)));
    } else if (issue.code === 'invalid_union' && 'options' in issue && Array.isArray(issue.options)) {
      // A discriminated union (`class`, or `type` of a schema) given a value it does not know.
      const options = issue.options.map(String);
      const given =
        path.at(-1) !== undefined && isObject(issue.input) ? issue.input[String(path.at(-1))] : undefined;
      const expected = `expected ${options.join(', ')}`;
      const message =
        given === undefined
          ? `missing; ${expected}`
          : `unknown value ${JSON.stringify(given)}${didYouMean(String(given), options)}; ${expected}`;
      out.push(issueAt(path, message));
    } else if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push(issueAt([...path, key], 'unknown field'));
    } else if (issue.code === 'invalid_type') {
      out.push(issueAt(path, describeMismatch([issue.expected], issue.input)));
    } else {
      out.push(issueAt(path, issue.message));
    }
  }
  return out;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isShapeMismatch = (issue: z.core.$ZodIssue): boolean =>
  issue.path.length === 0 && issue.code === 'invalid_type';

function describeMismatch(expected: readonly string[], input: unknown): string {
  if (input === undefined) return 'missing required field';
  const list =
    expected.length > 1 ? `${expected.slice(0, -1).join(', ')} or ${expected.at(-1)}` : expected[0];
  return `expected ${list}, got ${describeValue(input)}`;
}

export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string')
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `${typeof value} ${String(value)}`;
}

/** The closest known name, for "did you mean" hints; undefined when nothing is close. */
export function closest(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const candidate of candidates) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

export const didYouMean = (name: string, candidates: Iterable<string>): string => {
  const suggestion = closest(name, candidates);
  return suggestion === undefined ? '' : ` (did you mean "${suggestion}"?)`;
};
