/**
 * Finding JavaScript in a process. `$(inputs.x)` is a parameter reference that any runner
 * evaluates; anything else inside `$()` or `${}` is JavaScript, which cwltool refuses to run
 * without InlineJavascriptRequirement. Reporting it at submission saves a failed job.
 */
import { type CwlIssue, issueAt, type PathSegment } from './errors.ts';
import { isRecord } from './types.ts';

const PARAMETER_REFERENCE = /^\$\(\w+(?:\.\w+|\['(?:[^'\\]|\\.)*'\]|\["(?:[^"\\]|\\.)*"\]|\[\d+\])*\)/;

/** Fields that hold no expressions, or that are searched on their own with their own requirements. */
const SKIPPED = new Set([
  'doc',
  'label',
  'default',
  'hints',
  'steps',
  'run',
  '$namespaces',
  '$schemas',
  'id',
  'type',
]);

export function needsJavascript(text: string): boolean {
  for (let at = text.indexOf('$'); at !== -1; at = text.indexOf('$', at + 1)) {
    if (at > 0 && text[at - 1] === '\\') continue;
    if (text[at + 1] === '{') return true;
    if (text[at + 1] === '(' && !PARAMETER_REFERENCE.test(text.slice(at))) return true;
  }
  return false;
}

/** Reports every string of a process (or of a step, without its run) that needs JavaScript. */
export function findJavascript(value: unknown, path: PathSegment[], issues: CwlIssue[]): void {
  if (typeof value === 'string') {
    if (needsJavascript(value)) {
      issues.push(issueAt(path, 'a JavaScript expression needs InlineJavascriptRequirement'));
    }
  } else if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) findJavascript(item, [...path, index], issues);
  } else if (isRecord(value)) {
    for (const [key, child] of Object.entries(value)) {
      if (!SKIPPED.has(key)) findJavascript(child, [...path, key], issues);
    }
  }
}
