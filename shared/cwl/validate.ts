/**
 * Submission-time validation of CWL v1.2 tasks and their input objects, in process: cwltool cannot
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

/** A job order: input ids to values, as in cwltool's input YAML. */
export type CwlJobOrder = Record<string, unknown>;

/**
 * Validates a parsed CWL document (CommandLineTool, Workflow or ExpressionTool, plain or packed
 * with `$graph`) and returns it in normal form (see normalize.ts). The argument is not modified;
 * store and hash what the user sent, since that is what cwltool will run.
 */
export function validateCwl(document: unknown): CwlTask {
  const { process, root, issues: found, fatal } = normalizeDocument(document);
  const fail = (issues: CwlIssue[]): never => {
    throw new CwlValidationError('The CWL document', uniqueIssues(issues));
  };
  if (fatal || !isRecord(process)) return fail(found);
  const wrongClass = classIssue(process, root);
  if (wrongClass) return fail([...found, wrongClass]);

  const parsed = processSchema.safeParse(process, { reportInput: true });
  const later = [
    ...(parsed.success ? [] : fromZodIssues(parsed.error.issues, root)),
    ...checkSemantics(process, root),
  ];
  // A field that could not be put in normal form is reported once, not again by the checks after it.
  const covered = (issue: CwlIssue) =>
    found.some((earlier) => within(issue.path, earlier.path) || within(earlier.path, issue.path));
  const issues = [...found, ...later.filter((issue) => !covered(issue))];
  if (issues.length > 0 || !parsed.success) return fail(issues);
  return parsed.data as CwlTask;
}

const within = (path: string, ancestor: string): boolean =>
  path === ancestor || path.startsWith(`${ancestor}.`) || path.startsWith(`${ancestor}[`);

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
    if (key in task.inputs) continue;
    const list = known.length > 0 ? known.join(', ') : 'none';
    issues.push(issueAt([key], `unknown input${didYouMean(key, known)}; the task's inputs are: ${list}`));
  }
  if (issues.length > 0) throw new CwlValidationError('The input object', issues);
  return jobOrder;
}
