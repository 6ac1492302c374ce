/**
 * The checks cwltool makes beyond the schema, done at submission so that a job never reaches a
 * worker only to fail validation there: versions, type names, extension classes, resource ranges,
 * JavaScript without InlineJavascriptRequirement, and a workflow's wiring (wiring.ts). Written
 * against unvalidated data in normal form so these problems are reported with the schema's.
 */
import {
  type CwlIssue,
  didYouMean,
  fromZodIssues,
  issueAt,
  type PathSegment,
  UNSUPPORTED_REQUIREMENT,
} from './errors.ts';
import { findJavascript } from './expressions.ts';
import { jobHintsIssues, type TaskInterface } from './job-hints.ts';
import { isCudaRequirement, isDeclared, isDiracJob, type Namespaces, prefixOf } from './namespaces.ts';
import { cudaRequirementSchema, PROCESS_CLASSES, STANDARD_REQUIREMENTS } from './schema.ts';
import { checkTypeNames, isRecord, type NamedTypes, withNamedTypes } from './types.ts';
import { CWL_VERSIONS, isCwlVersion } from './versions.ts';
import { checkWiring } from './wiring.ts';

export const CWL_VERSION = 'v1.2';

interface Scope {
  namespaces: Namespaces | undefined;
  named: NamedTypes;
  /** Requirement classes declared by the process or anything enclosing it, as requirement or hint. */
  classes: ReadonlySet<string>;
}

type Fields = Record<string, unknown>;
const fields = (value: unknown): Fields => (isRecord(value) ? value : {});

/** The root's class decides which schema applies, so a wrong class is reported on its own. */
export function classIssue(process: Fields, path: PathSegment[]): CwlIssue | undefined {
  const cls = process.class;
  const expected = `expected ${PROCESS_CLASSES.join(', ')}`;
  if (cls === undefined) return issueAt([...path, 'class'], `missing; ${expected}`);
  if (cls === 'Operation') return issueAt([...path, 'class'], 'an Operation is abstract and cannot be run');
  if (typeof cls !== 'string' || !(PROCESS_CLASSES as readonly string[]).includes(cls)) {
    return issueAt(
      [...path, 'class'],
      `unknown class ${JSON.stringify(cls)}${didYouMean(String(cls), PROCESS_CLASSES)}; ${expected}`,
    );
  }
  return undefined;
}

export function checkSemantics(process: Fields, path: PathSegment[]): CwlIssue[] {
  const issues: CwlIssue[] = [];
  const namespaces = isRecord(process.$namespaces) ? (process.$namespaces as Namespaces) : undefined;
  checkVersion(process.cwlVersion, [...path, 'cwlVersion'], true, issues);
  checkProcess(process, path, { namespaces, named: new Map(), classes: new Set() }, issues);
  return issues;
}

function checkVersion(version: unknown, path: PathSegment[], root: boolean, issues: CwlIssue[]): void {
  if (isCwlVersion(version) || (version === undefined && !root)) return;
  const accepted = CWL_VERSIONS.join(', ');
  if (version === undefined) {
    issues.push(issueAt(path, `missing; muon accepts CWL ${accepted} (write cwlVersion: ${CWL_VERSION})`));
  } else if (typeof version === 'string' && /^draft-/.test(version)) {
    issues.push(
      issueAt(
        path,
        `${version} is not supported: muon accepts CWL ${accepted}; upgrade the document with cwl-upgrader (cwl-upgrader <file>)`,
      ),
    );
  } else {
    issues.push(
      issueAt(
        path,
        `unsupported version ${JSON.stringify(version)}${didYouMean(String(version), CWL_VERSIONS)}; muon accepts CWL ${accepted}`,
      ),
    );
  }
}

function enter(outer: Scope, requirements: Fields, hints: Fields): Scope {
  let named = withNamedTypes(outer.named, fields(hints.SchemaDefRequirement).types);
  named = withNamedTypes(named, fields(requirements.SchemaDefRequirement).types);
  return {
    ...outer,
    named,
    classes: new Set([...outer.classes, ...Object.keys(requirements), ...Object.keys(hints)]),
  };
}

function checkProcess(process: unknown, path: PathSegment[], outer: Scope, issues: CwlIssue[]): void {
  if (!isRecord(process)) return;
  const requirements = fields(process.requirements);
  const hints = fields(process.hints);
  const scope = enter(outer, requirements, hints);
  if (path.length > 0 && path.at(-1) === 'run')
    checkVersion(process.cwlVersion, [...path, 'cwlVersion'], false, issues);
  checkClasses(requirements, hints, path, scope, process, issues);

  const types = fields(requirements.SchemaDefRequirement).types;
  if (Array.isArray(types)) {
    const at = [...path, 'requirements', 'SchemaDefRequirement', 'types'];
    for (const [index, type] of types.entries())
      checkTypeNames(type, [...at, index], { named: scope.named }, issues);
  }
  const isTool = process.class === 'CommandLineTool';
  for (const side of ['inputs', 'outputs'] as const) {
    const special = isTool ? (side === 'inputs' ? 'stdin' : 'stdout') : undefined;
    for (const [id, parameter] of Object.entries(fields(process[side]))) {
      if (!isRecord(parameter)) continue;
      checkTypeNames(parameter.type, [...path, side, id, 'type'], { named: scope.named, special }, issues);
    }
  }
  const stdinInputs = Object.entries(fields(process.inputs)).filter(([, p]) => fields(p).type === 'stdin');
  if (isTool && stdinInputs.length > 1) {
    issues.push(
      issueAt(
        [...path, 'inputs'],
        `only one input can be of type stdin (${stdinInputs.map(([id]) => id).join(', ')})`,
      ),
    );
  }
  if (!scope.classes.has('InlineJavascriptRequirement')) findJavascript(process, path, issues);
  if (process.class !== 'Workflow') return;
  checkWiring(process, path, scope.classes, issues, (step, at) => {
    const stepScope = enter(scope, fields(step.requirements), fields(step.hints));
    checkClasses(fields(step.requirements), fields(step.hints), at, stepScope, undefined, issues);
    if (!stepScope.classes.has('InlineJavascriptRequirement')) findJavascript(step, at, issues);
    checkProcess(step.run, [...at, 'run'], stepScope, issues);
    return stepScope.classes;
  });
}

/** Extension classes, CUDA and dirac:Job contents, and resource ranges. */
function checkClasses(
  requirements: Fields,
  hints: Fields,
  path: PathSegment[],
  scope: Scope,
  task: TaskInterface | undefined,
  issues: CwlIssue[],
): void {
  for (const [kind, entries] of [
    ['requirements', requirements],
    ['hints', hints],
  ] as const) {
    for (const [cls, value] of Object.entries(entries)) {
      const at = [...path, kind, cls];
      if (cls === 'ResourceRequirement') checkRanges(fields(value), at, issues);
      if (STANDARD_REQUIREMENTS.includes(cls)) continue;
      if (isCudaRequirement(cls, scope.namespaces)) {
        if (kind === 'requirements' && !isDeclared(cls, scope.namespaces)) {
          issues.push(
            issueAt(
              at,
              `declare the "${prefixOf(cls)}" prefix in $namespaces (http://commonwl.org/cwltool#)`,
            ),
          );
        }
        const parsed = cudaRequirementSchema.safeParse(value, { reportInput: true });
        if (!parsed.success) issues.push(...fromZodIssues(parsed.error.issues, at));
      } else if (isDiracJob(cls, scope.namespaces)) {
        if (kind === 'requirements') issues.push(issueAt(at, 'the dirac:Job hint belongs under hints'));
        else issues.push(...jobHintsIssues(value, at, task).issues);
      } else if (kind === 'requirements' && cls.includes(':')) {
        issues.push(
          issueAt(
            at,
            'unsupported requirement: muon runs the CWL v1.2 requirements and cwltool:CUDARequirement (move optional extensions to hints)',
            UNSUPPORTED_REQUIREMENT,
          ),
        );
      }
    }
  }
}

const RANGES = ['cores', 'ram', 'tmpdir', 'outdir'] as const;

function checkRanges(resources: Fields, path: PathSegment[], issues: CwlIssue[]): void {
  for (const resource of RANGES) {
    const min = resources[`${resource}Min`];
    const max = resources[`${resource}Max`];
    if (typeof min === 'number' && typeof max === 'number' && max < min) {
      issues.push(
        issueAt([...path, `${resource}Max`], `${resource}Max (${max}) is less than ${resource}Min (${min})`),
      );
    }
  }
}
