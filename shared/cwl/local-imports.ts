/**
 * In-document `$import`s: `{"$import": "#schemadef-type.yml"}` stands for the object whose `id` (or,
 * for a type, `name`) is `#schemadef-type.yml` elsewhere in the same document. cwltool --pack writes them when several
 * processes of a `$graph` share an imported SchemaDefRequirement; nothing is fetched for them, so a
 * submission may hold them. Every other `$import` names a file, which the normal form reports
 * (normalize.ts). The input is never changed: a document without one is returned as it is.
 */
import { isRecord } from './types.ts';

const MAX_DEPTH = 64;

export function resolveLocalImports(document: unknown): unknown {
  const byId = new Map<string, Record<string, unknown>>();
  if (!collect(document, byId, 0)) return document;
  const resolving = new Set<string>();
  const resolve = (value: unknown, depth: number): unknown => {
    if (depth > MAX_DEPTH) return value;
    if (Array.isArray(value)) return value.map((item) => resolve(item, depth + 1));
    if (!isRecord(value)) return value;
    const reference = localImport(value);
    const target = reference === undefined ? undefined : byId.get(reference);
    // A reference to nothing, or one that leads back to itself, stays for the normal form to report.
    if (reference !== undefined && target !== undefined && !resolving.has(reference)) {
      resolving.add(reference);
      const resolved = resolve(target, depth + 1);
      resolving.delete(reference);
      return resolved;
    }
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = resolve(item, depth + 1);
    return out;
  };
  return resolve(document, 0);
}

/** `#id` of an object that is only `{"$import": "#id"}`. */
function localImport(value: Record<string, unknown>): string | undefined {
  const reference = value.$import;
  return typeof reference === 'string' && reference.startsWith('#') && Object.keys(value).length === 1
    ? reference
    : undefined;
}

/** Indexes the objects named by an `#id` or `#name`; true when the document holds an in-document `$import`. */
function collect(value: unknown, byId: Map<string, Record<string, unknown>>, depth: number): boolean {
  if (depth > MAX_DEPTH) return false;
  if (Array.isArray(value))
    return value.reduce<boolean>((found, item) => collect(item, byId, depth + 1) || found, false);
  if (!isRecord(value)) return false;
  for (const name of [value.id, value.name]) {
    if (typeof name === 'string' && name.startsWith('#') && !byId.has(name)) byId.set(name, value);
  }
  let found = localImport(value) !== undefined;
  for (const item of Object.values(value)) found = collect(item, byId, depth + 1) || found;
  return found;
}
