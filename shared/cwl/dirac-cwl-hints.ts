/**
 * dirac-cwl's hints as written today, `dirac:Scheduling` (platform, priority, sites) and
 * `dirac:ExecutionHooks` (output_paths, output_sandbox, output_se), read as muon's `dirac:Job`
 * fields; the fields of a transformation are refused (muon submits jobs).
 */
import { z } from 'zod';
import { type CwlIssue, fromZodIssues, issueAt, type PathSegment } from './errors.ts';
import { type JobHints, jobHintsSchema, lfn, name, outputMetadataSchema, source } from './job-hints.ts';

const sourceList = z.array(source);
/** dirac-cwl's `dirac:Scheduling` (its SchedulingHint, no other fields allowed). */
const schedulingSchema = z.strictObject({
  platform: name.optional(),
  priority: jobHintsSchema.shape.priority,
  /** dirac-cwl also takes one string of comma-separated sites. */
  sites: z
    .union([
      z.array(name),
      z.string().transform((list) =>
        list
          .split(',')
          .map((site) => site.trim())
          .filter(Boolean),
      ),
    ])
    .optional(),
});
/** Fields of dirac-cwl's transformation hint: a job has no use for them, a transformation does. */
const TRANSFORMATION_FIELDS = ['group_size', 'input_data', 'input_query'];
/** dirac-cwl's `dirac:ExecutionHooks` (its ExecutionHooksHint): VO-specific fields are allowed. */
const executionHooksSchema = z.looseObject({
  /** The wrapper plugin and its parameters: muon's job wrapper runs the hooks of the pilot's configuration. */
  hook_plugin: z.string().optional(),
  configuration: z.record(z.string(), z.unknown()).optional(),
  /** `{output id: LFN directory}`: each file of the output is uploaded as `<LFN>/<file name>`. */
  output_paths: z.record(source, lfn).optional(),
  output_sandbox: sourceList.optional(),
  output_se: jobHintsSchema.shape.outputSE,
  /** Catalog metadata of the output data (muon's `outputMetadata`; camelCase accepted too). */
  output_metadata: outputMetadataSchema.optional(),
  outputMetadata: outputMetadataSchema.optional(),
});

/** The dirac: classes muon reads as hints. */
export type DiracHint = 'Job' | 'Scheduling' | 'ExecutionHooks';

/** A `dirac:Scheduling` or `dirac:ExecutionHooks` hint as muon's fields. */
export function legacyHintsIssues(
  kind: Exclude<DiracHint, 'Job'>,
  value: unknown,
  path: PathSegment[],
): { hints?: JobHints; issues: CwlIssue[] } {
  if (kind === 'Scheduling') {
    const parsed = schedulingSchema.safeParse(value, { reportInput: true });
    if (!parsed.success) return { issues: fromZodIssues(parsed.error.issues, path) };
    const { platform, priority, sites } = parsed.data;
    return {
      hints: {
        ...(platform !== undefined ? { platform } : {}),
        ...(priority !== undefined ? { priority } : {}),
        ...(sites !== undefined ? { sites } : {}),
      },
      issues: [],
    };
  }
  const parsed = executionHooksSchema.safeParse(value, { reportInput: true });
  if (!parsed.success) return { issues: fromZodIssues(parsed.error.issues, path) };
  const transformation = TRANSFORMATION_FIELDS.filter((field) => field in parsed.data);
  if (transformation.length > 0) {
    const message = 'belongs to a transformation (dirac-cwl transformation submit); muon submits jobs';
    return { issues: transformation.map((field) => issueAt([...path, field], message)) };
  }
  const { output_paths: paths, output_sandbox: sandbox, output_se: outputSE } = parsed.data;
  if (parsed.data.output_metadata && parsed.data.outputMetadata) {
    return { issues: [issueAt([...path, 'outputMetadata'], 'given twice (also as "output_metadata")')] };
  }
  const outputMetadata = parsed.data.output_metadata ?? parsed.data.outputMetadata;
  return {
    hints: {
      ...(paths !== undefined
        ? { outputData: Object.entries(paths).map(([id, outputPath]) => ({ source: id, outputPath })) }
        : {}),
      ...(sandbox !== undefined ? { outputSandbox: sandbox.map((id) => ({ source: id })) } : {}),
      ...(outputSE !== undefined ? { outputSE } : {}),
      ...(outputMetadata !== undefined ? { outputMetadata } : {}),
    },
    issues: [],
  };
}
