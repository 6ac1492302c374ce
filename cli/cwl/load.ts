/**
 * Reading CWL documents from disk as cwltool (schema-salad) does before running them: YAML or JSON,
 * `$import` (the file's content stands in its place, with that file as its base) and `$include`
 * (the file's text as a string), both resolved relative to the file that names them. pack.ts builds
 * one self-contained document from what is read here.
 *
 * Written here rather than taken from npm: no maintained JavaScript package packs CWL. cwl-ts-auto
 * (already a dev dependency) loads a document into objects but neither follows `run:` references
 * nor writes a packed document back, and the client has no Python to run `cwltool --pack`.
 *
 * Every object keeps where it came from (file and path in that file), so a problem found later can
 * be reported as `file:line:column` the way cwltool does.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Document, LineCounter, parseDocument } from 'yaml';
import { CliError, USAGE } from '#cli/errors.ts';
import { decodeLocation, exactIntegers, isLocalLocation, yamlSyntaxError } from '#cli/inputs.ts';
import type { PathSegment } from '#shared/cwl/errors.ts';
import { isRecord } from '#shared/cwl/types.ts';

/** Where a value stands in the files the user wrote: the file and the path of keys within it. */
export interface Origin {
  readonly file: string;
  readonly path: readonly PathSegment[];
}

/** The origin of a field inside `origin`. */
export const at = (origin: Origin, ...keys: PathSegment[]): Origin => ({
  file: origin.file,
  path: [...origin.path, ...keys],
});

interface SourceFile {
  readonly document: Document;
  readonly lines: LineCounter;
  readonly value: unknown;
}

const MAX_DEPTH = 64;
const REMOTE = /^[A-Za-z][A-Za-z0-9+.-]+:\/\//;

/** A path as the user would write it: relative to the working directory when below it. */
export function displayPath(file: string): string {
  const shown = relative(process.cwd(), file);
  return shown === '' || shown.startsWith('..') || isAbsolute(shown) ? file : shown;
}

/**
 * A reference from inside a document (`tool.cwl`, `sub/types.yml#T`, `file:///x.cwl`) as an
 * absolute path and fragment. URL escapes are decoded: salad reads references as URIs.
 */
export function resolveReference(from: string, reference: string): { file: string; fragment?: string } {
  const hash = reference.indexOf('#');
  const target = hash === -1 ? reference : reference.slice(0, hash);
  const fragment = hash === -1 ? undefined : reference.slice(hash + 1);
  if (target === '') return { file: from, ...(fragment === undefined ? {} : { fragment }) };
  const file = target.startsWith('file:')
    ? fileURLToPath(target)
    : resolve(dirname(from), decodeLocation(target));
  return { file, ...(fragment === undefined ? {} : { fragment }) };
}

export const isRemote = (reference: string): boolean =>
  REMOTE.test(reference) && !reference.startsWith('file:');

export const isFile = (file: string): boolean => existsSync(file) && statSync(file).isFile();

export class CwlLoader {
  /**
   * @param root the directory of the document the user named: relative File and Directory
   * locations written in other directories are rewritten relative to it, as they will be read.
   */
  constructor(private readonly root: string) {}

  private readonly sources = new Map<string, SourceFile>();
  private readonly loaded = new Map<string, unknown>();
  private readonly loading: string[] = [];
  /** Objects that stand where an `$import` was written, with the file they were read from. */
  private readonly imported = new WeakMap<object, string>();

  /** The file's content with every `$import` and `$include` resolved; read once per file. */
  load(file: string, by?: Origin): unknown {
    const cached = this.loaded.get(file);
    if (cached !== undefined) return cached;
    if (this.loading.includes(file)) {
      this.fail(
        by,
        `"${displayPath(file)}" imports itself (${[...this.loading, file].map(displayPath).join(' → ')})`,
      );
    }
    const source = this.source(file, by);
    this.loading.push(file);
    const value = this.expand(source.value, { file, path: [] }, 0);
    this.loading.pop();
    this.loaded.set(file, value);
    return value;
  }

  /** How many files were read, the first one included. */
  get fileCount(): number {
    return this.sources.size;
  }

  /** The file an object was `$import`ed from, when it was. */
  importedFrom(value: unknown): string | undefined {
    return typeof value === 'object' && value !== null ? this.imported.get(value) : undefined;
  }

  /** `file:line:column` of the origin, or as near to it as the file allows (the file alone). */
  position(origin: Origin): string {
    const shown = displayPath(origin.file);
    const source = this.sources.get(origin.file);
    if (source === undefined) return shown;
    for (let length = origin.path.length; length >= 0; length--) {
      const node = source.document.getIn(origin.path.slice(0, length), true) as
        | { range?: [number, number, number] }
        | undefined;
      const offset = node?.range?.[0];
      if (offset !== undefined) {
        const { line, col } = source.lines.linePos(offset);
        return `${shown}:${line}:${col}`;
      }
    }
    return shown;
  }

  /**
   * Throws a CliError located at the origin (the file alone when there is none): a usage error, as
   * a syntax error is, since the files given are what to fix.
   */
  fail(origin: Origin | undefined, message: string): never {
    throw new CliError(origin ? `${this.position(origin)}: ${message}` : message, USAGE);
  }

  private source(file: string, by: Origin | undefined): SourceFile {
    const known = this.sources.get(file);
    if (known) return known;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'cannot be read';
      return this.fail(by, `"${displayPath(file)}" ${reason}`);
    }
    const lines = new LineCounter();
    const document = parseDocument(text, { lineCounter: lines, uniqueKeys: true, intAsBigInt: true });
    const error = yamlSyntaxError(document);
    if (error) {
      const at = error.position;
      throw new CliError(`${displayPath(file)}${at ? `:${at.line}:${at.col}` : ''}: ${error.reason}`, USAGE);
    }
    const source = { document, lines, value: document.toJS({ maxAliasCount: 1000, reviver: exactIntegers }) };
    this.sources.set(file, source);
    return source;
  }

  private expand(value: unknown, origin: Origin, depth: number): unknown {
    if (depth > MAX_DEPTH) this.fail(origin, `nested more than ${MAX_DEPTH} levels deep`);
    const at = (key: PathSegment): Origin => ({ file: origin.file, path: [...origin.path, key] });
    if (Array.isArray(value)) return value.map((item, index) => this.expand(item, at(index), depth + 1));
    if (!isRecord(value)) return value;
    // `#id` alone names an object of this document (cwltool --pack writes them): shared/cwl resolves it.
    if (typeof value.$import === 'string' && value.$import.startsWith('#')) return value;
    if (typeof value.$import === 'string') {
      const target = this.target(value.$import, at('$import'), '$import');
      const content = this.load(target, at('$import'));
      if (typeof content === 'object' && content !== null) this.imported.set(content, target);
      return content;
    }
    if (typeof value.$include === 'string') {
      const target = this.target(value.$include, at('$include'), '$include');
      return readFileSync(target, 'utf8');
    }
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = this.expand(item, at(key), depth + 1);
    if ((value.class === 'File' || value.class === 'Directory') && dirname(origin.file) !== this.root) {
      for (const field of ['location', 'path'] as const) {
        const location = out[field];
        if (
          typeof location !== 'string' ||
          isAbsolute(location) ||
          location.startsWith('file:') ||
          !isLocalLocation(location) ||
          /^\$[({]/.test(location)
        )
          continue;
        out[field] = relative(this.root, resolve(dirname(origin.file), decodeLocation(location)));
      }
    }
    return out;
  }

  private target(reference: string, origin: Origin, directive: string): string {
    if (isRemote(reference)) {
      this.fail(origin, `${directive} of "${reference}": muon reads local files only; download it first`);
    }
    const { file } = resolveReference(origin.file, reference);
    if (!isFile(file)) {
      this.fail(origin, `${directive} of "${reference}", which does not exist (${displayPath(file)})`);
    }
    return file;
  }
}
