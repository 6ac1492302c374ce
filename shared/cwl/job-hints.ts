/**
 * muon's `dirac:Job` hint: its fields (jobHintsSchema, which is also the JobHints type), DiracX's
 * snake_case spellings read as muon's names, JDL's PascalCase ones refused with the muon name to
 * use, and the check that each `source` names a File input or output of the task.
 */
import { z } from 'zod';
import { metaKeySchema } from '#shared/catalog/query.ts';
import { type CwlIssue, closest, fromZodIssues, issueAt, type PathSegment } from './errors.ts';
import { holdsFiles, isRecord } from './types.ts';

export const name = z.string().trim().min(1);
/** A CWL input or output id of the task (dirac-cwl's `source:`). */
export const source = z.string().regex(/^[^\s/#]+$/, 'expected the id of a CWL input or output');
/** A DIRAC logical file name; the `LFN:` prefix is optional and removed. */
export const lfn = z
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

/** `{key: value}` catalog metadata: numbers, or strings (dates as ISO-8601). */
export const outputMetadataSchema = z.record(
  metaKeySchema,
  z.union([z.number().finite(), z.string().min(1).max(256)]),
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
  /** Catalog metadata of every output data file (`{run: 12, type: DST}`), set when it is registered. */
  outputMetadata: outputMetadataSchema.optional(),
});

export type JobHints = z.infer<typeof jobHintsSchema>;

const FIELDS = [...Object.keys(jobHintsSchema.shape), 'source', 'path', 'pattern', 'outputPath'];
/** JDL spellings that do not reduce to a muon field by case and underscores (looked up lower-cased too). */
const ALIASES: Record<string, string> = {
  site: 'sites',
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

/** DiracX's snake_case names (its `JobHint`) that are not muon's name with the underscores taken out. */
const DIRACX_NAMES: Record<string, string> = {
  cpu_work: 'cpuTime',
  type: 'jobType',
  group: 'jobGroup',
  output_se: 'outputSE',
};
/** DiracX fields muon accepts and has no use for: the job wrapper's log level is the pilot's. */
const IGNORED = new Set(['log_level']);
const camel = (key: string): string => key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** Renames DiracX's snake_case fields (also inside list entries) to muon's; a field given both ways is an issue. */
function muonNames(value: unknown, path: PathSegment[], issues: CwlIssue[]): unknown {
  if (Array.isArray(value)) return value.map((entry, i) => muonNames(entry, [...path, i], issues));
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  const given = new Map<string, string>();
  for (const [key, entry] of Object.entries(value)) {
    if (IGNORED.has(key)) continue;
    const renamed = DIRACX_NAMES[key] ?? (key.includes('_') ? camel(key) : key);
    const name = FIELDS.includes(renamed) ? renamed : key;
    const other = given.get(name);
    if (other !== undefined) {
      issues.push(issueAt([...path, key], `given twice (also as "${other}")`));
      continue;
    }
    given.set(name, key);
    out[name] = muonNames(entry, [...path, key], issues);
  }
  return out;
}

/** A hint object with DiracX's snake_case fields under muon's names, for readers of raw documents (the CLI's local files). */
export const withMuonNames = (value: unknown): unknown => muonNames(value, [], []);

/**
 * The key a raw hint object gives its input sandbox under, as written: DiracX's `input_sandbox`
 * when only that is there, else muon's `inputSandbox` (for readers that change the list in place).
 */
export const inputSandboxKey = (hint: Record<string, unknown>): 'inputSandbox' | 'input_sandbox' =>
  'input_sandbox' in hint && !('inputSandbox' in hint) ? 'input_sandbox' : 'inputSandbox';

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
  const renaming: CwlIssue[] = [];
  const parsed = jobHintsSchema.safeParse(muonNames(value, path, renaming), { reportInput: true });
  if (renaming.length > 0) return { issues: renaming };
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

export function sourceIssues(hints: JobHints, path: PathSegment[], task: TaskInterface): CwlIssue[] {
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
