/**
 * Scheduling hints: the parts of a DIRAC job description that CWL cannot express, in the spirit of
 * dirac-cwl's proposed `dirac:Job` hint. Cores, memory, GPUs and containers are NOT here: they come
 * from the CWL requirements (requirements.ts), as dirac-cwl does.
 *
 * The hints travel inside the document (`hints: [{class: dirac:Job, ...}]`, the class written with
 * a declared prefix or as the expanded IRI) or beside it as a plain object; fields given beside win.
 * Names are camelCase like CWL's own fields; DiracX's snake_case spellings of the same fields
 * (`banned_sites`, `cpu_work`, `output_data[].output_path`, ...) are read as their muon names, and
 * JDL's PascalCase ones are rejected with the muon name to use.
 *
 * dirac-cwl's hints as written today, `dirac:Scheduling` (platform, priority, sites) and
 * `dirac:ExecutionHooks` (output_paths, output_sandbox, output_se), are read too and become the
 * same fields; a `dirac:Job` hint beside them wins field by field.
 */
import { type DiracHint, legacyHintsIssues } from './dirac-cwl-hints.ts';
import { type CwlIssue, CwlValidationError } from './errors.ts';
import { type JobHints, jobHintsIssues, sourceIssues } from './job-hints.ts';
import { diracHintName, type Namespaces } from './namespaces.ts';
import type { CwlTask } from './schema.ts';

export {
  inputSandboxKey,
  type JobHints,
  jobHintsSchema,
  type TaskInterface,
  withMuonNames,
} from './job-hints.ts';

/** The dirac: class a hint is (`Job`, `Scheduling`, `ExecutionHooks`), or undefined. */
function diracClass(cls: string, namespaces: Namespaces | undefined): DiracHint | undefined {
  const name = diracHintName(cls, namespaces);
  return name === 'Job' || name === 'Scheduling' || name === 'ExecutionHooks' ? name : undefined;
}

/** Parses hints given beside the document; throws CwlValidationError naming each bad field. */
export function parseJobHints(value: unknown, task?: CwlTask): JobHints {
  const { hints, issues } = jobHintsIssues(value, [], task);
  if (hints === undefined || issues.length > 0) throw new CwlValidationError('The scheduling hint', issues);
  return hints;
}

/**
 * The dirac: hints inside a validated task (`dirac:Job`, and dirac-cwl's `dirac:Scheduling` and
 * `dirac:ExecutionHooks`) as one set of muon fields, or undefined when it has none. `dirac:Job`
 * wins field by field. The task is not modified: the hints stay in the document and reach the job
 * wrapper's cwltool, which ignores hints it does not know.
 */
export function extractHints(task: CwlTask): JobHints | undefined {
  const found: Partial<Record<DiracHint, JobHints>> = {};
  const issues: CwlIssue[] = [];
  for (const [cls, value] of Object.entries(task.hints ?? {})) {
    const kind = diracClass(cls, task.$namespaces);
    if (kind === undefined) continue;
    const at = ['hints', cls];
    const read = kind === 'Job' ? jobHintsIssues(value, at) : legacyHintsIssues(kind, value, at);
    issues.push(...read.issues);
    if (read.hints) {
      found[kind] = read.hints;
      issues.push(...sourceIssues(read.hints, at, task));
    }
  }
  if (Object.keys(found).length === 0 && issues.length === 0) return undefined;
  const hints = { ...found.Scheduling, ...found.ExecutionHooks, ...mergeHints(undefined, found.Job) };
  if (issues.length > 0) throw new CwlValidationError('The dirac: hints', issues);
  return hints;
}

/** Field by field, the hints given beside the document override those inside it; lists are replaced, not joined. */
export function mergeHints(inDocument: JobHints | undefined, beside: JobHints | undefined): JobHints {
  const overrides = Object.fromEntries(
    Object.entries(beside ?? {}).filter(([, value]) => value !== undefined),
  );
  return { ...inDocument, ...overrides };
}

/** The effective hints of a submission: the task's own, overridden by the ones sent beside it. */
export function jobHintsFor(task: CwlTask, beside?: unknown): JobHints {
  const merged = mergeHints(extractHints(task), beside === undefined ? undefined : parseJobHints(beside));
  const issues = sourceIssues(merged, [], task);
  if (issues.length > 0) throw new CwlValidationError('The scheduling hint', issues);
  return merged;
}
