/**
 * The outputs of a payload that ran (DIRAC's processJobOutputs): the output sandbox (always,
 * even for a failed job: std.out and std.err tell why), then output data (only for a job that
 * has not failed), then the job's outputs record (`PUT /api/jobs/{id}/outputs`). Statuses follow
 * DIRAC: "Uploading Output Sandbox" → "Output Sandbox Uploaded" → "Uploading Output Data" →
 * "Output Data Uploaded", reported only while the job is not failing. Uploads the API cannot take
 * for a while are tried again until `pilot.outputUploads.deadlineSeconds` (./output-retry.ts); past
 * it the job is rescheduled (OutputDeadlineError reaches the wrapper), never failed for it.
 */
import type { JobApi, JobOutputs, MatchedJob, OutputDataRecord, StatusUpdate } from '#pilot/api.ts';
import type { MuonConfig } from '#shared/config/schema.ts';
import { minorStatus } from '#shared/jobs/status.ts';
import type { Logger } from '#shared/log.ts';
import { JobStepError } from './errors.ts';
import type { PayloadResult, PostProcessResult } from './hooks.ts';
import { uploadOutputData } from './output-data.ts';
import { createOutputRetry, OutputDeadlineError } from './output-retry.ts';
import { type SandboxUpload, uploadOutputSandbox } from './output-sandbox.ts';
import { contractCwlOutput, planOutputs } from './outputs.ts';
import type { JobPaths } from './workdir.ts';

export interface OutputsInput {
  /** The job's own API (its payload token). */
  readonly api: JobApi;
  readonly job: MatchedJob;
  readonly paths: JobPaths;
  readonly config: MuonConfig['pilot'];
  readonly logger: Logger;
  readonly result: PayloadResult;
  readonly decision: Exclude<PostProcessResult, { status: 'Rescheduled' }>;
  readonly report: (update: StatusUpdate) => void;
  /** Throws when the job was killed or interrupted meanwhile. */
  readonly checkpoint: () => void;
}

/** Uploads the outputs; returns the minor status the job fails with, or undefined when it is Done. */
export async function processOutputs(input: OutputsInput): Promise<string | undefined> {
  const { api, job, paths, config, logger, result, decision, report } = input;
  const retry = createOutputRetry(config.outputUploads, { logger, checkpoint: input.checkpoint });
  let failure = decision.status === 'Failed' ? decision.minorStatus : undefined;
  const plan = await planOutputs({
    job,
    paths,
    cwlOutput: result.cwlOutput,
    extraSandbox: decision.outputSandbox,
    extraData: decision.status === 'Completing' ? decision.outputData : undefined,
    withData: failure === undefined,
    failoverStorageElements: config.failoverStorageElements,
  });
  if (plan.missing.length > 0) {
    logger.warn('output files missing', { missing: plan.missing });
    failure ??= minorStatus.missingOutputFiles;
  }
  if (plan.unsafe.length > 0) {
    logger.warn('output links lead outside the job directory; not packed', { links: plan.unsafe });
    failure ??= minorStatus.unsafeOutputFile;
  }

  if (!failure) report({ MinorStatus: minorStatus.uploadingOutputSandbox });
  let sandbox: SandboxUpload | undefined;
  try {
    sandbox = await uploadOutputSandbox(api, paths, plan.sandbox, config, retry);
  } catch (error) {
    if (!(error instanceof JobStepError) || error instanceof OutputDeadlineError) throw error;
    logger.warn('output sandbox upload failed', { error: error.message });
    failure ??= error.minorStatus;
  }
  if (sandbox?.tooLarge) {
    logger.warn('output sandbox over the limit', {
      bytes: sandbox.bytes,
      limit: config.outputSandboxLimitBytes,
    });
    failure ??= minorStatus.outputSandboxTooLarge;
  } else if (sandbox && !failure) {
    report({ MinorStatus: minorStatus.outputSandboxUploaded });
  }
  input.checkpoint();

  let records: readonly OutputDataRecord[] = [];
  if (!failure && plan.data.length > 0) {
    report({ MinorStatus: minorStatus.uploadingOutputData });
    const upload = await uploadOutputData(api, plan.data, logger, retry, job.Description.outputMetadata);
    records = upload.records;
    if (upload.failed.length > 0) {
      logger.warn('output data not uploaded', { lfns: upload.failed });
      failure = minorStatus.uploadingOutputData;
    } else {
      report({ MinorStatus: minorStatus.outputDataUploaded });
    }
    input.checkpoint();
  }

  const stored = new Set(records.map((record) => record.LFN));
  const lfnByPath = new Map(
    plan.data.filter((file) => stored.has(file.lfn)).map((file) => [file.path, file.lfn]),
  );
  const packed = sandbox?.reference && !sandbox.tooLarge ? plan.sandbox : [];
  const outputs: JobOutputs = {
    ...(result.cwlOutput
      ? { CWLOutput: contractCwlOutput(result.cwlOutput, paths.root, lfnByPath, packed) }
      : {}),
    ...(records.length > 0 ? { OutputData: records } : {}),
    ...(sandbox?.reference ? { OutputSandbox: sandbox.reference } : {}),
    ...(plan.missing.length > 0 ? { MissingFiles: plan.missing } : {}),
  };
  if (Object.keys(outputs).length > 0) {
    // The files are stored already: a record the API refuses (over 100 KB, ...) does not fail the job.
    const minor = failure ?? minorStatus.outputDataUploaded;
    await retry
      .run('the job outputs record', minor, () => api.putOutputs(outputs))
      .catch((error: unknown) => {
        if (error instanceof OutputDeadlineError) throw error;
        logger.error('the job outputs were not recorded', { error: (error as Error).message });
      });
  }
  return failure;
}
