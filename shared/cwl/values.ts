/**
 * Checking job-order values against CWL types: what cwltool would reject when the job starts,
 * found at submission instead, with the path of each bad value (`files[1].class`).
 */
import { type CwlIssue, describeValue, didYouMean, issueAt, type PathSegment } from './errors.ts';
import {
  describeType,
  isOptional,
  isRecord,
  MAX_DEPTH,
  type NamedTypes,
  recordFields,
  symbolName,
  TYPE_DSL,
  typeName,
} from './types.ts';

const INT32 = 2 ** 31;
const LONG = 2n ** 63n;

/** Checks a job-order value against a type, adding one issue per mismatch. */
export function checkValue(
  value: unknown,
  type: unknown,
  named: NamedTypes,
  path: PathSegment[],
  issues: CwlIssue[],
  depth = 0,
): void {
  if (depth > MAX_DEPTH) {
    issues.push(issueAt(path, 'value is nested too deeply'));
    return;
  }
  if (Array.isArray(type)) {
    if (value === null || value === undefined) {
      if (!type.includes('null')) issues.push(issueAt(path, `expected ${describeType(type)}, got null`));
      return;
    }
    const attempts = type
      .filter((member) => member !== 'null')
      .map((member) => {
        const found: CwlIssue[] = [];
        checkValue(value, member, named, path, found, depth + 1);
        return found;
      });
    if (attempts.some((found) => found.length === 0)) return;
    issues.push(
      ...(attempts.length === 1 && attempts[0]
        ? attempts[0]
        : [issueAt(path, `expected ${describeType(type)}, got ${describeValue(value)}`)]),
    );
    return;
  }
  if (typeof type === 'string') {
    const [, base = type, array, optional] = TYPE_DSL.exec(type) ?? [];
    if (value === null || value === undefined) {
      if (!optional && base !== 'null') issues.push(issueAt(path, `expected ${type}, got null`));
      return;
    }
    if (array) {
      checkArray(value, base, named, path, issues, depth);
      return;
    }
    checkNamed(value, base, named, path, issues, depth);
    return;
  }
  if (!isRecord(type)) return;
  if (type.type === 'array') checkArray(value, type.items, named, path, issues, depth);
  else if (type.type === 'enum') checkEnum(value, type, path, issues);
  else if (type.type === 'record') checkRecord(value, type, named, path, issues, depth);
}

function checkNamed(
  value: unknown,
  base: string,
  named: NamedTypes,
  path: PathSegment[],
  issues: CwlIssue[],
  depth: number,
): void {
  const mismatch = (): void => {
    issues.push(issueAt(path, `expected ${base}, got ${describeValue(value)}`));
  };
  switch (base) {
    case 'null':
      mismatch();
      return;
    case 'boolean':
      if (typeof value !== 'boolean') mismatch();
      return;
    case 'int':
      if (!Number.isInteger(value) || Math.abs(value as number) > INT32) mismatch();
      return;
    case 'long':
      // Beyond 2^53 an integer arrives as a bigint (shared/json.ts); a long holds 64 bits.
      if (typeof value === 'bigint' ? value < -LONG || value >= LONG : !Number.isSafeInteger(value))
        mismatch();
      return;
    case 'float':
    case 'double':
      if (typeof value !== 'bigint' && (typeof value !== 'number' || !Number.isFinite(value))) mismatch();
      return;
    case 'string':
      if (typeof value !== 'string') mismatch();
      return;
    case 'Any':
      return;
    case 'File':
    case 'stdin':
    case 'Directory':
      checkLocation(value, base === 'Directory' ? 'Directory' : 'File', path, issues, depth);
      return;
  }
  const declared = named.get(typeName(base));
  if (declared === undefined) issues.push(issueAt(path, `unknown type "${base}"`));
  else checkValue(value, declared, named, path, issues, depth + 1);
}

function checkArray(
  value: unknown,
  items: unknown,
  named: NamedTypes,
  path: PathSegment[],
  issues: CwlIssue[],
  depth: number,
): void {
  if (!Array.isArray(value)) {
    issues.push(issueAt(path, `expected a list of ${describeType(items)}, got ${describeValue(value)}`));
    return;
  }
  for (const [index, item] of value.entries())
    checkValue(item, items, named, [...path, index], issues, depth + 1);
}

function checkEnum(
  value: unknown,
  type: Record<string, unknown>,
  path: PathSegment[],
  issues: CwlIssue[],
): void {
  const symbols = Array.isArray(type.symbols) ? type.symbols.map((s) => symbolName(String(s))) : [];
  if (typeof value !== 'string' || !symbols.includes(symbolName(value))) {
    issues.push(issueAt(path, `expected one of ${symbols.join(', ')}, got ${describeValue(value)}`));
  }
}

function checkRecord(
  value: unknown,
  type: Record<string, unknown>,
  named: NamedTypes,
  path: PathSegment[],
  issues: CwlIssue[],
  depth: number,
): void {
  if (!isRecord(value)) {
    issues.push(issueAt(path, `expected a record, got ${describeValue(value)}`));
    return;
  }
  const fields = new Map(recordFields(type));
  for (const [name, field] of fields) {
    const fieldType = isRecord(field) && 'type' in field ? field.type : field;
    if (value[name] === undefined && !isOptional(fieldType))
      issues.push(issueAt([...path, name], 'missing required field'));
    else checkValue(value[name], fieldType, named, [...path, name], issues, depth + 1);
  }
  for (const key of Object.keys(value)) {
    if (!fields.has(key))
      issues.push(issueAt([...path, key], `unknown field${didYouMean(key, fields.keys())}`));
  }
}

const FILE_FIELDS = [
  'class',
  'location',
  'path',
  'basename',
  'dirname',
  'nameroot',
  'nameext',
  'checksum',
  'size',
  'secondaryFiles',
  'format',
  'contents',
];
const DIRECTORY_FIELDS = ['class', 'location', 'path', 'basename', 'listing'];

/** A File needs `location`, `path` or literal `contents`; a Directory `location`, `path` or `listing`. */
function checkLocation(
  value: unknown,
  cls: 'File' | 'Directory',
  path: PathSegment[],
  issues: CwlIssue[],
  depth: number,
): void {
  const source = cls === 'File' ? 'contents' : 'listing';
  if (!isRecord(value)) {
    issues.push(
      issueAt(path, `expected a ${cls} ({class: ${cls}, location: ...}), got ${describeValue(value)}`),
    );
    return;
  }
  if (value.class !== cls) {
    issues.push(
      issueAt(
        [...path, 'class'],
        value.class === undefined
          ? `missing "class: ${cls}"`
          : `expected "${cls}", got ${describeValue(value.class)}`,
      ),
    );
  }
  if (![value.location, value.path, value[source]].some((v) => v !== undefined)) {
    issues.push(issueAt(path, `a ${cls} needs "location", "path" or "${source}"`));
  }
  for (const key of ['location', 'path', 'basename'] as const) {
    if (value[key] !== undefined && (typeof value[key] !== 'string' || value[key] === '')) {
      issues.push(issueAt([...path, key], `expected a non-empty string, got ${describeValue(value[key])}`));
    }
  }
  const allowed = cls === 'File' ? FILE_FIELDS : DIRECTORY_FIELDS;
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key) && !key.includes(':'))
      issues.push(issueAt([...path, key], `unknown ${cls} field${didYouMean(key, allowed)}`));
  }
  for (const key of ['secondaryFiles', 'listing'] as const) {
    const entries = value[key];
    if (entries === undefined || !allowed.includes(key)) continue;
    if (!Array.isArray(entries)) {
      issues.push(
        issueAt(
          [...path, key],
          `expected a list of File or Directory objects, got ${describeValue(entries)}`,
        ),
      );
      continue;
    }
    entries.forEach((entry, index) => {
      const kind = isRecord(entry) && entry.class === 'Directory' ? 'Directory' : 'File';
      if (depth < MAX_DEPTH) checkLocation(entry, kind, [...path, key, index], issues, depth + 1);
    });
  }
}
