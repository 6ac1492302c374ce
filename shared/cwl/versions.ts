/**
 * CWL v1.0 and v1.1 documents, which cwltool runs by upgrading them to v1.2 as it loads them
 * (cwltool/update.py). muon stores them as written and checks them the same way: upgraded in normal
 * form first, so what v1.2 dropped is not reported, then refused for what only v1.2 allows (a
 * document cwltool would reject against its own version's schema).
 */
import { type CwlIssue, issueAt, type PathSegment } from './errors.ts';
import { isRecord } from './types.ts';

export const CWL_VERSIONS = ['v1.0', 'v1.1', 'v1.2'] as const;
export type CwlVersion = (typeof CWL_VERSIONS)[number];

export const isCwlVersion = (value: unknown): value is CwlVersion =>
  typeof value === 'string' && (CWL_VERSIONS as readonly string[]).includes(value);

/** cwltool's own classes that v1.1 made standard (v1_0to1_1 in cwltool/update.py). */
export const RENAMED_IN_V1_1: Readonly<Record<string, string>> = {
  'cwltool:WorkReuse': 'WorkReuse',
  'http://commonwl.org/cwltool#WorkReuse': 'WorkReuse',
  'cwltool:TimeLimit': 'ToolTimeLimit',
  'http://commonwl.org/cwltool#TimeLimit': 'ToolTimeLimit',
  'cwltool:NetworkAccess': 'NetworkAccess',
  'http://commonwl.org/cwltool#NetworkAccess': 'NetworkAccess',
  'cwltool:InplaceUpdateRequirement': 'InplaceUpdateRequirement',
  'http://commonwl.org/cwltool#InplaceUpdateRequirement': 'InplaceUpdateRequirement',
  'cwltool:LoadListingRequirement': 'LoadListingRequirement',
  'http://commonwl.org/cwltool#LoadListingRequirement': 'LoadListingRequirement',
};

type Fields = Record<string, unknown>;
const fields = (value: unknown): Fields => (isRecord(value) ? value : {});

/**
 * A v1.0 or v1.1 process as cwltool sees it after upgrading, in normal form or as written (lists or
 * maps): v1.0's cwltool classes renamed, and the bindings v1.1 dropped from workflow inputs and
 * outputs removed. Not mutated.
 */
export function upgradeProcess(process: unknown, version: CwlVersion): unknown {
  if (!isRecord(process)) return process;
  const out: Fields = { ...process };
  if (version === 'v1.0') {
    for (const field of ['requirements', 'hints'] as const) {
      if (process[field] !== undefined) out[field] = renameClasses(process[field]);
    }
    if (process.class !== 'CommandLineTool') {
      out.inputs = mapEntries(process.inputs, (input) => {
        if (!isRecord(input) || !isRecord(input.inputBinding)) return input;
        const { loadContents } = input.inputBinding;
        return { ...input, inputBinding: loadContents === undefined ? {} : { loadContents } };
      });
      out.outputs = mapEntries(process.outputs, (output) => {
        if (!isRecord(output)) return output;
        const { outputBinding: _dropped, ...rest } = output;
        return rest;
      });
    }
  }
  if (process.class === 'Workflow' && process.steps !== undefined) {
    out.steps = mapEntries(process.steps, (step) =>
      isRecord(step) ? { ...step, run: upgradeProcess(step.run, versionOf(step.run, version)) } : step,
    );
  }
  return out;
}

/** Requirements or hints (a list of classes or a map by class) with v1.0's cwltool classes renamed. */
function renameClasses(requirements: unknown): unknown {
  if (Array.isArray(requirements)) {
    return requirements.map((entry) =>
      isRecord(entry) && typeof entry.class === 'string' && entry.class in RENAMED_IN_V1_1
        ? { ...entry, class: RENAMED_IN_V1_1[entry.class] }
        : entry,
    );
  }
  if (!isRecord(requirements)) return requirements;
  return Object.fromEntries(
    Object.entries(requirements).map(([cls, value]) => [RENAMED_IN_V1_1[cls] ?? cls, value]),
  );
}

/** A nested process's own version (a packed entry from an older file keeps it), else the enclosing one. */
const versionOf = (process: unknown, enclosing: CwlVersion): CwlVersion => {
  const own = isRecord(process) ? process.cwlVersion : undefined;
  return isCwlVersion(own) ? own : enclosing;
};

/** Each entry of a list, or each value of a map, through `fn`. */
export function mapEntries(value: unknown, fn: (item: unknown) => unknown): unknown {
  if (Array.isArray(value)) return value.map(fn);
  return isRecord(value)
    ? Object.fromEntries(Object.entries(value).map(([key, item]) => [key, fn(item)]))
    : value;
}

/** What a v1.0 or v1.1 document may not say, because only a later version allows it. */
export function versionIssues(process: unknown, version: CwlVersion, path: PathSegment[]): CwlIssue[] {
  const issues: CwlIssue[] = [];
  visit(fields(process), version, path, issues);
  return issues;
}

function visit(process: Fields, version: CwlVersion, path: PathSegment[], issues: CwlIssue[]): void {
  // v1.2 allows everything below; only the nested processes of older files are left to check.
  const older = version !== 'v1.2';
  const since = (what: string, first: CwlVersion) =>
    `${what} is CWL ${first} and later; this document is ${version} (change its cwlVersion, or cwl-upgrader it)`;
  const report = (at: PathSegment[], message: string) => {
    if (older) issues.push(issueAt(at, message));
  };
  for (const field of ['requirements', 'hints'] as const) {
    const resources = fields(fields(process[field]).ResourceRequirement);
    for (const [name, value] of Object.entries(resources)) {
      if (typeof value === 'number' && !Number.isInteger(value)) {
        report([...path, field, 'ResourceRequirement', name], since('a fractional value', 'v1.2'));
      }
    }
  }
  if (version === 'v1.0') {
    for (const side of ['inputs', 'outputs'] as const) {
      for (const [id, parameter] of Object.entries(fields(process[side]))) {
        const secondary = fields(parameter).secondaryFiles;
        const list = Array.isArray(secondary) ? secondary : [secondary];
        list.forEach((entry, index) => {
          if (!isRecord(entry)) return;
          const at = [...path, side, id, 'secondaryFiles', ...(Array.isArray(secondary) ? [index] : [])];
          report(at, since('a secondaryFiles pattern object', 'v1.1'));
        });
      }
    }
  }
  for (const [id, rawStep] of Object.entries(fields(process.steps))) {
    const step = fields(rawStep);
    const at = [...path, 'steps', id];
    if (step.when !== undefined) report([...at, 'when'], since('when', 'v1.2'));
    for (const [inputId, input] of Object.entries(fields(step.in))) {
      if (fields(input).pickValue !== undefined) {
        report([...at, 'in', inputId, 'pickValue'], since('pickValue', 'v1.2'));
      }
    }
    if (isRecord(step.run)) visit(step.run, versionOf(step.run, version), [...at, 'run'], issues);
  }
  for (const [id, output] of Object.entries(fields(process.outputs))) {
    if (fields(output).pickValue !== undefined) {
      report([...path, 'outputs', id, 'pickValue'], since('pickValue', 'v1.2'));
    }
  }
}
