/**
 * A CWL submission, as `dirac-cwl job submit` makes it: one job per input file (or one job without
 * inputs), the local Files and Directories of each job packed into one input sandbox per job, and
 * the local files of the `dirac:Job` hints into one sandbox for the whole submission.
 */
import { dirname } from 'node:path';
import { chunkUnits, type PreparedSubmission, uploadConcurrency } from '#cli/commands/job-bulk.ts';
import { validatePacked } from '#cli/cwl/locate.ts';
import { packCwl } from '#cli/cwl/pack.ts';
import { collectDocumentFiles, type DocumentFile, inputSecondaryFiles } from '#cli/cwl-files.ts';
import { CliError, USAGE } from '#cli/errors.ts';
import {
  assertExist,
  documentJobHints,
  findLocalFiles,
  knownInputs,
  type LocalEntry,
  type LocalFileObject,
  type LocalHintEntry,
  localHintEntries,
  planSandbox,
  pointHintsToSandbox,
  pointToSandbox,
  readMapping,
} from '#cli/inputs.ts';
import { forEachLimited } from '#shared/concurrency.ts';
import {
  CwlValidationError,
  formatIssues,
  inputSandboxKey,
  jobHintsFor,
  validateJobOrder,
  withMuonNames,
} from '#shared/cwl/index.ts';

export interface CwlSubmission {
  readonly workflowFile: string;
  readonly inputFiles: readonly string[];
  readonly hintsFile?: string;
  /** Where warnings go (an ignored input, a missing default file); default: stderr. */
  readonly warn?: (line: string) => void;
}

interface JobInputs {
  readonly order: Record<string, unknown>;
  readonly file: string;
  readonly locals: readonly LocalFileObject[];
  /** Secondary files the tool's patterns imply: shipped beside their primary, not rewritten. */
  readonly secondaries: readonly LocalEntry[];
}

/** Reads and checks every file before anything is uploaded; a problem names its file. */
export function planCwl(submission: CwlSubmission): PreparedSubmission {
  const { workflow, hintGroups, jobs, ...read } = readCwlSubmission(submission);
  let { hints } = read;
  if (jobs.length === 0) checkWithoutInputs(submission.workflowFile, read.task);
  return {
    path: '/api/jobs',
    jobs: Math.max(1, jobs.length),
    uploads: hintGroups.length > 0 || jobs.some((job) => job.locals.length + job.secondaries.length > 0),
    prepare: async (upload, progress) => {
      for (const { entries, files, document } of hintGroups) {
        const plan = planSandbox(
          [...entries, ...files].map((entry) => entry.path),
          dirname(document),
        );
        const reference = await upload(plan);
        pointHintsToSandbox(entries, reference, plan);
        // The document's own files are unpacked into the job directory, beside job.cwl.
        for (const file of files) file.point(plan.archivePath(file.path));
        if (files.length > 0) hints = withSandbox(workflow, hints, reference);
      }
      await forEachLimited(jobs, uploadConcurrency, async ({ locals, secondaries, file }) => {
        if (locals.length + secondaries.length > 0) {
          const plan = planSandbox(
            [...locals, ...secondaries].map((local) => local.path),
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
      return chunkUnits(jobs.map((job) => ({ value: job, jobs: 1 }))).map((chunk) => ({
        body: body(chunk.map((job) => job.order)),
        jobs: chunk.length,
        // The job made from the file: a refusal may come from the document or the hints, not the file.
        sources: chunk.map((job) => `the job of ${job.file}`),
      }));
    },
  };
}

function readCwlSubmission(submission: CwlSubmission) {
  const { workflowFile, inputFiles, hintsFile } = submission;
  const warn = submission.warn ?? ((line: string) => process.stderr.write(`${line}\n`));
  const packed = packCwl(workflowFile);
  const workflow = packed.document;
  const task = checked(workflowFile, () => validatePacked(packed));
  const given = hintsFile ? readMapping(hintsFile, 'hints') : undefined;
  // Every dirac: hint, inside the document or beside it, is checked before anything is uploaded.
  checked(hintsFile ?? workflowFile, () => jobHintsFor(task, given));
  // Read under muon's names, so that DiracX's `input_sandbox` is uploaded and added to like ours.
  const hints = given && (withMuonNames(given) as Record<string, unknown>);

  // The files the document names travel with the files of its hints; a missing one is left to
  // cwltool, which warns about a missing default.
  const documentFiles = collectDocumentFiles(workflow, dirname(workflowFile));
  for (const file of documentFiles.missing) {
    warn(`${workflowFile}: ${file.at}: ${file.path} does not exist; it is not shipped.`);
  }
  // Files named by the hints travel in one sandbox per document that names them.
  const hintGroups: { entries: LocalHintEntry[]; files: DocumentFile[]; document: string }[] = [
    {
      document: workflowFile,
      entries: documentJobHints(workflow).flatMap((h) => localHintEntries(h, dirname(workflowFile), 'hints')),
      files: [...documentFiles.files],
    },
    ...(hints && hintsFile
      ? [{ document: hintsFile, entries: localHintEntries(hints, dirname(hintsFile), ''), files: [] }]
      : []),
  ].filter((group) => group.entries.length + group.files.length > 0);
  for (const group of hintGroups) assertExist(group.entries, group.document);

  const jobs: JobInputs[] = inputFiles.map((file) => {
    const read = knownInputs(readMapping(file, 'input object'), Object.keys(task.inputs));
    for (const key of read.ignored) warn(`${file}: ${key}: not an input of the task; ignored.`);
    const { order } = read;
    checked(file, () => validateJobOrder(task, order));
    const locals = findLocalFiles(order, dirname(file));
    const secondaries = inputSecondaryFiles(workflow, order, dirname(file));
    assertExist(locals, file);
    assertExist(secondaries, file);
    return { order, file, locals, secondaries };
  });
  return { workflow, task, hints, hintGroups, jobs };
}

/**
 * Without --input-files one job is sent with no inputs: a task that needs some is refused here, as
 * the API would refuse it, with what to give instead of the API's answer.
 */
function checkWithoutInputs(workflowFile: string, task: Parameters<typeof validateJobOrder>[0]): void {
  try {
    validateJobOrder(task, {});
  } catch (error) {
    if (!(error instanceof CwlValidationError)) throw error;
    throw new CliError(
      `${workflowFile} needs inputs: give them in an input object (--input-files inputs.yaml):\n${formatIssues(error.issues)}`,
      USAGE,
      { cause: error },
    );
  }
}

/**
 * The hints with `reference` among the job's input sandbox. Hints sent beside the document replace
 * its own `inputSandbox`, so the reference goes where it counts: beside, else into the document's
 * `dirac:Job` hints that have an input sandbox, else into new hints beside.
 */
function withSandbox(
  workflow: Record<string, unknown>,
  hints: Record<string, unknown> | undefined,
  reference: string,
): Record<string, unknown> | undefined {
  const add = (list: unknown[]) => {
    if (!list.some((entry) => typeof entry === 'string' && entry.replace(/#.*$/, '') === reference)) {
      list.push(reference);
    }
  };
  if (hints && Array.isArray(hints.inputSandbox)) {
    add(hints.inputSandbox);
    return hints;
  }
  const inDocument = documentJobHints(workflow).flatMap((hint) => {
    const list = hint[inputSandboxKey(hint)];
    return Array.isArray(list) ? [list] : [];
  });
  for (const list of inDocument) add(list);
  return inDocument.length > 0 ? hints : { ...hints, inputSandbox: [reference] };
}

/**
 * Runs a local check; a CWL problem becomes an error naming the file and every issue. It exits with
 * 1, as the API's refusal of the same content would (and as transformations and productions do).
 */
function checked<T>(file: string, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof CwlValidationError)
      throw new CliError(`${file}: ${error.message}`, 1, { cause: error });
    throw error;
  }
}
