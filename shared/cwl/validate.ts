/**
 * Submission-time validation of CWL tasks (v1.2, and v1.0 and v1.1 as cwltool upgrades them) and their input objects, in process: cwltool cannot
 * run inside a Lambda, and cwl-ts-auto (the schema-salad parser for TypeScript) accepts unknown
 * type names, any cwlVersion and dangling sources, reports failures as pages of union alternatives,
 * and reads `$include`d files. Normal form: normalize.ts; structure: schema.ts; meaning:
 * semantics.ts and wiring.ts.
 */
import {
  type CwlIssue,
  CwlValidationError,
  didYouMean,
  fromZodIssues,
  issueAt,
  uniqueIssues,
} from './errors.ts';
import { normalizeDocument } from './normalize.ts';
import { type CwlTask, processSchema } from './schema.ts';
import { checkSemantics, classIssue } from './semantics.ts';
import { describeType, isOptional, isRecord, withNamedTypes } from './types.ts';
import { checkValue } from './values.ts';
import { isCwlVersion, upgradeProcess, versionIssues } from './versions.ts';

/** A job order: input ids to values, as in cwltool's input YAML. */
export type CwlJobOrder = Record<string, unknown>;

/**
 * Validates a parsed CWL document (CommandLineTool, Workflow or ExpressionTool, plain or packed
 * with `$graph`) and returns it in normal form (see normalize.ts). The argument is not modified;
 * store and hash what the user sent, since that is what cwltool will run.
 */
export function validateCwl(document: unknown): CwlTask {
  const main = checkProcess(document);
  const issues = [...main.issues];
  // cwltool checks every process of a $graph, run or not; those #main reaches were checked with it.
  for (const id of main.unreached) issues.push(...checkProcess(document, id).issues);
  if (issues.length > 0 || main.task === undefined) {
    throw new CwlValidationError('The CWL document', uniqueIssues(issues));
  }
  return main.task;
}

interface Checked {
  task?: CwlTask;
  issues: CwlIssue[];
  /** Processes of the $graph that the checked one does not run. */
  unreached: string[];
}

/** Checks one process of the document: its root, or the $graph entry `rootId`. */
function checkProcess(document: unknown, rootId?: string): Checked {
  const normalized = normalizeDocument(document, rootId);
  const { root, issues: found, fatal, unreached } = normalized;
  const version = isRecord(normalized.process) ? normalized.process.cwlVersion : undefined;
  // v1.0 and v1.1 are checked as cwltool runs them: upgraded to v1.2 (see versions.ts).
  const process = upgradeProcess(normalized.process, isCwlVersion(version) ? version : 'v1.2');
  if (fatal || !isRecord(process)) return { issues: found, unreached };
  const wrongClass = classIssue(process, root);
  if (wrongClass) return { issues: [...found, wrongClass], unreached };

  const parsed = processSchema.safeParse(process, { reportInput: true });
  const later = [
    ...(parsed.success ? [] : fromZodIssues(parsed.error.issues, root)),
    ...checkSemantics(process, root),
    ...versionIssues(process, isCwlVersion(version) ? version : 'v1.2', root),
  ];
  // A field that could not be put in normal form is reported once, not again by the checks after it.
  const covered = (issue: CwlIssue) =>
    found.some((earlier) => within(issue.path, earlier.path) || within(earlier.path, issue.path));
  const issues = [...found, ...later.filter((issue) => !covered(issue))];
  return parsed.success ? { task: parsed.data as CwlTask, issues, unreached } : { issues, unreached };
}

const within = (path: string, ancestor: string): boolean =>
  path === ancestor || path.startsWith(`${ancestor}.`) || path.startsWith(`${ancestor}[`);

/** Namespaced keys (`cwl:requirements`) and `$` directives of an input object are cwltool's, not inputs. */
export const isJobOrderDirective = (key: string): boolean => key.includes(':') || key.startsWith('$');

/**
 * Checks an input object against the task's inputs: every required input is given, every value
 * has its input's type (Files and Directories with `class` and a `location`, `path` or literal
 * contents), and nothing unknown is given. Problems are named by input id (`files[1].class`).
 */
export function validateJobOrder(task: CwlTask, jobOrder: unknown): CwlJobOrder {
  if (!isRecord(jobOrder)) {
    throw new CwlValidationError('The input object', [
      issueAt([], 'expected a mapping of input ids to values'),
    ]);
  }
  let named = withNamedTypes(new Map(), task.hints?.SchemaDefRequirement?.types);
  named = withNamedTypes(named, task.requirements?.SchemaDefRequirement?.types);
  const issues: CwlIssue[] = [];
  for (const [id, parameter] of Object.entries(task.inputs)) {
    const value = jobOrder[id];
    // A missing or null value takes the default, as in cwltool.
    if ((value === undefined || value === null) && parameter.default !== undefined) continue;
    if (value === undefined) {
      if (!isOptional(parameter.type)) {
        issues.push(issueAt([id], `required input is missing (type ${describeType(parameter.type)})`));
      }
      continue;
    }
    checkValue(value, parameter.type, named, [id], issues);
  }
  const known = Object.keys(task.inputs);
  for (const key of Object.keys(jobOrder)) {
    if (key in task.inputs || isJobOrderDirective(key)) continue;
    const list = known.length > 0 ? known.join(', ') : 'none';
    issues.push(issueAt([key], `unknown input${didYouMean(key, known)}; the task's inputs are: ${list}`));
  }
  if (issues.length > 0) throw new CwlValidationError('The input object', issues);
  return jobOrder;
}
