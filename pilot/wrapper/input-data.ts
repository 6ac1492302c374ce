/**
 * Input data (DIRAC's InputDataResolution with the Download policy): each LFN is fetched from a
 * replica the API names (a presigned URL for an `s3` storage element, a path for a `file` one)
 * into the job directory under its file name. Two LFNs with one file name: the second goes to
 * `input-data/<n>/<name>`. A file whose catalog checksum (`adler32:…`) it does not match fails the
 * job, as DIRAC's download does.
 */
import { basename, join } from 'node:path';
import type { JobApi } from '#pilot/api.ts';
import { downloadFromSource } from '#pilot/transfer.ts';
import { minorStatus } from '#shared/jobs/status.ts';
import { adler32File } from './checksum.ts';
import { JobStepError } from './errors.ts';
import type { JobPaths } from './workdir.ts';

/** Downloads every LFN; returns where each one is (LFN → absolute path). */
export async function downloadInputData(
  api: Pick<JobApi, 'downloadData'>,
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
    let checksum: string | undefined;
    try {
      const source = await api.downloadData(lfn);
      checksum = source.checksum;
      await downloadFromSource(source, destination);
    } catch (error) {
      throw new JobStepError(
        minorStatus.inputDataResolutionFailed,
        `cannot download ${lfn}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    if (checksum !== undefined) await verifyChecksum(lfn, destination, checksum);
    local.set(lfn, destination);
  }
  return local;
}

/** Compares the file with the catalog's `adler32:<hex>`; a checksum of another algorithm is not checked. */
async function verifyChecksum(lfn: string, path: string, expected: string): Promise<void> {
  const [algorithm, hex] = expected.split(':');
  if (algorithm?.toLowerCase() !== 'adler32' || !hex) return;
  const actual = await adler32File(path);
  // The catalog may hold it unpadded or in capitals.
  if (Number.parseInt(hex, 16) === Number.parseInt(actual.slice('adler32:'.length), 16)) return;
  throw new JobStepError(
    minorStatus.inputDataResolutionFailed,
    `${lfn} is corrupt: its catalog checksum is ${expected}, the downloaded file's ${actual}`,
  );
}
