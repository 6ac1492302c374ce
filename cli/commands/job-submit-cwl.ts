/**
 * A CWL submission, as `dirac-cwl job submit` makes it: one job per input file (or one job without
 * inputs), the local Files and Directories of each job packed into one input sandbox per job, and
 * the local files of the `dirac:Job` hints into one sandbox for the whole submission.
 */
import { dirname } from 'node:path';
import { chunkUnits, type PreparedSubmission, uploadConcurrency } from '#cli/commands/job-bulk.ts';
import { CliError } from '#cli/errors.ts';
import {
  assertExist,
  documentJobHints,
  findLocalFiles,
  type LocalFileObject,
  type LocalHintEntry,
  localHintEntries,
  planSandbox,
  pointHintsToSandbox,
  pointToSandbox,
  readMapping,
} from '#cli/inputs.ts';
import { forEachLimited } from '#shared/concurrency.ts';
import { CwlValidationError, jobHintsFor, validateCwl, validateJobOrder } from '#shared/cwl/index.ts';

export interface CwlSubmission {
  readonly workflowFile: string;
  readonly inputFiles: readonly string[];
  readonly hintsFile?: string;
}

interface JobInputs {
  readonly order: Record<string, unknown>;
  readonly file: string;
  readonly locals: readonly LocalFileObject[];
}

/** Reads and checks every file before anything is uploaded; a problem names its file. */
export function planCwl(submission: CwlSubmission): PreparedSubmission {
  const { workflow, hints, hintGroups, jobs } = readCwlSubmission(submission);
  return {
    path: '/api/jobs',
    jobs: Math.max(1, jobs.length),
    uploads: hintGroups.length > 0 || jobs.some((job) => job.locals.length > 0),
    prepare: async (upload, progress) => {
      for (const { entries, document } of hintGroups) {
        const plan = planSandbox(
          entries.map((entry) => entry.path),
          dirname(document),
        );
        pointHintsToSandbox(entries, await upload(plan), plan);
      }
      await forEachLimited(jobs, uploadConcurrency, async ({ locals, file }) => {
        if (locals.length > 0) {
          const plan = planSandbox(
            locals.map((local) => local.path),
            dirname(file),
          );
          pointToSandbox(locals, await upload(plan), plan);
        }
        progress.advance(1);
      });
      const body = (inputs?: Record<string, unknown>[]) => ({
        workflow,
        ...(inputs ? { inputs } : {}),
        ...(hints ? { hints } : {}),
      });
      if (jobs.length === 0) return [{ body: body(), jobs: 1 }];
      return chunkUnits(jobs.map((job) => ({ value: job.order, jobs: 1 }))).map((orders) => ({
        body: body(orders),
        jobs: orders.length,
      }));
    },
  };
}

function readCwlSubmission(submission: CwlSubmission) {
  const { workflowFile, inputFiles, hintsFile } = submission;
  const workflow = readMapping(workflowFile, 'CWL document');
  const task = checked(workflowFile, () => validateCwl(workflow));
  const hints = hintsFile ? readMapping(hintsFile, 'hints') : undefined;
  if (hints && hintsFile) checked(hintsFile, () => jobHintsFor(task, hints));

  // Files named by the hints travel in one sandbox per document that names them.
  const hintGroups: { entries: LocalHintEntry[]; document: string }[] = [
    {
      document: workflowFile,
      entries: documentJobHints(workflow).flatMap((h) => localHintEntries(h, dirname(workflowFile), 'hints')),
    },
    ...(hints && hintsFile
      ? [{ document: hintsFile, entries: localHintEntries(hints, dirname(hintsFile), '') }]
      : []),
  ].filter((group) => group.entries.length > 0);
  for (const group of hintGroups) assertExist(group.entries, group.document);

  const jobs: JobInputs[] = inputFiles.map((file) => {
    const order = readMapping(file, 'input object');
    checked(file, () => validateJobOrder(task, order));
    const locals = findLocalFiles(order, dirname(file));
    assertExist(locals, file);
    return { order, file, locals };
  });
  return { workflow, hints, hintGroups, jobs };
}

/** Runs a local check; a CWL problem becomes an error naming the file and every issue. */
function checked<T>(file: string, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof CwlValidationError) throw new CliError(`${file}: ${error.message}`);
    throw error;
  }
}
