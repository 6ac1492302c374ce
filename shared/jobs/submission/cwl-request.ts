/**
 * The body of `POST /api/jobs`: one CWL task, a list of input sets (one job each) and scheduling
 * hints beside the document. The task is validated in process; each job's scheduling comes from
 * its `dirac:Job` hints and its CWL ResourceRequirement / CUDARequirement.
 */
import { z } from 'zod';
import {
  type CwlTask,
  CwlValidationError,
  canonicalWorkflow,
  DEFAULT_RAM_MB,
  extractRequirements,
  type JobHints,
  jobHintsFor,
  validateCwl,
  validateJobOrder,
} from '#shared/cwl/index.ts';
import { MuonError } from '#shared/errors.ts';
import type { DraftDescription, DraftJob } from '#shared/jobs/submission/checks.ts';
import { SubmissionProblems } from '#shared/jobs/submission/checks.ts';
import type { SubmissionRequest } from '#shared/jobs/submission/submit.ts';
import { stringifyJson } from '#shared/json.ts';

export const cwlSubmissionSchema = z.strictObject({
  /** The CWL document (CommandLineTool, Workflow or ExpressionTool), unmodified, as JSON. */
  workflow: z.record(z.string(), z.unknown()),
  /** One CWL input object (job order) per job; absent means one job with no inputs. */
  inputs: z.array(z.record(z.string(), z.unknown())).min(1).optional(),
  /** Scheduling hints beside the document; they override the document's own `dirac:Job` hint. */
  hints: z.record(z.string(), z.unknown()).optional(),
});
export type CwlSubmission = z.infer<typeof cwlSubmissionSchema>;

export interface CwlRequest extends SubmissionRequest {
  readonly workflow: { readonly id: string; readonly json: string };
}

/** Validates the task and reads one draft per input set; throws CwlValidationError for a bad task. */
export function cwlSubmission(body: CwlSubmission, idempotencyKey: string | undefined): CwlRequest {
  const task = validateCwl(body.workflow);
  const hints = jobHintsFor(task, body.hints);
  const resources = extractRequirements(task);
  const workflow = canonicalWorkflow(body.workflow);
  const problems = new SubmissionProblems();
  const drafts: DraftJob[] = [];
  (body.inputs ?? [{}]).forEach((input, index) => {
    const where = `inputs[${index}]`;
    try {
      validateJobOrder(task, input);
    } catch (error) {
      if (!(error instanceof MuonError)) throw error;
      const issues =
        error instanceof CwlValidationError
          ? error.issues.map((i) => `${i.path}: ${i.message}`)
          : [error.message];
      for (const issue of issues) problems.add(where, issue);
      return;
    }
    drafts.push({ where, description: describe(task, hints, resources, workflow.id, input) });
  });
  return {
    drafts,
    problems,
    workflow,
    canonical: stringifyJson(['cwl', workflow.id, body.inputs ?? [], body.hints ?? null]),
    ...(idempotencyKey ? { idempotencyKey } : {}),
  };
}

function describe(
  task: CwlTask,
  hints: JobHints,
  resources: ReturnType<typeof extractRequirements>,
  workflowId: string,
  inputs: Record<string, unknown>,
): DraftDescription {
  const files = fileLocations(inputs);
  const sourced = (entries: readonly (string | { source: string })[] | undefined) =>
    (entries ?? []).flatMap((entry) =>
      typeof entry === 'string' ? [entry] : fileLocations({ x: inputs[entry.source] }),
    );
  return {
    kind: 'cwl',
    workflowId,
    inputs,
    jobName: hints.jobName ?? task.label ?? shortId(task.id) ?? 'cwl',
    ...(hints.jobType ? { jobType: hints.jobType } : {}),
    ...(hints.jobGroup ? { jobGroup: hints.jobGroup } : {}),
    ...(hints.priority !== undefined ? { priority: hints.priority } : {}),
    ...(hints.cpuTime !== undefined ? { cpuTime: hints.cpuTime } : {}),
    ...(hints.platform ? { platform: hints.platform } : {}),
    sites: hints.sites ?? [],
    bannedSites: hints.bannedSites ?? [],
    tags: hints.tags ?? [],
    minProcessors: resources.cores,
    ...(resources.coresMax !== undefined && resources.coresMax > resources.cores
      ? { maxProcessors: resources.coresMax }
      : {}),
    // CWL's default RAM (256 MiB) is no requirement; only a larger ramMin asks for memory.
    ...(resources.ramMb > DEFAULT_RAM_MB ? { maxRamMb: resources.ramMb } : {}),
    gpus: resources.gpu ? Math.max(1, resources.gpuCount) : 0,
    inputSandbox: sandboxesOf([...sourced(hints.inputSandbox), ...files.filter((f) => /^SB:/i.test(f))]),
    inputData: [...sourced(hints.inputData), ...files.filter((f) => /^LFN:/i.test(f))].map((lfn) =>
      lfn.replace(/^LFN:/i, ''),
    ),
    outputSandbox: (hints.outputSandbox ?? []).map((entry) =>
      typeof entry === 'string' ? entry : entry.source,
    ),
    outputData: (hints.outputData ?? []).map((entry) => JSON.stringify(entry)),
    outputSE: hints.outputSE ?? [],
    ...(hints.outputMetadata ? { outputMetadata: hints.outputMetadata } : {}),
  };
}

/** `location` (or `path`) of every File and Directory object in a CWL input object. */
function fileLocations(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(fileLocations);
  if (typeof value !== 'object' || value === null) return [];
  const record = value as Record<string, unknown>;
  if (record.class === 'File' || record.class === 'Directory') {
    const location = record.location ?? record.path;
    // A Directory literal's listing names files of its own (shipped in the sandbox too).
    const nested = [...fileLocations(record.secondaryFiles ?? []), ...fileLocations(record.listing ?? [])];
    return typeof location === 'string' ? [location, ...nested] : nested;
  }
  return Object.values(record).flatMap(fileLocations);
}

/** A File may name a file inside a sandbox (`SB:<SE>|<pfn>#<path in the archive>`): the job's input sandbox is the archive, named once. */
const sandboxesOf = (entries: readonly string[]): string[] => [
  ...new Set(entries.map((entry) => (/^SB:/i.test(entry) ? entry.replace(/#.*$/, '') : entry))),
];

const shortId = (id: string | undefined) => id?.replace(/^.*[#/]/, '') || undefined;
