/**
 * The job wrapper's input steps (DIRAC's transferInputSandbox and resolveInputData): the input
 * sandbox ("Downloading InputSandbox"), then the input data ("Input Data Resolution"), then for a
 * CWL job `job.cwl` and `inputs.json` with every input File pointed at its local copy.
 */
import type { JobApi, MatchedJob, StatusUpdate } from '#pilot/api.ts';
import { minorStatus } from '#shared/jobs/status.ts';
import type { Logger } from '#shared/log.ts';
import { inputLfns, localInputs, writeCwlJob } from './cwl.ts';
import { failedStep, JobStepError } from './errors.ts';
import { downloadInputData } from './input-data.ts';
import { downloadInputSandboxes, inputSandboxEntries } from './input-sandbox.ts';
import { createSandboxUnpacker } from './safe-tar.ts';
import { type JobPaths, privateDirName } from './workdir.ts';

export interface InputsInput {
  /** The job's own API (its payload token). */
  readonly api: JobApi;
  readonly job: MatchedJob;
  readonly paths: JobPaths;
  readonly logger: Logger;
  readonly report: (update: StatusUpdate) => void;
  /** Throws when the job must stop. */
  readonly checkpoint: () => void;
}

/** Brings the inputs into the job directory; returns cwltool's document argument for a CWL job. */
export async function prepareInputs(input: InputsInput): Promise<string | undefined> {
  const { api, job, paths, report } = input;
  const sandbox = inputSandboxEntries(job, input.logger);
  if (sandbox.sandboxes.length + sandbox.lfns.length > 0) {
    report({ MinorStatus: minorStatus.downloadingInputSandbox });
    const unpacker = createSandboxUnpacker(paths.root, [privateDirName]);
    await downloadInputSandboxes(api, sandbox.sandboxes, paths, unpacker);
    if (sandbox.lfns.length > 0) {
      report({ MinorStatus: `${minorStatus.downloadingInputSandbox} LFN(s)` });
      // The input data step's own failure is relabelled: these LFNs are part of the input sandbox.
      await downloadInputData(api, sandbox.lfns, paths).catch((error: unknown) => {
        throw error instanceof JobStepError
          ? new JobStepError(minorStatus.inputSandboxDownloadFailed, error.message, { cause: error })
          : failedStep(minorStatus.inputSandboxDownloadFailed, error);
      });
    }
  }
  input.checkpoint();

  const cwl = job.Kind === 'cwl';
  const lfns = [...new Set([...job.InputData, ...(cwl ? inputLfns(job.Inputs) : [])])];
  let lfnPaths = new Map<string, string>();
  if (lfns.length > 0) {
    report({ MinorStatus: minorStatus.inputDataResolution });
    lfnPaths = await downloadInputData(api, lfns, paths);
  }
  if (!cwl) return undefined;
  if (job.Workflow === undefined) {
    throw new JobStepError(minorStatus.applicationNotFound, 'the matcher sent no CWL workflow');
  }
  return writeCwlJob(job.Workflow, localInputs(job.Inputs ?? {}, paths, lfnPaths), paths);
}
