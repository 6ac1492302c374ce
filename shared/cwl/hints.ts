/**
 * Scheduling hints: the parts of a DIRAC job description that CWL cannot express, in the spirit of
 * dirac-cwl's proposed `dirac:Job` hint. Cores, memory, GPUs and containers are NOT here: they come
 * from the CWL requirements (requirements.ts), as dirac-cwl does.
 *
 * The hints travel inside the document (`hints: [{class: dirac:Job, ...}]`, the class written with
 * a declared prefix or as the expanded IRI) or beside it as a plain object; fields given beside win.
 * Names are camelCase like CWL's own fields; dirac-cwl's snake_case and JDL's PascalCase spellings
 * are rejected with the muon name to use.
 */
import { z } from 'zod';
import {
  type CwlIssue,
  CwlValidationError,
  closest,
  fromZodIssues,
  issueAt,
  type PathSegment,
} from './errors.ts';
import { isDiracJob } from './namespaces.ts';
import type { CwlTask } from './schema.ts';
import { holdsFiles, isRecord } from './types.ts';

const name = z.string().trim().min(1);
/** A CWL input or output id of the task (dirac-cwl's `source:`). */
const source = z.string().regex(/^[^\s/#]+$/, 'expected the id of a CWL input or output');
/** A DIRAC logical file name; the `LFN:` prefix is optional and removed. */
const lfn = z
  .string()
  .regex(/^(lfn:)?\/\S+$/i, 'expected a logical file name such as /vo/user/a/alice/file.root (LFN: optional)')
  .transform((value) => value.replace(/^lfn:/i, ''));
/** A file to ship: a path the client uploads, or a sandbox already in the store (`SB:<SE>|<path>`). */
const sandboxFile = z
  .string()
  .min(1)
  .refine(
    (value) => !/^sb:/i.test(value) || /^SB:[^|\s]+\|\S+$/.test(value),
    'a sandbox reference reads SB:<SE>|<path>',
  );

export const jobHintsSchema = z.strictObject({
  /** dirac-cwl versions its hint; muon understands 1.0. */
  schemaVersion: z.literal('1.0').optional(),
  /** DIRAC's user priority among the owner's own jobs, 0 (lowest) to 10. */
  priority: z
    .int('expected a whole number')
    .min(0, 'must be from 0 to 10')
    .max(10, 'must be from 0 to 10')
    .optional(),
  /** DIRAC's CPUTime: normalised CPU seconds the job needs (dirac-cwl's `cpu_work`). */
  cpuTime: z.int('expected whole seconds').positive('must be a positive number of seconds').optional(),
  platform: name.optional(),
  /** Run only at these sites (empty: anywhere), never at the banned ones. */
  sites: z.array(name).optional(),
  bannedSites: z.array(name).optional(),
  /** Extra tags a computing element must offer; GPU and processor tags come from requirements. */
  tags: z.array(name).optional(),
  /** DIRAC's JobType (User, MCSimulation, ...); the VO's configuration lists the allowed ones. */
  jobType: name.optional(),
  jobGroup: name.optional(),
  /** When absent, name the job after the CWL `label` or `id`, as dirac-cwl does. */
  jobName: name.optional(),
  /** Files delivered to the job's working directory; `{source}` names a File input of the task. */
  inputSandbox: z
    .array(z.union([sandboxFile, z.strictObject({ source, path: z.string().min(1).optional() })]))
    .optional(),
  /** LFNs the job reads: the matcher prefers sites holding replicas. `{source}` names a File input. */
  inputData: z.array(z.union([lfn, z.strictObject({ source })])).optional(),
  /** Files (names or globs in the working directory) or `{source}` outputs returned in the output sandbox. */
  outputSandbox: z.array(z.union([z.string().min(1), z.strictObject({ source })])).optional(),
  /** Outputs uploaded to storage and registered as `<outputPath>/<file name>`. */
  outputData: z
    .array(
      z
        .strictObject({
          source: source.optional(),
          pattern: z.string().min(1).optional(),
          outputPath: lfn,
          /** Overrides the hint's `outputSE` for this entry. */
          outputSE: z.array(name).min(1, 'name at least one storage element').optional(),
        })
        .refine((entry) => (entry.source === undefined) !== (entry.pattern === undefined), {
          message: 'give either "source" (a CWL output id) or "pattern" (a file glob), not both',
        }),
    )
    .optional(),
  /** Storage elements tried in order for output data. */
  outputSE: z.array(name).min(1, 'name at least one storage element').optional(),
});

export type JobHints = z.infer<typeof jobHintsSchema>;

const FIELDS = [...Object.keys(jobHintsSchema.shape), 'source', 'path', 'pattern', 'outputPath'];
/** dirac-cwl and JDL spellings that do not reduce to a muon field by case and underscores. */
const ALIASES: Record<string, string> = {
  cpu_work: 'cpuTime',
  type: 'jobType',
  group: 'jobGroup',
  site: 'sites',
  output_path: 'outputPath',
  lfn: 'outputPath',
};
const squash = (key: string): string => key.replace(/_/g, '').toLowerCase();

function unknownFieldMessage(key: string): string {
  const suggestion =
    ALIASES[key] ??
    ALIASES[key.toLowerCase()] ??
    FIELDS.find((field) => squash(field) === squash(key)) ??
    closest(key, FIELDS);
  return suggestion === undefined ? 'unknown field' : `unknown field (muon calls it "${suggestion}")`;
}

/** The parts of a task the hints may refer to; loose so that unvalidated documents can be checked. */
export interface TaskInterface {
  inputs?: unknown;
  outputs?: unknown;
}

/** Validates hints and, given the task, that every `source` names a file input or output of it. */
export function jobHintsIssues(
  value: unknown,
  path: PathSegment[],
  task?: TaskInterface,
): { hints?: JobHints; issues: CwlIssue[] } {
  const parsed = jobHintsSchema.safeParse(value, { reportInput: true });
  if (!parsed.success) {
    const issues = parsed.error.issues.flatMap((issue) =>
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((key) =>
            issueAt([...path, ...(issue.path as PathSegment[]), key], unknownFieldMessage(key)),
          )
        : fromZodIssues([issue], path),
    );
    return { issues };
  }
  const hints = parsed.data;
  return { hints, issues: task === undefined ? [] : sourceIssues(hints, path, task) };
}

function sourceIssues(hints: JobHints, path: PathSegment[], task: TaskInterface): CwlIssue[] {
  const issues: CwlIssue[] = [];
  const check = (
    field: keyof JobHints,
    entries: readonly unknown[] | undefined,
    side: 'inputs' | 'outputs',
  ) => {
    const parameters = isRecord(task[side]) ? task[side] : {};
    entries?.forEach((entry, index) => {
      if (!isRecord(entry) || typeof entry.source !== 'string') return;
      const parameter = parameters[entry.source];
      const at = [...path, field, index, 'source'];
      if (parameter === undefined) {
        const known = Object.keys(parameters).join(', ') || 'none';
        issues.push(issueAt(at, `"${entry.source}" is not one of the task's ${side} (${known})`));
      } else if (!isRecord(parameter) || !holdsFiles(parameter.type)) {
        issues.push(issueAt(at, `"${entry.source}" is not a File or Directory ${side.slice(0, -1)}`));
      }
    });
  };
  check('inputSandbox', hints.inputSandbox, 'inputs');
  check('inputData', hints.inputData, 'inputs');
  check('outputSandbox', hints.outputSandbox, 'outputs');
  check('outputData', hints.outputData, 'outputs');
  return issues;
}

/** Parses hints given beside the document; throws CwlValidationError naming each bad field. */
export function parseJobHints(value: unknown, task?: CwlTask): JobHints {
  const { hints, issues } = jobHintsIssues(value, [], task);
  if (hints === undefined || issues.length > 0) throw new CwlValidationError('The scheduling hints', issues);
  return hints;
}

/**
 * The `dirac:Job` hint inside a validated task, or undefined. The task is not modified: the hint
 * stays in the document and reaches the job wrapper's cwltool, which ignores hints it does not know.
 */
export function extractHints(task: CwlTask): JobHints | undefined {
  for (const [cls, value] of Object.entries(task.hints ?? {})) {
    if (!isDiracJob(cls, task.$namespaces)) continue;
    const { hints, issues } = jobHintsIssues(value, ['hints', cls], task);
    if (hints === undefined || issues.length > 0) throw new CwlValidationError('The dirac:Job hint', issues);
    return hints;
  }
  return undefined;
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
  if (issues.length > 0) throw new CwlValidationError('The scheduling hints', issues);
  return merged;
}
