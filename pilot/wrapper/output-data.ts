/**
 * Output data (DIRAC's FailoverTransfer): each file is written to the first storage element that
 * takes it (the job's OutputSE in order, then the pilot's failover ones) and registered in the
 * file catalogue with its size and Adler-32 checksum, and the metadata the job's hints give its
 * output data (`outputMetadata`), in the same request. A file no storage element took is reported
 * as failed; the job then fails "Uploading Output Data". When every storage element failed and one
 * of them for a reason the API may get over (no answer, 5xx), the file is tried again until the
 * outputs deadline (./output-retry.ts).
 */
import { stat } from 'node:fs/promises';
import type { JobApi, OutputDataRecord } from '#pilot/api.ts';
import { uploadToTarget } from '#pilot/transfer.ts';
import type { MetaValue } from '#shared/catalog/query.ts';
import { minorStatus } from '#shared/jobs/status.ts';
import type { Logger } from '#shared/log.ts';
import { adler32File } from './checksum.ts';
import { isTransient, type OutputRetry } from './output-retry.ts';
import type { DataFile } from './outputs.ts';

export interface DataUpload {
  readonly records: readonly OutputDataRecord[];
  /** LFNs that no storage element took. */
  readonly failed: readonly string[];
}

export async function uploadOutputData(
  api: Pick<JobApi, 'uploadTarget' | 'registerReplica'>,
  files: readonly DataFile[],
  logger: Logger,
  retry: OutputRetry,
  metadata?: Readonly<Record<string, MetaValue>>,
): Promise<DataUpload> {
  const records: OutputDataRecord[] = [];
  const failed: string[] = [];
  for (const file of files) {
    const record = await retry.run(`output data ${file.lfn}`, minorStatus.uploadingOutputData, () =>
      uploadOne(api, file, logger, metadata),
    );
    if (record) records.push(record);
    else failed.push(file.lfn);
  }
  return { records, failed };
}

/**
 * The record once a storage element took the file; undefined when none did. When none did and one
 * failed for a transient reason, that failure is thrown, for the caller to try the file again.
 */
async function uploadOne(
  api: Pick<JobApi, 'uploadTarget' | 'registerReplica'>,
  file: DataFile,
  logger: Logger,
  metadata: Readonly<Record<string, MetaValue>> | undefined,
): Promise<OutputDataRecord | undefined> {
  const size = (await stat(file.path)).size;
  const checksum = await adler32File(file.path);
  if (file.storageElements.length === 0) logger.warn('no storage element to upload to', { lfn: file.lfn });
  let transient: unknown;
  for (const se of file.storageElements) {
    try {
      const target = await api.uploadTarget(file.lfn, se, size);
      await uploadToTarget(target, file.path);
      const record = { LFN: file.lfn, SE: se, Size: size, Checksum: checksum };
      const withMetadata = metadata && Object.keys(metadata).length > 0 ? { Metadata: metadata } : {};
      await api.registerReplica({ ...record, PFN: target.pfn, ...withMetadata });
      return record;
    } catch (error) {
      if (isTransient(error)) transient ??= error;
      logger.warn('output data upload failed, trying the next storage element', {
        lfn: file.lfn,
        se,
        error: (error as Error).message,
      });
    }
  }
  if (transient !== undefined) throw transient;
  return undefined;
}
