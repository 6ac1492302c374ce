/**
 * The job directory `<workRoot>/<jobId>/`: the payload's working directory and the only place the
 * job wrapper writes. The wrapper keeps its own files (downloads in flight, the packed output
 * sandbox, cwltool's temporary directories) under `.muon/`, which sandboxes may not write to and
 * output globs never match.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

export const privateDirName = '.muon';

export interface JobPaths {
  readonly root: string;
  /** The wrapper's own files. */
  readonly private: string;
  readonly stdout: string;
  readonly stderr: string;
  /** CWL jobs: the document, the input object, cwltool's --outdir. */
  readonly cwlDocument: string;
  readonly cwlInputs: string;
  readonly cwlOutputs: string;
  readonly cwlTmp: string;
}

export function jobPaths(workRoot: string, jobId: number): JobPaths {
  const root = join(workRoot, String(jobId));
  const own = join(root, privateDirName);
  return {
    root,
    private: own,
    stdout: join(root, 'std.out'),
    stderr: join(root, 'std.err'),
    cwlDocument: join(root, 'job.cwl'),
    cwlInputs: join(root, 'inputs.json'),
    cwlOutputs: join(root, 'outputs'),
    cwlTmp: join(own, 'cwl-tmp'),
  };
}

/**
 * Creates an empty job directory; one left by an earlier attempt is removed first (as DIRAC does).
 * It is private (0700) from the start: a root pilot's other payloads must not read a job's inputs
 * while they download, before the directory is handed to its payload (pilot/wrapper/isolation.ts).
 */
export async function createJobDirectory(paths: JobPaths): Promise<void> {
  await rm(paths.root, { recursive: true, force: true });
  await mkdir(paths.private, { recursive: true, mode: 0o700 });
}

export async function removeJobDirectory(paths: JobPaths): Promise<void> {
  await rm(paths.root, { recursive: true, force: true, maxRetries: 3 });
}
