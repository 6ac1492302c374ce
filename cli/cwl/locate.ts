/**
 * Problems the validator finds in a packed document, told where the user wrote them: the validator
 * names fields in the packed, normal-form document (`$graph.main.steps.s1.in.x`), and this finds
 * the file, line and column they came from (`wf.cwl:14:7: steps.s1.in.x`), as cwltool reports.
 */
import { type CwlIssue, type CwlTask, CwlValidationError, validateCwl } from '#shared/cwl/index.ts';
import { isRecord, symbolName } from '#shared/cwl/types.ts';
import type { Origin } from './load.ts';
import type { PackedCwl } from './pack.ts';

/** validateCwl, with every problem located in the files it came from. */
export function validatePacked(packed: PackedCwl): CwlTask {
  try {
    const task = validateCwl(packed.checked);
    return packed.checked === packed.document ? task : validateCwl(packed.document);
  } catch (error) {
    if (!(error instanceof CwlValidationError)) throw error;
    throw new CwlValidationError(
      'The CWL document',
      error.issues.map((issue) => locateIssue(packed, issue)),
    );
  }
}

function locateIssue(packed: PackedCwl, issue: CwlIssue): CwlIssue {
  const graph = Array.isArray(packed.document.$graph);
  let key = graph ? undefined : 'main';
  let rest = issue.path === '(document)' ? '' : issue.path;
  if (graph) {
    for (const candidate of packed.entries.keys()) {
      const prefix = `$graph.${candidate}`;
      const matches = rest === prefix || rest.startsWith(`${prefix}.`) || rest.startsWith(`${prefix}[`);
      if (matches && (key === undefined || candidate.length > key.length)) key = candidate;
    }
    if (key !== undefined) rest = rest.slice(`$graph.${key}`.length).replace(/^\./, '');
  }
  const entry = key === undefined ? undefined : packed.entries.get(key);
  if (entry === undefined) return issue;
  const origin = descend(packed, entry.raw, entry.origin, segments(rest));
  const where = packed.loader.position(origin);
  return { ...issue, path: rest === '' ? where : `${where}: ${rest}` };
}

function segments(path: string): string[] {
  return path === '' ? [] : path.split(/\.|(?=\[)/).map((s) => (s.startsWith('[') ? s.slice(1, -1) : s));
}

/** Follows the normal-form path through the document as written; stops where it cannot follow. */
function descend(packed: PackedCwl, node: unknown, origin: Origin, rest: string[]): Origin {
  const file = packed.loader.importedFrom(node);
  const here: Origin = file === undefined ? origin : { file, path: [] };
  if (rest.length === 0) return here;
  // Ids may hold dots (`tool.cwl`), so the longest run of segments that names something wins.
  for (let length = rest.length; length >= 1; length--) {
    const name = rest.slice(0, length).join('.');
    const next = rest.slice(length);
    if (isRecord(node) && name in node) {
      const child = node[name];
      const runs = name === 'run' ? packed.runOf(node) : undefined;
      if (runs !== undefined) {
        const target = packed.entries.get(runs);
        if (target) return descend(packed, target.raw, target.origin, next);
      }
      return descend(packed, child, { file: here.file, path: [...here.path, name] }, next);
    }
    if (Array.isArray(node)) {
      const index = /^\d+$/.test(name)
        ? Number(name)
        : node.findIndex(
            (item) =>
              isRecord(item) &&
              [item.id, item.class, item.name].some((v) => typeof v === 'string' && symbolName(v) === name),
          );
      if (index >= 0 && index < node.length) {
        return descend(packed, node[index], { file: here.file, path: [...here.path, index] }, next);
      }
    }
  }
  return here;
}
