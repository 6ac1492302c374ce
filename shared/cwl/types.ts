/**
 * CWL type expressions: checking that every type name exists (schema-salad silently turns an
 * unknown name such as `strin` into a URI, so nothing else catches it), and the questions the
 * other checks ask of a type. Works on unvalidated data so every problem is reported in one pass.
 */
import { type CwlIssue, didYouMean, issueAt, type PathSegment } from './errors.ts';

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const PRIMITIVES = ['null', 'boolean', 'int', 'long', 'float', 'double', 'string'];
/** The type names CWL defines itself. */
export const BUILTIN_TYPES: readonly string[] = [...PRIMITIVES, 'File', 'Directory', 'Any'];
const BUILTINS = BUILTIN_TYPES;
/** CWL v1.2's type shorthand: one optional `[]`, then one optional `?`. */
export const TYPE_DSL = /^([^[?]+)(\[\])?(\?)?$/;
export const MAX_DEPTH = 32;

/** Types declared by SchemaDefRequirement, by name without `#`. */
export type NamedTypes = ReadonlyMap<string, unknown>;

export const typeName = (name: string): string => name.slice(name.lastIndexOf('#') + 1);

/** Adds the named types of a SchemaDefRequirement `types` list; later declarations shadow earlier ones. */
export function withNamedTypes(named: NamedTypes, types: unknown): NamedTypes {
  if (!Array.isArray(types)) return named;
  const next = new Map(named);
  for (const type of types) {
    if (isRecord(type) && typeof type.name === 'string') next.set(typeName(type.name), type);
  }
  return next;
}

export interface TypeContext {
  named: NamedTypes;
  /** `stdin` is allowed as a CommandLineTool input type, `stdout`/`stderr` as an output type. */
  special?: 'stdin' | 'stdout';
}

export function checkTypeNames(
  type: unknown,
  path: PathSegment[],
  context: TypeContext,
  issues: CwlIssue[],
  depth = 0,
): void {
  if (depth > MAX_DEPTH) {
    issues.push(issueAt(path, 'type is nested too deeply'));
    return;
  }
  if (typeof type === 'string') {
    const match = TYPE_DSL.exec(type);
    const base = match?.[1];
    if (base === undefined) {
      issues.push(issueAt(path, `malformed type "${type}" (write "T", "T[]", "T?" or "T[]?")`));
      return;
    }
    if (BUILTINS.includes(base) || context.named.has(typeName(base))) return;
    const special =
      context.special === 'stdin' ? ['stdin'] : context.special === 'stdout' ? ['stdout', 'stderr'] : [];
    if (special.includes(base)) {
      if (type !== base) issues.push(issueAt(path, `"${base}" cannot be made optional or an array`));
      return;
    }
    const candidates = [...BUILTINS, ...special, ...context.named.keys()];
    issues.push(issueAt(path, `unknown type "${base}"${didYouMean(base, candidates)}`));
    return;
  }
  const inner: TypeContext = { named: context.named };
  if (Array.isArray(type)) {
    for (const [index, member] of type.entries())
      checkTypeNames(member, [...path, index], inner, issues, depth + 1);
    return;
  }
  if (!isRecord(type)) return;
  if (type.type === 'array') checkTypeNames(type.items, [...path, 'items'], inner, issues, depth + 1);
  if (type.type !== 'record') return;
  for (const [name, field] of recordFields(type)) {
    const fieldType = isRecord(field) && 'type' in field ? field.type : field;
    const suffix = isRecord(field) && 'type' in field ? ['type'] : [];
    checkTypeNames(fieldType, [...path, 'fields', name, ...suffix], inner, issues, depth + 1);
  }
}

/**
 * Record fields as [name, field] pairs, from either the list or the map form. A packed document
 * names fields under their record (`#types.yml/Kit/bait`); the input object says `bait`.
 */
export function recordFields(record: Record<string, unknown>): [string, unknown][] {
  const { fields } = record;
  if (Array.isArray(fields)) {
    return fields.flatMap((field) =>
      isRecord(field) && typeof field.name === 'string'
        ? [[symbolName(field.name), field] as [string, unknown]]
        : [],
    );
  }
  return isRecord(fields) ? Object.entries(fields) : [];
}

/** True when the input may be left out of a job order: its type admits null. */
export function isOptional(type: unknown): boolean {
  if (type === 'null') return true;
  if (typeof type === 'string') return type.endsWith('?');
  if (Array.isArray(type)) return type.some(isOptional);
  return false;
}

/** True when values of this type are files or directories (`File`, `File[]?`, `stdout`), for sandbox and data references. */
export function holdsFiles(type: unknown): boolean {
  if (typeof type === 'string') return /^(File|Directory|stdin|stdout|stderr)(\[\])?\??$/.test(type);
  if (Array.isArray(type)) return type.some(holdsFiles);
  return isRecord(type) && type.type === 'array' && holdsFiles(type.items);
}

export function describeType(type: unknown): string {
  if (typeof type === 'string') return type;
  if (Array.isArray(type)) return type.map(describeType).join(' | ');
  if (isRecord(type) && type.type === 'array') return `${describeType(type.items)}[]`;
  if (isRecord(type) && type.type === 'enum' && Array.isArray(type.symbols)) {
    return `enum(${type.symbols.map((s) => symbolName(String(s))).join(', ')})`;
  }
  return isRecord(type) && typeof type.type === 'string' ? type.type : 'unknown';
}

export const symbolName = (symbol: string): string =>
  symbol.slice(Math.max(symbol.lastIndexOf('/'), symbol.lastIndexOf('#')) + 1);
