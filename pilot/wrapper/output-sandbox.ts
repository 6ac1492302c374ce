/**
 * The output sandbox: the planned files packed as one tar.gz (portable headers, symbolic links
 * kept as links) and uploaded through the API, which assigns it to the job. Over the limit
 * (compressed, DIRAC's OutputSandboxLimit) the job fails "Output Sandbox Too Large", and a small
 * sandbox with the last lines of std.out and std.err (`std.out.tail`, `std.err.tail`) is uploaded
 * instead, so that the owner can still see why. An upload the API could not take for a while is
 * tried again until the outputs deadline (./output-retry.ts), the archive kept on disk meanwhile.
 */
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JobApi } from '#pilot/api.ts';
import { digestFile } from '#pilot/transfer.ts';
import { tailLines } from '#pilot/watchdog/peek.ts';
import { minorStatus } from '#shared/jobs/status.ts';
import { writeTarGz } from '#shared/sandboxes/tar.ts';
import { JobStepError } from './errors.ts';
import { OutputDeadlineError, type OutputRetry, singleTry } from './output-retry.ts';
import type { JobPaths } from './workdir.ts';

export interface SandboxUpload {
  /** The stored sandbox's reference, when one was uploaded. */
  readonly reference?: string;
  readonly tooLarge: boolean;
  readonly bytes: number;
}

export async function uploadOutputSandbox(
  api: Pick<JobApi, 'uploadOutputSandbox'>,
  paths: JobPaths,
  entries: readonly string[],
  limits: { readonly outputSandboxLimitBytes: number; readonly peekLines: number },
  retry: OutputRetry = singleTry,
): Promise<SandboxUpload> {
  if (entries.length === 0) return { tooLarge: false, bytes: 0 };
  const archive = join(paths.private, 'output-sandbox.tar.gz');
  await pack(archive, paths.root, entries);
  const size = (await stat(archive)).size;
  if (size <= limits.outputSandboxLimitBytes) {
    return { reference: await upload(api, archive, retry), tooLarge: false, bytes: size };
  }
  const tails = join(paths.private, 'tails');
  await mkdir(tails, { recursive: true });
  await writeFile(join(tails, 'std.out.tail'), tailLines(paths.stdout, limits.peekLines));
  await writeFile(join(tails, 'std.err.tail'), tailLines(paths.stderr, limits.peekLines));
  await pack(archive, tails, ['std.out.tail', 'std.err.tail']);
  const small = (await stat(archive)).size;
  if (small > limits.outputSandboxLimitBytes) return { tooLarge: true, bytes: size };
  return { reference: await upload(api, archive, retry), tooLarge: true, bytes: size };
}

async function pack(archive: string, cwd: string, entries: readonly string[]): Promise<void> {
  await rm(archive, { force: true });
  await writeTarGz(archive, cwd, entries);
}

async function upload(
  api: Pick<JobApi, 'uploadOutputSandbox'>,
  archive: string,
  retry: OutputRetry,
): Promise<string> {
  try {
    const { sha256, size } = await digestFile(archive);
    return await retry.run('the output sandbox', minorStatus.uploadingOutputSandbox, () =>
      api.uploadOutputSandbox(archive, sha256, size),
    );
  } catch (error) {
    if (error instanceof OutputDeadlineError) throw error;
    throw new JobStepError(
      minorStatus.uploadingOutputSandbox,
      `cannot upload the output sandbox: ${(error as Error).message}`,
      { cause: error },
    );
  }
}
