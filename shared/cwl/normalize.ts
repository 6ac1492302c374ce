/**
 * Normal form: one shape for the many ways CWL lets a document say the same thing, so the schema,
 * the checks and the scheduler read one structure and error paths name ids, not list positions.
 *
 * - `inputs`, `outputs`, `steps`, step `in`: maps keyed by id (list items keep their `id` as key);
 *   shorthand (`message: string`, `in: {x: src}`) becomes `{type: ...}` / `{source: ...}`.
 * - `requirements`, `hints`: maps keyed by class.
 * - step `out`: a list of ids; fully qualified ids and sources (`#main/step/out`) become short.
 * - `$graph` documents: the `#main` process, with `run: '#tool'` references replaced by the tool.
 *
 * Nothing is fetched: `$import`/`$include` of a file and `run: other.cwl` are reported (an
 * in-document `$import` of `#id`, as cwltool --pack writes, is resolved), because a submission
 * must be self-contained (the muon CLI packs documents before submitting them, as `cwltool --pack`
 * does; see cli/cwl/pack.ts). The input is never mutated.
 */
import { type CwlIssue, describeValue, issueAt, type PathSegment } from './errors.ts';
import { resolveLocalImports } from './local-imports.ts';
import { isRecord } from './types.ts';

export interface NormalizedDocument {
  process: unknown;
  /** Where the process sits in the document: `$graph.main` for a packed document. */
  root: PathSegment[];
  issues: CwlIssue[];
  /** The document could not be put in normal form; checking it further would only add noise. */
  fatal: boolean;
  /** Ids of the $graph processes that the process does not run (none outside a $graph). */
  unreached: string[];
}

const MAX_DEPTH = 64;
const PACK_HINT = 'submit it with the muon CLI, which packs it, or pack it with cwltool --pack';

const stripHash = (id: string): string => (id.startsWith('#') ? id.slice(1) : id);
/** `#main/step/out` → `out`: the last segment names a parameter within its parent. */
const shortId = (id: string): string => stripHash(id).slice(stripHash(id).lastIndexOf('/') + 1);

/** The document's process in normal form: its root, or the $graph entry `rootId` (default `#main`). */
export function normalizeDocument(given: unknown, rootId?: string): NormalizedDocument {
  const issues: CwlIssue[] = [];
  const document = resolveLocalImports(given);
  if (!isRecord(document)) {
    issues.push(issueAt([], `expected a CWL document (a mapping of fields), got ${describeValue(document)}`));
    return { process: document, root: [], issues, fatal: true, unreached: [] };
  }
  if (!scanDirectives(document, [], issues, 0))
    return { process: document, root: [], issues, fatal: true, unreached: [] };
  if (!('$graph' in document)) {
    return {
      process: new Normalizer(issues, new Map()).process(document, []),
      root: [],
      issues,
      fatal: false,
      unreached: [],
    };
  }

  const { $graph, cwlVersion, $namespaces, $schemas, ...rest } = document;
  for (const key of Object.keys(rest)) {
    if (!key.includes(':')) issues.push(issueAt([key], 'unknown field beside $graph'));
  }
  const graph = new Map<string, Record<string, unknown>>();
  if (!Array.isArray($graph)) {
    issues.push(issueAt(['$graph'], `expected a list of processes, got ${describeValue($graph)}`));
    return { process: document, root: [], issues, fatal: true, unreached: [] };
  }
  $graph.forEach((entry, index) => {
    if (!isRecord(entry) || typeof entry.id !== 'string') {
      issues.push(issueAt(['$graph', index], 'each $graph entry needs an "id"'));
    } else if (graph.has(stripHash(entry.id))) {
      issues.push(issueAt(['$graph', index, 'id'], `duplicate id "${entry.id}"`));
    } else {
      graph.set(stripHash(entry.id), entry);
    }
  });
  const main =
    rootId !== undefined
      ? graph.get(rootId)
      : (graph.get('main') ?? (graph.size === 1 ? [...graph.values()][0] : undefined));
  if (main === undefined) {
    issues.push(issueAt(['$graph'], 'no process with id "#main"'));
    return { process: document, root: [], issues, fatal: true, unreached: [] };
  }
  const process = { ...main, cwlVersion: main.cwlVersion ?? cwlVersion, $namespaces, $schemas };
  for (const key of ['cwlVersion', '$namespaces', '$schemas'] as const) {
    if (process[key] === undefined) delete process[key];
  }
  const root = ['$graph', stripHash(String(main.id))];
  const normalizer = new Normalizer(issues, graph);
  const normal = normalizer.process(process, root);
  const unreached = [...graph.keys()].filter(
    (id) => id !== stripHash(String(main.id)) && !normalizer.reached.has(id),
  );
  return { process: normal, root, issues, fatal: false, unreached };
}

/** Reports schema-salad directives that would read files or the network; false if too deep to walk. */
function scanDirectives(value: unknown, path: PathSegment[], issues: CwlIssue[], depth: number): boolean {
  if (depth > MAX_DEPTH) {
    issues.push(issueAt(path, `the document is nested more than ${MAX_DEPTH} levels deep`));
    return false;
  }
  if (Array.isArray(value))
    return value.every((item, index) => scanDirectives(item, [...path, index], issues, depth + 1));
  if (!isRecord(value)) return true;
  for (const [key, child] of Object.entries(value)) {
    if (key === '$import' && typeof child === 'string' && child.startsWith('#')) {
      // An in-document one left by resolveLocalImports: its target is missing or contains it.
      issues.push(issueAt([...path, key], `"${child}" names no object of this document that can stand here`));
    } else if (key === '$import' || key === '$include') {
      issues.push(issueAt([...path, key], `${key} is not supported in a submission; ${PACK_HINT}`));
    } else if (!scanDirectives(child, [...path, key], issues, depth + 1)) {
      return false;
    }
  }
  return true;
}

class Normalizer {
  /** Graph ids being inlined, to report `run` references that lead back to themselves. */
  private readonly inlining = new Set<string>();
  /** Graph ids inlined at least once. */
  readonly reached = new Set<string>();

  constructor(
    private readonly issues: CwlIssue[],
    private readonly graph: ReadonlyMap<string, Record<string, unknown>>,
  ) {}

  /**
   * `inlineScope`: the id an inline `run` has without one of its own (`main/step0/run`, its step's
   * id and `/run`, as cwltool --pack names its parameters and sources).
   */
  process(value: unknown, path: PathSegment[], inlineScope?: string): unknown {
    if (!isRecord(value)) return value;
    const out: Record<string, unknown> = { ...value };
    const scope =
      typeof value.id === 'string' && value.id.startsWith('#') ? stripHash(value.id) : inlineScope;
    for (const field of ['inputs', 'outputs'] as const) {
      if (field in value) out[field] = this.parameters(value[field], [...path, field], scope);
    }
    for (const field of ['requirements', 'hints'] as const) {
      if (field in value) out[field] = this.classMap(value[field], [...path, field]);
    }
    if (value.class === 'Workflow' && 'steps' in value) {
      const steps = this.idMap(value.steps, [...path, 'steps']);
      out.steps =
        steps &&
        mapValues(steps, (step, id) =>
          this.step(
            step,
            [...path, 'steps', id],
            scope,
            scope === undefined ? undefined : `${scope}/${id}/run`,
          ),
        );
    }
    return out;
  }

  private parameters(value: unknown, path: PathSegment[], scope: string | undefined): unknown {
    const entries = this.idMap(value, path, 'type');
    if (entries === undefined) return value;
    return mapValues(entries, (parameter) => {
      if (!isRecord(parameter) || parameter.outputSource === undefined) return parameter;
      return { ...parameter, outputSource: shortSources(parameter.outputSource, scope) };
    });
  }

  private step(
    value: unknown,
    path: PathSegment[],
    scope: string | undefined,
    runScope: string | undefined,
  ): unknown {
    if (!isRecord(value)) return value;
    const out: Record<string, unknown> = { ...value };
    if ('in' in value) {
      const inputs = this.idMap(value.in, [...path, 'in'], 'source');
      out.in = inputs
        ? mapValues(inputs, (input) =>
            isRecord(input) && input.source !== undefined
              ? { ...input, source: shortSources(input.source, scope) }
              : input,
          )
        : value.in;
    }
    if (Array.isArray(value.out)) {
      out.out = value.out.map((item) => {
        const id = isRecord(item) ? item.id : item;
        return typeof id === 'string' ? shortId(id) : item;
      });
    }
    if (typeof value.scatter === 'string') out.scatter = shortId(value.scatter);
    if (Array.isArray(value.scatter))
      out.scatter = value.scatter.map((s) => (typeof s === 'string' ? shortId(s) : s));
    for (const field of ['requirements', 'hints'] as const) {
      if (field in value) out[field] = this.classMap(value[field], [...path, field]);
    }
    out.run = this.run(value.run, [...path, 'run'], runScope);
    if (out.run === undefined) delete out.run;
    return out;
  }

  private run(value: unknown, path: PathSegment[], inlineScope: string | undefined): unknown {
    if (typeof value !== 'string') return this.process(value, path, inlineScope);
    const target = value.startsWith('#') ? this.graph.get(stripHash(value)) : undefined;
    if (target === undefined) {
      const where = value.startsWith('#')
        ? 'no process with that id in $graph'
        : 'external documents are not fetched';
      this.issues.push(issueAt(path, `cannot resolve "${value}": ${where}; ${PACK_HINT}`));
      return value;
    }
    const key = stripHash(value);
    if (this.inlining.has(key)) {
      this.issues.push(issueAt(path, `"${value}" runs itself (a process cannot contain itself)`));
      return value;
    }
    this.inlining.add(key);
    this.reached.add(key);
    const process = this.process(target, path);
    this.inlining.delete(key);
    return process;
  }

  /** Requirements and hints as `{Class: {...fields}}`. */
  private classMap(value: unknown, path: PathSegment[]): unknown {
    if (isRecord(value)) return mapValues(value, (fields) => (fields === null ? {} : fields));
    if (!Array.isArray(value)) return value;
    const out: Record<string, unknown> = {};
    value.forEach((item, index) => {
      if (!isRecord(item) || typeof item.class !== 'string') {
        this.issues.push(issueAt([...path, index], 'each entry needs a "class"'));
        return;
      }
      // cwltool --pack keeps the `id` of a requirement it imported (`#schemadef-type.yml`).
      const { class: cls, id: _id, ...fields } = item;
      if (cls in out)
        this.issues.push(issueAt([...path, cls], 'listed more than once (the first one is checked)'));
      else out[cls] = fields;
    });
    return out;
  }

  /**
   * A list of `{id, ...}` or a map `{id: ...}` as a map keyed by short id. With a `predicate`,
   * a value that is not a mapping is shorthand for `{[predicate]: value}`.
   */
  private idMap(
    value: unknown,
    path: PathSegment[],
    predicate?: string,
  ): Record<string, unknown> | undefined {
    // The key is the id, so an `id` repeated inside the entry is dropped.
    const expand = (item: unknown): unknown => {
      if (!isRecord(item)) return predicate ? { [predicate]: item } : item;
      const { id: _id, ...rest } = item;
      return rest;
    };
    if (isRecord(value)) {
      const out: Record<string, unknown> = {};
      for (const [id, item] of Object.entries(value)) out[shortId(id)] = expand(item);
      return out;
    }
    if (!Array.isArray(value)) return undefined;
    const out: Record<string, unknown> = {};
    value.forEach((item, index) => {
      if (!isRecord(item) || typeof item.id !== 'string') {
        this.issues.push(issueAt([...path, index], 'each entry of the list needs an "id"'));
        return;
      }
      const key = shortId(item.id);
      if (key in out) this.issues.push(issueAt([...path, key], 'duplicate id (the first one is checked)'));
      else out[key] = expand(item);
    });
    return out;
  }
}

function mapValues(
  record: Record<string, unknown>,
  fn: (value: unknown, key: string) => unknown,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) out[key] = fn(value, key);
  return out;
}

/** `#main/step/out` → `step/out` and `#main/x` → `x` within the process `#main`. */
function shortSources(value: unknown, scope: string | undefined): unknown {
  const short = (source: unknown): unknown => {
    if (typeof source !== 'string' || !source.startsWith('#')) return source;
    const id = stripHash(source);
    return scope !== undefined && id.startsWith(`${scope}/`) ? id.slice(scope.length + 1) : id;
  };
  return Array.isArray(value) ? value.map(short) : short(value);
}
