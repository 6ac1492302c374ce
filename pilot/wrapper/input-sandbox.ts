/**
 * The input sandbox (DIRAC's transferInputSandbox): `SB:` references are downloaded through the
 * API into the wrapper's directory and unpacked, safely, into the job directory; `LFN:` entries
 * are downloaded like input data. Other entries (local names the client should have packed) are
 * logged and skipped.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { JobApi, MatchedJob } from '#pilot/api.ts';
import { minorStatus } from '#shared/jobs/status.ts';
import type { Logger } from '#shared/log.ts';
import { JobStepError, UnsafeSandboxError } from './errors.ts';
import type { SandboxUnpacker } from './safe-tar.ts';
import type { JobPaths } from './workdir.ts';

export interface SandboxEntries {
  readonly sandboxes: readonly string[];
  /** Logical file names, without `LFN:`. */
  readonly lfns: readonly string[];
}

export function inputSandboxEntries(job: MatchedJob, logger: Logger): SandboxEntries {
  const sandboxes = new Set<string>();
  const lfns = new Set<string>();
  for (const entry of job.InputSandbox) {
    // A `#path` names one file inside the archive (CWL inputs): the archive is what is downloaded.
    if (/^SB:/i.test(entry)) sandboxes.add(entry.replace(/#.*$/, ''));
    else if (/^LFN:/i.test(entry)) lfns.add(entry.replace(/^LFN:/i, ''));
    else logger.warn('input sandbox entry skipped: neither SB: nor LFN:', { entry });
  }
  return { sandboxes: [...sandboxes], lfns: [...lfns] };
}

/** Downloads and unpacks every sandbox; throws a JobStepError naming the step's failure. */
export async function downloadInputSandboxes(
  api: Pick<JobApi, 'downloadSandbox'>,
  sandboxes: readonly string[],
  paths: JobPaths,
  unpacker: SandboxUnpacker,
): Promise<void> {
  for (const [index, reference] of sandboxes.entries()) {
    const archive = join(paths.private, `input-sandbox-${index}.tar.gz`);
    try {
      await api.downloadSandbox(reference, archive);
    } catch (error) {
      throw new JobStepError(
        minorStatus.inputSandboxDownloadFailed,
        `cannot download ${reference}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    try {
      await unpacker.unpack(archive);
    } catch (error) {
      if (error instanceof UnsafeSandboxError) throw error;
      throw new JobStepError(
        minorStatus.inputSandboxDownloadFailed,
        `cannot unpack ${reference}: ${(error as Error).message}`,
        { cause: error },
      );
    } finally {
      await rm(archive, { force: true });
    }
  }
}
