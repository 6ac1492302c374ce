/**
 * The files a user hands to `muon job submit`: reading them with errors that name the file and line,
 * and finding the local files they mention so that they can travel in an input sandbox.
 *
 * Glossary: a *local* location is a path on this machine (relative to the document naming it, or
 * absolute, or a `file:` URI); anything with another scheme (`SB:`, `LFN:`, `http(s):`, `s3:`, ...)
 * is already somewhere the job can reach. The *archive path* of a local file is its path inside
 * the sandbox: the path as written when it lies under the document's directory.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Document, parseDocument } from 'yaml';
import { CliError, USAGE } from '#cli/errors.ts';
import { inputSandboxKey, isDiracJob, isJobOrderDirective } from '#shared/cwl/index.ts';
import { isRecord } from '#shared/cwl/types.ts';
import { type ClassAd, getStringList, listValue, stringValue } from '#shared/jdl/index.ts';

export function readText(file: string, what = 'file'): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    const reason =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory, not a file' : message;
    throw new CliError(`Cannot read the ${what} ${file}: ${reason}.`, USAGE);
  }
}

/** The first syntax error of a parsed YAML document: where (1-based), why, and the lines the parser quotes. */
export function yamlSyntaxError(
  document: Document,
): { position?: { line: number; col: number }; reason: string; context: string } | undefined {
  const [error] = document.errors;
  if (!error) return undefined;
  const [reason = error.message, context = ''] = error.message.split(/ at line \d+, column \d+:\n/);
  return { ...(error.linePos ? { position: error.linePos[0] } : {}), reason, context };
}

/** A YAML or JSON document; a syntax error names the file, line and column. */
export function readDocument(file: string, what = 'file'): unknown {
  const document = parseDocument(readText(file, what), { intAsBigInt: true });
  const error = yamlSyntaxError(document);
  if (error) {
    const { position, reason, context } = error;
    const where = position ? `line ${position.line}, column ${position.col}: ` : '';
    const excerpt = context
      .replace(/^\n+|\s+$/g, '')
      .split('\n')
      .map((line) => `  ${line}`)
      .join('\n');
    throw new CliError(`${file}: ${where}${reason}${excerpt ? `\n${excerpt}` : ''}`, USAGE);
  }
  return document.toJS({ reviver: exactIntegers });
}

/**
 * A YAML reviver for documents read with `intAsBigInt`: an integer stays a number unless it is
 * beyond 2^53, where only a bigint keeps it exact (as cwltool, in Python, does); see shared/json.ts.
 */
export function exactIntegers(_key: unknown, value: unknown): unknown {
  return typeof value === 'bigint' && value >= -maxSafe && value <= maxSafe ? Number(value) : value;
}
const maxSafe = BigInt(Number.MAX_SAFE_INTEGER);

/** A document that must be a mapping (a CWL document, an input object, hints). */
export function readMapping(file: string, what: string): Record<string, unknown> {
  const value = readDocument(file, what);
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new CliError(`${file}: the ${what} must be a mapping of names to values.`, USAGE);
  }
  return value as Record<string, unknown>;
}

/** Has a URI scheme other than `file:` (two letters at least, so `C:\` is a path). */
const REMOTE = /^(?!file:)[A-Za-z][A-Za-z0-9+.-]+:/;

export const isLocalLocation = (location: string): boolean => !REMOTE.test(location);

/**
 * A `location` is a URI: `file%20name.txt` names `file name.txt`, as cwltool reads it (a `path`
 * is a path and is never decoded; `file:` URIs are decoded by fileURLToPath).
 */
export function decodeLocation(location: string): string {
  if (location.startsWith('file:') || !location.includes('%')) return location;
  try {
    return decodeURIComponent(location);
  } catch {
    return location;
  }
}

/** The absolute path of a local location, relative ones taken from `baseDir`. */
export function localPath(location: string, baseDir: string): string {
  return location.startsWith('file:') ? fileURLToPath(location) : resolve(baseDir, location);
}

/** A local path named in a document. */
export interface LocalEntry {
  /** Where it stands in the document (`data`, `files[1].secondaryFiles[0]`). */
  readonly at: string;
  /** Absolute. */
  readonly path: string;
}

/** A File or Directory object of an input object that names a local path. */
export interface LocalFileObject extends LocalEntry {
  readonly object: Record<string, unknown>;
}

/** Every File and Directory in `value` whose location (or path) is local, resolved against `baseDir`. */
export function findLocalFiles(value: unknown, baseDir: string, at = ''): LocalFileObject[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => findLocalFiles(item, baseDir, `${at}[${i}]`));
  if (!isRecord(value)) return [];
  const child = (key: string) => (at === '' ? key : `${at}.${key}`);
  if (value.class !== 'File' && value.class !== 'Directory') {
    return Object.entries(value).flatMap(([key, item]) => findLocalFiles(item, baseDir, child(key)));
  }
  const location = typeof value.location === 'string' ? decodeLocation(value.location) : value.path;
  const own =
    typeof location === 'string' && isLocalLocation(location)
      ? [{ at: at || '(input)', object: value, path: localPath(location, baseDir) }]
      : [];
  const nested = (['secondaryFiles', 'listing'] as const).flatMap((key) =>
    findLocalFiles(value[key], baseDir, child(key)),
  );
  return [...own, ...nested];
}

/**
 * The input object as cwltool reads it: keys that name no input are ignored (cwltool warns about
 * them), except namespaced ones such as `cwl:requirements`, which cwltool applies, and `$`
 * directives. Returns the object to send and the ignored keys.
 */
export function knownInputs(
  order: Record<string, unknown>,
  inputIds: readonly string[],
): { order: Record<string, unknown>; ignored: string[] } {
  const keep = (key: string) => inputIds.includes(key) || isJobOrderDirective(key);
  const ignored = Object.keys(order).filter((key) => !keep(key));
  if (ignored.length === 0) return { order, ignored };
  return { order: Object.fromEntries(Object.entries(order).filter(([key]) => keep(key))), ignored };
}

/** What to pack: the archive's base directory and the paths to put in it, relative to the base. */
export interface SandboxPlan {
  readonly baseDir: string;
  readonly entries: readonly string[];
  /** The archive path of one of the planned files. */
  archivePath(path: string): string;
}

const inside = (path: string, dir: string) => {
  const rel = relative(dir, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
};

/**
 * Plans one sandbox holding `paths` (absolute). Paths keep their place relative to `documentDir`
 * when they are under it; otherwise the base moves up to the nearest directory holding them all.
 * A path inside a directory that is packed too is not packed twice.
 */
export function planSandbox(paths: readonly string[], documentDir: string): SandboxPlan {
  let baseDir = resolve(documentDir);
  for (const path of paths) {
    while (!inside(path, baseDir)) baseDir = dirname(baseDir);
  }
  const unique = [...new Set(paths)].sort();
  const covered = (path: string) => unique.some((other) => other !== path && inside(path, other));
  const archivePath = (path: string) => relative(baseDir, path).split(sep).join('/') || '.';
  return { baseDir, entries: unique.filter((path) => !covered(path)).map(archivePath), archivePath };
}

/** Checks that every local file exists; the message names the document and the input. */
export function assertExist(files: readonly LocalEntry[], document: string): void {
  for (const file of files) {
    if (!existsSync(file.path)) {
      throw new CliError(`${document}: ${file.at}: ${file.path} does not exist.`, USAGE);
    }
  }
}

/**
 * Points local Files and Directories at their copy in the sandbox: `SB:<SE>|<pfn>#<archive path>`
 * (the fragment names the file inside the archive, as DiracX's CWL submission does). `path` goes:
 * it named the local copy.
 */
export function pointToSandbox(
  files: readonly LocalFileObject[],
  reference: string,
  plan: Pick<SandboxPlan, 'archivePath'>,
): void {
  for (const { object, path } of files) {
    object.location = `${reference}#${plan.archivePath(path)}`;
    delete object.path;
  }
}

/** A local file in the input sandbox of a `dirac:Job` hint (the server's "path the client uploads"). */
export interface LocalHintEntry extends LocalEntry {
  readonly hints: Record<string, unknown>;
  readonly index: number;
}

export function localHintEntries(
  hints: Record<string, unknown>,
  baseDir: string,
  at: string,
): LocalHintEntry[] {
  const key = inputSandboxKey(hints);
  const list = hints[key];
  const entries: unknown[] = Array.isArray(list) ? list : [];
  return entries.flatMap((entry, index) =>
    typeof entry === 'string' && isLocalLocation(entry)
      ? [{ at: `${at ? `${at}.` : ''}${key}[${index}]`, path: localPath(entry, baseDir), hints, index }]
      : [],
  );
}

/** Points local hint entries at their copy in the sandbox, as `pointToSandbox` does for Files. */
export function pointHintsToSandbox(
  entries: readonly LocalHintEntry[],
  reference: string,
  plan: Pick<SandboxPlan, 'archivePath'>,
): void {
  for (const { hints, index, path } of entries) {
    (hints[inputSandboxKey(hints)] as unknown[])[index] = `${reference}#${plan.archivePath(path)}`;
  }
}

// JDL. DIRAC sends the local files of `InputSandbox` as one sandbox and keeps the other entries.

/** `%s`, `%(name)s` and `%n` are filled per parametric job: such a file is not one file. */
export const hasPlaceholder = (text: string): boolean => /%(\([^)]+\))?s|%n/.test(text);

/** The InputSandbox entries of a JDL, split into local files and the rest (`SB:`, `LFN:`, URLs). */
export function jdlSandboxEntries(ad: ClassAd): { local: string[]; remote: string[] } {
  const entries = getStringList(ad, 'InputSandbox');
  return {
    local: entries.filter(isLocalLocation),
    remote: entries.filter((entry) => !isLocalLocation(entry)),
  };
}

/** Replaces the local files of the JDL's InputSandbox with the sandbox holding them. */
export function setJdlSandbox(ad: ClassAd, remote: readonly string[], reference: string): void {
  ad.set('InputSandbox', listValue([...remote, reference].map(stringValue)));
}

/** The `dirac:Job` hints written inside a CWL document (its root, or each process of a `$graph`). */
export function documentJobHints(document: Record<string, unknown>): Record<string, unknown>[] {
  const namespaces = isRecord(document.$namespaces)
    ? (document.$namespaces as Record<string, string>)
    : undefined;
  const processes = Array.isArray(document.$graph) ? document.$graph.filter(isRecord) : [document];
  return processes.flatMap((process) => {
    const { hints } = process;
    if (Array.isArray(hints)) {
      return hints.filter(
        (hint): hint is Record<string, unknown> =>
          isRecord(hint) && typeof hint.class === 'string' && isDiracJob(hint.class, namespaces),
      );
    }
    if (!isRecord(hints)) return [];
    return Object.entries(hints).flatMap(([cls, hint]) =>
      isRecord(hint) && isDiracJob(cls, namespaces) ? [hint] : [],
    );
  });
}
