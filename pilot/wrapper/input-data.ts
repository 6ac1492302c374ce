/**
 * Input data (DIRAC's InputDataResolution with the Download policy): each LFN is fetched from a
 * replica the API names (a presigned URL for an `s3` storage element, a path for a `file` one)
 * into the job directory under its file name. Two LFNs with one file name: the second goes to
 * `input-data/<n>/<name>`.
 */
import { basename, join } from 'node:path';
import type { PilotApi } from '#pilot/api.ts';
import { downloadFromSource } from '#pilot/transfer.ts';
import { minorStatus } from '#shared/jobs/status.ts';
import { JobStepError } from './errors.ts';
import type { JobPaths } from './workdir.ts';

/** Downloads every LFN; returns where each one is (LFN → absolute path). */
export async function downloadInputData(
  api: PilotApi,
  lfns: readonly string[],
  paths: JobPaths,
): Promise<Map<string, string>> {
  const local = new Map<string, string>();
  const taken = new Set<string>();
  for (const lfn of new Set(lfns)) {
    const name = basename(lfn);
    if (name === '' || name === '.' || name === '..') {
      throw new JobStepError(minorStatus.inputDataResolutionFailed, `"${lfn}" is not a file name`);
    }
    const destination = taken.has(name)
      ? join(paths.root, 'input-data', String(local.size), name)
      : join(paths.root, name);
    taken.add(name);
    try {
      const source = await api.downloadData(lfn);
      await downloadFromSource(source, destination);
    } catch (error) {
      throw new JobStepError(
        minorStatus.inputDataResolutionFailed,
        `cannot download ${lfn}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    local.set(lfn, destination);
  }
  return local;
}
