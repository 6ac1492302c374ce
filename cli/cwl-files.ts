/**
 * The local files a CWL run needs besides the ones its input object names, found as cwltool would
 * find them, so that they travel in an input sandbox:
 * - files the document names itself: `default:` File and Directory values (of a tool's or a
 *   workflow's inputs, or of a step's `in`), File and Directory literals of an
 *   InitialWorkDirRequirement listing, and `$schemas` (format ontologies);
 * - the secondary files the tool's `secondaryFiles` patterns imply for a File that does not list
 *   its own (`.idx`, `^.bai`; a pattern ending in `?`, or `required: false`, may be missing).
 *
 * The pilot unpacks every input sandbox into the job directory and writes the document there as
 * `job.cwl` (pilot/wrapper/workdir.ts), so a document file is pointed at its archive path, relative
 * to the document: cwltool resolves it against `job.cwl` and finds the unpacked copy. A secondary
 * file needs no rewriting: it is shipped beside its primary, where cwltool looks for it.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { decodeLocation, isLocalLocation, type LocalEntry, localPath } from '#cli/inputs.ts';
import { isRecord } from '#shared/cwl/types.ts';

const isFileObject = (value: unknown): value is Record<string, unknown> =>
  isRecord(value) && (value.class === 'File' || value.class === 'Directory');

/** A location that is computed when the tool runs, not a file to ship. */
const isExpression = (text: string) => /\$[({]/.test(text);

/** A local file the document names, and how to point the document at its copy in the sandbox. */
export interface DocumentFile extends LocalEntry {
  /** Replaces the reference in the document with `location` (relative to the document). */
  point(location: string): void;
}

interface DocumentFiles {
  /** Files that exist here: they are shipped. */
  readonly files: readonly DocumentFile[];
  /** Files the document names that do not exist here; cwltool warns about a missing default. */
  readonly missing: readonly DocumentFile[];
}

/**
 * Every local file a (possibly packed, `$graph`) CWL document names: File and Directory literals
 * with a location or path (defaults, InitialWorkDirRequirement listings, nested listings and
 * secondary files of those), `$schemas`, and the secondary files its patterns imply for its
 * default Files. Relative locations are taken from `baseDir`, the directory of the document.
 */
export function collectDocumentFiles(document: Record<string, unknown>, baseDir: string): DocumentFiles {
  const found: DocumentFile[] = [];
  const schemas = document.$schemas;
  if (Array.isArray(schemas)) {
    for (const [index, schema] of schemas.entries()) {
      if (typeof schema !== 'string' || !isLocalLocation(schema)) continue;
      found.push({
        at: `$schemas[${index}]`,
        path: localPath(decodeLocation(schema), baseDir),
        point: (location) => {
          schemas[index] = location;
        },
      });
    }
  }
  const visit = (value: unknown, at: string): void => {
    if (Array.isArray(value)) {
      for (const [i, item] of value.entries()) visit(item, `${at}[${i}]`);
      return;
    }
    if (!isRecord(value)) return;
    const child = (key: string) => (at === '' ? key : `${at}.${key}`);
    if (!isFileObject(value)) {
      for (const [key, item] of Object.entries(value)) if (key !== '$schemas') visit(item, child(key));
      return;
    }
    const own = fileLocation(value, baseDir);
    if (own) {
      found.push({
        at,
        path: own,
        point: (location) => {
          value.location = location;
          delete value.path;
        },
      });
    }
    for (const key of ['secondaryFiles', 'listing']) visit(value[key], child(key));
  };
  visit(document, '');

  const defaults = processes(document).flatMap((process) =>
    inputParameters(process).flatMap(({ id, parameter }) => {
      const patterns = secondaryPatterns(parameter.secondaryFiles);
      return patterns.length === 0
        ? []
        : impliedSecondaryFiles(parameter.default, patterns, baseDir).map(
            (path): DocumentFile => ({ at: `${id}.default.secondaryFiles`, path, point: () => {} }),
          );
    }),
  );
  const files: DocumentFile[] = [];
  const missing: DocumentFile[] = [];
  for (const file of [...found, ...defaults]) (existsSync(file.path) ? files : missing).push(file);
  return { files, missing };
}

/** The absolute local path a File or Directory object names, if it names one. */
function fileLocation(object: Record<string, unknown>, baseDir: string): string | undefined {
  const location =
    typeof object.location === 'string' ? decodeLocation(object.location) : (object.path as unknown);
  if (typeof location !== 'string' || location === '' || isExpression(location)) return undefined;
  return isLocalLocation(location) ? localPath(location, baseDir) : undefined;
}

// Secondary files.

interface SecondaryPattern {
  readonly pattern: string;
  readonly required: boolean;
}

/**
 * The patterns of a `secondaryFiles` field; expressions are left to cwltool. A `required` that is
 * an expression (`$(inputs.require_dat)`) is taken as optional here: the file is shipped when it
 * exists, and cwltool on the pilot evaluates the expression and asks for it if it must.
 */
export function secondaryPatterns(field: unknown): SecondaryPattern[] {
  const entries = Array.isArray(field) ? field : field === undefined ? [] : [field];
  return entries.flatMap((entry): SecondaryPattern[] => {
    const raw = typeof entry === 'string' ? entry : isRecord(entry) ? entry.pattern : undefined;
    if (typeof raw !== 'string' || isExpression(raw)) return [];
    const optional = raw.endsWith('?');
    const pattern = optional ? raw.slice(0, -1) : raw;
    // cwltool --pack writes `required: null` for a pattern that says nothing: the pattern decides.
    const stated = isRecord(entry) ? entry.required : undefined;
    const required = stated === undefined || stated === null ? !optional : stated === true;
    return pattern === '' ? [] : [{ pattern, required }];
  });
}

/** The name a pattern gives the secondary file of `primary` (`^` strips one extension each). */
export function secondaryName(primary: string, pattern: string): string {
  let name = primary;
  let rest = pattern;
  while (rest.startsWith('^')) {
    const dot = name.lastIndexOf('.');
    if (dot > 0) name = name.slice(0, dot);
    rest = rest.slice(1);
  }
  return name + rest;
}

/**
 * The secondary files of every File in `value` that lists none of its own, next to it on this
 * machine: the ones that exist, and the required ones (which the caller reports when missing).
 */
function impliedSecondaryFiles(
  value: unknown,
  patterns: readonly SecondaryPattern[],
  baseDir: string,
): string[] {
  if (Array.isArray(value)) return value.flatMap((item) => impliedSecondaryFiles(item, patterns, baseDir));
  if (!isRecord(value) || value.class !== 'File' || value.secondaryFiles !== undefined) return [];
  const primary = fileLocation(value, baseDir);
  if (!primary) return [];
  return patterns.flatMap(({ pattern, required }) => {
    const path = join(dirname(primary), secondaryName(basename(primary), pattern));
    return required || existsSync(path) ? [path] : [];
  });
}

/**
 * The secondary files an input object's Files imply, by the patterns of the inputs they are given
 * to: an input's own patterns, and those of the File fields of a record input (anonymous, or named
 * by a SchemaDefRequirement), arrays of either included.
 */
export function inputSecondaryFiles(
  document: Record<string, unknown>,
  inputObject: Record<string, unknown>,
  baseDir: string,
): LocalEntry[] {
  const all = processes(document);
  const main = mainProcess(document, all);
  const types = schemaTypes(all);
  const own = new Map((main ? inputParameters(main) : []).map(({ id, parameter }) => [id, parameter]));
  // A workflow's inputs reach its steps' tools, whose own patterns cwltool applies too: those
  // files are shipped when they exist and left to cwltool to ask for otherwise.
  const innerParameters = all
    .filter((process) => process !== main)
    .flatMap((process) => inputParameters(process));
  const inner = innerParameters
    .flatMap(({ parameter }) => secondaryPatterns(parameter.secondaryFiles))
    .map((pattern) => ({ ...pattern, required: false }));
  return Object.entries(inputObject).flatMap(([id, value]) => {
    const parameter = own.get(id);
    const paths = [
      ...impliedSecondaryFiles(value, [...secondaryPatterns(parameter?.secondaryFiles), ...inner], baseDir),
      ...(parameter ? typedSecondaryFiles(value, parameter.type, types, baseDir, true) : []),
      // A step's input of the same name, when its tool types it as a record of its own.
      ...innerParameters
        .filter((inner) => inner.id === id)
        .flatMap((inner) => typedSecondaryFiles(value, inner.parameter.type, types, baseDir, false)),
    ];
    return [...new Set(paths)].map((path) => ({ at: `${id}.secondaryFiles`, path }));
  });
}

type SchemaTypes = ReadonlyMap<string, unknown>;

/** The short name of a type or field (`#main/rec/f1` → `f1`, `types.yml#Rec` → `Rec`). */
const shortName = (name: string) => name.replace(/^.*[#/]/, '');

/**
 * The secondary files the record fields of `type` imply for the Files of `value` (a field's
 * patterns are the field's own; those of the input itself are applied by the caller). `required`
 * false makes every file optional (a step's patterns, shipped when they exist).
 */
function typedSecondaryFiles(
  value: unknown,
  type: unknown,
  types: SchemaTypes,
  baseDir: string,
  required: boolean,
  depth = 0,
): string[] {
  if (depth > 32 || value === undefined || value === null) return [];
  if (Array.isArray(type)) {
    // A union: each member reads the value its own way; a member that does not fit finds nothing.
    return type.flatMap((member) => typedSecondaryFiles(value, member, types, baseDir, required, depth + 1));
  }
  if (typeof type === 'string') {
    const name = type.endsWith('?') ? type.slice(0, -1) : type;
    if (name.endsWith('[]')) {
      return typedSecondaryFiles(
        value,
        { type: 'array', items: name.slice(0, -2) },
        types,
        baseDir,
        required,
        depth + 1,
      );
    }
    const named = types.get(shortName(name));
    return named === undefined ? [] : typedSecondaryFiles(value, named, types, baseDir, required, depth + 1);
  }
  if (!isRecord(type)) return [];
  if (type.type === 'array') {
    return Array.isArray(value)
      ? value.flatMap((item) => typedSecondaryFiles(item, type.items, types, baseDir, required, depth + 1))
      : [];
  }
  if (type.type !== 'record' || !isRecord(value) || isFileObject(value)) {
    // `{type: Name}` and `{type: [...]}` wrap another type.
    return type.type === 'record' || type.type === 'enum'
      ? []
      : typedSecondaryFiles(value, type.type, types, baseDir, required, depth + 1);
  }
  return recordFields(type.fields).flatMap(({ name, field }) => {
    const item = value[name];
    const patterns = secondaryPatterns(field.secondaryFiles).map((pattern) =>
      required ? pattern : { ...pattern, required: false },
    );
    return [
      ...(patterns.length > 0 ? impliedSecondaryFiles(item, patterns, baseDir) : []),
      ...typedSecondaryFiles(item, field.type, types, baseDir, required, depth + 1),
    ];
  });
}

/** A record type's fields, in the map or the list form, by their short name. */
function recordFields(fields: unknown): { name: string; field: Record<string, unknown> }[] {
  if (Array.isArray(fields)) {
    return fields.flatMap((field) =>
      isRecord(field) && typeof field.name === 'string' ? [{ name: shortName(field.name), field }] : [],
    );
  }
  if (!isRecord(fields)) return [];
  return Object.entries(fields).map(([name, field]) => ({
    name: shortName(name),
    field: isRecord(field) ? field : { type: field },
  }));
}

/** The types of every SchemaDefRequirement of the document (requirements or hints), by short name. */
function schemaTypes(all: readonly Record<string, unknown>[]): Map<string, unknown> {
  const types = new Map<string, unknown>();
  for (const process of all) {
    for (const key of ['requirements', 'hints']) {
      const entries = process[key];
      const defs = Array.isArray(entries)
        ? entries.filter((entry) => isRecord(entry) && entry.class === 'SchemaDefRequirement')
        : isRecord(entries) && isRecord(entries.SchemaDefRequirement)
          ? [entries.SchemaDefRequirement]
          : [];
      for (const def of defs) {
        const list = isRecord(def) && Array.isArray(def.types) ? def.types : [];
        for (const type of list) {
          if (isRecord(type) && typeof type.name === 'string') types.set(shortName(type.name), type);
        }
      }
    }
  }
  return types;
}

// The processes of a document.

/** Every process of a document: the root or the `$graph`, and the ones embedded as a step's `run`. */
function processes(document: Record<string, unknown>): Record<string, unknown>[] {
  const roots = Array.isArray(document.$graph) ? document.$graph.filter(isRecord) : [document];
  const all: Record<string, unknown>[] = [];
  const add = (process: Record<string, unknown>) => {
    all.push(process);
    const steps = Array.isArray(process.steps)
      ? process.steps
      : isRecord(process.steps)
        ? Object.values(process.steps)
        : [];
    for (const step of steps) if (isRecord(step) && isRecord(step.run)) add(step.run);
  };
  for (const root of roots) add(root);
  return all;
}

function mainProcess(
  document: Record<string, unknown>,
  all: readonly Record<string, unknown>[],
): Record<string, unknown> | undefined {
  if (!Array.isArray(document.$graph)) return document;
  const graph = document.$graph.filter(isRecord);
  return (
    graph.find((process) => ['#main', 'main'].includes(String(process.id))) ??
    (graph.length === 1 ? graph[0] : all[0])
  );
}

/** A process's inputs, in the map or the list form, by their short id. */
function inputParameters(
  process: Record<string, unknown>,
): { id: string; parameter: Record<string, unknown> }[] {
  const { inputs } = process;
  const shortId = (id: string) => id.replace(/^.*[#/]/, '');
  if (Array.isArray(inputs)) {
    return inputs.flatMap((input) =>
      isRecord(input) && typeof input.id === 'string' ? [{ id: shortId(input.id), parameter: input }] : [],
    );
  }
  if (!isRecord(inputs)) return [];
  return Object.entries(inputs).map(([id, input]) => ({
    id: shortId(id),
    parameter: isRecord(input) ? input : { type: input },
  }));
}
