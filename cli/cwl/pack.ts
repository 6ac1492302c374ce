/**
 * `cwltool --pack` for the client: what `cwltool wf.cwl job.yml` would read (steps that `run:`
 * other files, `$import`/`$include`, `file.cwl#id` references, already packed `$graph` documents)
 * becomes one self-contained document that the API can store and a pilot can hand to cwltool.
 *
 * The shape is cwltool's: `{cwlVersion, $graph: [...]}`, the process the user named as `#main`,
 * every other file's process under `#<file name>` and every `run:` pointing into the graph. A
 * document that is a single process after loading stays as it is (no `$graph`). Ids inside a
 * process stay as written (salad scopes them under the process id); only ids written absolutely
 * (`#tool/x`) follow their process when it is renamed.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { CliError, USAGE } from '#cli/errors.ts';
import { isCwlVersion, upgradeProcess } from '#shared/cwl/index.ts';
import { isRecord } from '#shared/cwl/types.ts';
import { at, CwlLoader, displayPath, isFile, isRemote, type Origin, resolveReference } from './load.ts';
import { packParameters, packRequirements, type TypeContext, type TypeUri } from './type-names.ts';
import { newestVersion, withV10Hints } from './upgrade.ts';

type Fields = Record<string, unknown>;

export interface PackedCwl {
  /** The document to submit. */
  readonly document: Fields;
  /** The document to validate: as `document`, but with each file's own cwlVersion when they differ. */
  readonly checked: Fields;
  /** The graph ids of the packed processes, with where each was written. */
  readonly entries: ReadonlyMap<string, { readonly raw: unknown; readonly origin: Origin }>;
  readonly loader: CwlLoader;
  /** The graph id a step (as written) runs, when its `run` names another document. */
  runOf(step: unknown): string | undefined;
}

const ID_FIELDS = new Set(['id', 'source', 'outputSource', 'out', 'scatter']);
const stripHash = (id: string): string => (id.startsWith('#') ? id.slice(1) : id);

/** Packs the document named like cwltool's first argument: `wf.cwl` or `tool.cwl#main`. */
export function packCwl(reference: string): PackedCwl {
  // The first pass learns every declared type name, so the second knows which references name one;
  // the second reads the files the first loaded.
  const declared = new Set<string>();
  const { loader } = new Packer(declared, () => true).pack(reference);
  return new Packer(new Set(), (uri) => declared.has(uri), loader).pack(reference);
}

interface Entry {
  readonly raw: unknown;
  readonly origin: Origin;
  /** The cwlVersion of the file it was written in. */
  readonly version: unknown;
  packed?: Fields;
}

class Packer {
  constructor(
    private readonly declared: Set<string>,
    private readonly isDeclared: (uri: string) => boolean,
    /** The loader of an earlier pass over the same document. */
    private readonly loaded?: CwlLoader,
  ) {}

  private loader = new CwlLoader(process.cwd());
  private readonly entries = new Map<string, Entry>();
  /** Graph id of each (file, process id in that file); '' for a file that is one process. */
  private readonly keys = new Map<string, string>();
  private readonly namespaces: Fields = {};
  private readonly runs = new WeakMap<object, string>();
  private readonly context: TypeContext = {
    relativize: (uri) => this.relativize(uri),
    declare: (uri) => this.declared.add(`${uri.file}#${uri.fragment}`),
    isDeclared: (uri) => this.isDeclared(`${uri.file}#${uri.fragment}`),
    enter: (value, origin) => {
      const file = this.loader.importedFrom(value);
      return file === undefined ? origin : { file, path: [] };
    },
  };

  pack(reference: string): PackedCwl {
    // A file whose name holds `#` is that file; otherwise `#` starts the process id.
    const { file, fragment } = isFile(reference)
      ? { file: resolve(reference), fragment: undefined }
      : resolveReference(resolve('muon-cwl-packer'), reference);
    if (!isFile(file)) {
      const reason = existsSync(file) ? 'it is a directory, not a file' : 'no such file';
      throw new CliError(`Cannot read the CWL document ${reference}: ${reason}.`, USAGE);
    }
    this.loader = this.loaded ?? new CwlLoader(dirname(file));
    const main = this.loader.load(file);
    if (!isRecord(main))
      return this.loader.fail({ file, path: [] }, 'expected a CWL document (a mapping of fields)');
    this.process(file, fragment, { file, path: [] }, 'main');
    // An already packed document keeps all its processes, in their order.
    if (Array.isArray(main.$graph) && (fragment === undefined || fragment === 'main')) {
      for (const process of main.$graph) {
        if (isRecord(process) && typeof process.id === 'string') {
          this.process(file, stripHash(process.id), { file, path: [] });
        }
      }
      const index = (entry: Entry) => (entry.origin.file === file ? Number(entry.origin.path[1]) : Infinity);
      const sorted = [...this.entries].sort(([, a], [, b]) => index(a) - index(b));
      this.entries.clear();
      for (const [key, entry] of sorted) this.entries.set(key, entry);
    }
    const packed = [...this.entries.values()].map((entry) => entry.packed ?? {});
    const versions = [...this.entries.values()].map((entry) => entry.version);
    const newest = newestVersion(versions);
    const mixed = newest !== undefined && versions.some((version) => version !== newest);
    const version = mixed ? newest : main.cwlVersion;
    const top = {
      ...(version === undefined ? {} : { cwlVersion: version }),
      ...(Object.keys(this.namespaces).length > 0 ? { $namespaces: this.namespaces } : {}),
      ...(Array.isArray(main.$schemas) ? { $schemas: main.$schemas } : {}),
    };
    let document: Fields;
    let checked: Fields | undefined;
    const [only] = packed;
    if (this.loader.fileCount === 1 && !Array.isArray(main.$graph) && fragment === undefined) {
      // One file naming no other: sent exactly as written, so its workflow id does not change.
      document = main;
    } else if (packed.length === 1 && only && !Array.isArray(main.$graph)) {
      // One process: written as it was, without the id packing gave it.
      const { id, ...rest } = only;
      document = { ...top, ...rest };
      if (typeof main.id === 'string') document.id = id;
    } else {
      const entries = [...this.entries.values()];
      const upgraded = entries.map(({ packed = {}, version: from }) =>
        mixed && isCwlVersion(from) && from !== newest
          ? (withV10Hints(upgradeProcess(packed, from), from) as Fields)
          : packed,
      );
      document = { ...top, $graph: upgraded };
      // Each file is checked against its own version; the document sent is all of the newest.
      if (mixed) checked = { ...top, $graph: entries.map((e) => ({ ...e.packed, cwlVersion: e.version })) };
    }
    const runOf = (step: unknown) => (isRecord(step) ? this.runs.get(step) : undefined);
    return { document, checked: checked ?? document, entries: this.entries, loader: this.loader, runOf };
  }

  /**
   * The graph id of a process: `fragment` within `file` (a `$graph` entry, or the file's one
   * process), packing it the first time it is named.
   */
  private process(file: string, fragment: string | undefined, by: Origin, preferred?: string): string {
    const content = this.loader.load(file, by);
    const graph = isRecord(content) && Array.isArray(content.$graph) ? content.$graph : undefined;
    let raw: unknown = content;
    let origin: Origin = { file, path: [] };
    let ownId = isRecord(content) && typeof content.id === 'string' ? stripHash(content.id) : undefined;
    if (graph) {
      const ids = graph.map((entry) =>
        isRecord(entry) && typeof entry.id === 'string' ? stripHash(entry.id) : '',
      );
      const wanted = fragment ?? (ids.includes('main') ? 'main' : ids.length === 1 ? ids[0] : undefined);
      const index = wanted === undefined ? -1 : ids.indexOf(wanted);
      if (index === -1) {
        const listed =
          ids
            .filter(Boolean)
            .map((id) => `#${id}`)
            .join(', ') || 'none';
        const what = wanted === undefined ? 'name one of its processes' : `it has no process "#${wanted}"`;
        this.loader.fail(by, `"${displayPath(file)}${fragment ? `#${fragment}` : ''}": ${what} (${listed})`);
      }
      raw = graph[index];
      origin = { file, path: ['$graph', index] };
      ownId = wanted;
    } else if (fragment !== undefined && fragment !== ownId && fragment !== 'main') {
      this.loader.fail(by, `"${displayPath(file)}" has no process "#${fragment}"`);
    }
    if (!isRecord(raw)) return this.loader.fail(origin, 'expected a process (a mapping of fields)');
    const handle = `${file}#${graph ? ownId : ''}`;
    const known = this.keys.get(handle);
    if (known !== undefined) return known;

    const key = this.unique(preferred ?? (graph && ownId ? ownId : basename(file)));
    this.keys.set(handle, key);
    const version =
      (graph && isRecord(raw) && raw.cwlVersion) || (isRecord(content) ? content.cwlVersion : undefined);
    const entry: Entry = { raw, origin, version };
    this.entries.set(key, entry);
    this.collectNamespaces(content, graph ? raw : undefined);
    const { cwlVersion: _version, $namespaces: _ns, $schemas: _schemas, ...body } = this.walk(raw, origin);
    const renamed = ownId !== undefined && ownId !== key ? renameIds(body, ownId, key) : body;
    entry.packed = { ...(renamed as Fields), id: `#${key}` };
    return key;
  }

  /** A process with its type names packed and its steps' `run` references pointing into the graph. */
  private walk(process: Fields, origin: Origin): Fields {
    const out: Fields = { ...process };
    for (const field of ['inputs', 'outputs'] as const) {
      if (field in process) out[field] = packParameters(process[field], at(origin, field), this.context);
    }
    for (const field of ['requirements', 'hints'] as const) {
      if (field in process) out[field] = packRequirements(process[field], at(origin, field), this.context);
    }
    if (process.class === 'Workflow' && process.steps !== undefined) {
      const steps = process.steps;
      out.steps = Array.isArray(steps)
        ? steps.map((step, index) => this.step(step, at(origin, 'steps', index)))
        : isRecord(steps)
          ? Object.fromEntries(
              Object.entries(steps).map(([id, step]) => [id, this.step(step, at(origin, 'steps', id), id)]),
            )
          : steps;
    }
    return out;
  }

  private step(step: unknown, stepOrigin: Origin, key?: string): unknown {
    const origin = this.context.enter(step, stepOrigin);
    if (!isRecord(step)) return step;
    const id = key ?? (typeof step.id === 'string' ? stripHash(step.id).split('/').at(-1) : undefined);
    const out: Fields = { ...step };
    for (const field of ['requirements', 'hints'] as const) {
      if (field in step) out[field] = packRequirements(step[field], at(origin, field), this.context);
    }
    const run = step.run;
    const runOrigin = at(origin, 'run');
    if (isRecord(run)) {
      const inner = this.context.enter(run, runOrigin);
      out.run = this.walk(run, inner);
      if (inner.file !== origin.file) this.collectNamespaces(run, undefined);
    } else if (typeof run === 'string') {
      const key = this.runTarget(run, runOrigin, id);
      this.runs.set(step, key);
      out.run = `#${key}`;
    }
    return out;
  }

  private runTarget(run: string, origin: Origin, stepId: string | undefined): string {
    const who = `step "${stepId ?? '?'}"`;
    if (isRemote(run)) {
      this.loader.fail(origin, `${who} runs "${run}": muon reads local files only; download it first`);
    }
    const { file, fragment } = resolveReference(origin.file, run);
    if (!isFile(file)) {
      this.loader.fail(origin, `${who} runs "${run}", which does not exist (${displayPath(file)})`);
    }
    if (file === origin.file && fragment !== undefined) {
      const content = this.loader.load(file);
      if (!(isRecord(content) && Array.isArray(content.$graph))) {
        this.loader.fail(origin, `${who} runs "${run}": only a $graph document can name its own processes`);
      }
    }
    return this.process(file, fragment, origin);
  }

  private relativize(uri: TypeUri): string {
    const content = this.loader.load(uri.file);
    const graph = isRecord(content) && Array.isArray(content.$graph) ? content.$graph : undefined;
    if (graph) {
      const [first = '', ...rest] = uri.fragment.split('/');
      const key = this.keys.get(`${uri.file}#${first}`);
      return key === undefined ? `#${uri.fragment}` : `#${[key, ...rest].join('/')}`;
    }
    const handle = `${uri.file}#`;
    let key = this.keys.get(handle);
    if (key === undefined) {
      // A file of types only (a SchemaDefRequirement's $import): named by its file, not packed.
      key = this.unique(basename(uri.file));
      this.keys.set(handle, key);
    }
    return `#${key}/${uri.fragment}`;
  }

  private unique(name: string): string {
    const taken = new Set(this.keys.values());
    if (!taken.has(name)) return name;
    for (let n = 2; ; n++) if (!taken.has(`${name}_${n}`)) return `${name}_${n}`;
  }

  private collectNamespaces(...documents: unknown[]): void {
    for (const document of documents) {
      if (!isRecord(document) || !isRecord(document.$namespaces)) continue;
      for (const [prefix, iri] of Object.entries(document.$namespaces)) {
        if (!(prefix in this.namespaces)) this.namespaces[prefix] = iri;
      }
    }
  }
}

/** `#old` and `#old/...` → `#key`, `#key/...` in the fields that hold ids and sources. */
function renameIds(value: unknown, old: string, key: string, field?: string): unknown {
  if (typeof value === 'string') {
    if (field === undefined || !ID_FIELDS.has(field)) return value;
    if (value === `#${old}`) return `#${key}`;
    return value.startsWith(`#${old}/`) ? `#${key}${value.slice(old.length + 1)}` : value;
  }
  if (Array.isArray(value)) return value.map((item) => renameIds(item, old, key, field));
  if (!isRecord(value)) return value;
  const out: Fields = {};
  for (const [name, item] of Object.entries(value)) out[name] = renameIds(item, old, key, name);
  return out;
}
