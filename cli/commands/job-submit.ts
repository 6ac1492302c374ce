/**
 * `muon job submit`: a CWL task with input files (dirac-cwl's `job submit`), or JDL files
 * (DIRAC's `dirac-wms-job-submit`). Prints the new job ids, one per line.
 */
import { randomUUID } from 'node:crypto';
import type { InsertedJob, JobApi } from '#cli/commands/job-api.ts';
import {
  createSandboxUploader,
  maxJobsPerRequest,
  type PreparedSubmission,
  sendChunks,
} from '#cli/commands/job-bulk.ts';
import { planCwl } from '#cli/commands/job-submit-cwl.ts';
import { planJdl } from '#cli/commands/job-submit-jdl.ts';
import { CliError, USAGE } from '#cli/errors.ts';
import { createProgress, formatRows, noProgress, type Output, toJson } from '#cli/format.ts';

export interface SubmitOptions {
  inputFiles?: string[];
  hints?: string;
  jdl?: string[];
  idempotencyKey?: string;
  json?: boolean;
  verbose?: boolean;
}

export function planSubmission(workflow: string | undefined, options: SubmitOptions): PreparedSubmission {
  const usage = (message: string) => new CliError(message, USAGE);
  if (options.jdl) {
    if (workflow) throw usage(`Give either a CWL file or --jdl files, not both ("${workflow}").`);
    if (options.inputFiles || options.hints)
      throw usage('--input-files and --hints go with a CWL file, not --jdl.');
    return planJdl(options.jdl);
  }
  if (!workflow) {
    // `--input-files a.yaml task.cwl`: the list option took the task as one more input file.
    const swallowed = options.inputFiles?.find((file) => /\.cwl$/i.test(file));
    throw usage(
      swallowed
        ? `Put the CWL file before the options: muon job submit ${swallowed} --input-files ...`
        : 'Give a CWL file to submit (muon job submit workflow.cwl), or --jdl job.jdl.',
    );
  }
  if (/\.jdl$/i.test(workflow)) throw usage(`To submit a JDL, use --jdl: muon job submit --jdl ${workflow}`);
  return planCwl({
    workflowFile: workflow,
    inputFiles: options.inputFiles ?? [],
    ...(options.hints ? { hintsFile: options.hints } : {}),
  });
}

export async function submitJobs(
  connect: () => JobApi,
  workflow: string | undefined,
  options: SubmitOptions,
  out: Output = process.stdout,
  err: Output = process.stderr,
): Promise<void> {
  if (options.idempotencyKey !== undefined && options.idempotencyKey.trim() === '') {
    throw new CliError('--idempotency-key may not be empty.', USAGE);
  }
  const plan = planSubmission(workflow, options);
  const api = connect();
  const key = options.idempotencyKey
    ? { value: options.idempotencyKey, given: true }
    : { value: randomUUID(), given: false };
  // Only a bulk submission takes long enough to deserve a progress bar.
  const progress =
    plan.jobs > maxJobsPerRequest
      ? createProgress(err, plan.jobs, plan.uploads ? 'Uploading input sandboxes' : 'Preparing jobs')
      : noProgress;
  const submitted: InsertedJob[] = [];
  try {
    const chunks = await plan.prepare(createSandboxUploader(api.client), progress);
    progress.phase('Submitting jobs');
    await sendChunks(api, plan.path, chunks, key, progress, submitted);
  } finally {
    progress.end();
    // Also when a later request failed: the jobs that exist are worth knowing.
    if (submitted.length > 0) out.write(`${formatSubmitted(submitted, options, out)}\n`);
  }
}

function formatSubmitted(jobs: readonly InsertedJob[], options: SubmitOptions, out: Output): string {
  if (options.json) return toJson(jobs);
  if (!options.verbose) return jobs.map((job) => job.JobID).join('\n');
  return formatRows(
    out,
    ['JobID', 'Status', 'MinorStatus', 'TimeStamp'],
    jobs.map((job) => [job.JobID, job.Status, job.MinorStatus, job.TimeStamp]),
  );
}
