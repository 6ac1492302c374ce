/**
 * The pilot's work root as payloads may see it, and what the machine does to keep a payload away
 * from the pilot (docs/pilots.md, Payload isolation). A root pilot makes its work directory 0711
 * (its payloads, each as its own user, reach their job directories but cannot list it) and every
 * file already in it (its log, ...) private to root. When a directory above it does not let other
 * users through, the job directories go to a new 0711 directory in the system's temporary
 * directory instead, and the work directory stays as it is. Any pilot reads Yama's ptrace scope and
 * the hard-link protection at start: a payload of the pilot's own user is kept from tracing the
 * pilot and reading its memory only by Yama (1 or more).
 */
import { chmod, lstat, mkdtemp, readdir, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ConfigurationError } from '#shared/errors.ts';
import type { Logger } from '#shared/log.ts';

export interface PayloadWorkRoot {
  /** Where the job directories go. */
  readonly workRoot: string;
  /** A directory made for them, to remove when the pilot ends. */
  readonly temporary: boolean;
}

/** Where a root pilot's job directories go, ready for payloads of other users. */
export async function payloadWorkRoot(workDir: string, logger?: Logger): Promise<PayloadWorkRoot> {
  const blocked = await unsearchableAbove(workDir);
  if (blocked === undefined) {
    await chmod(workDir, 0o711);
    // Group and other lose their bits, the owner keeps its own (a script stays executable); a
    // symbolic link is not followed to what it points at.
    for (const name of await readdir(workDir)) {
      const path = join(workDir, name);
      const stats = await lstat(path);
      if (!stats.isSymbolicLink()) await chmod(path, stats.mode & 0o700);
    }
    return { workRoot: workDir, temporary: false };
  }
  const base = tmpdir();
  if ((await unsearchableAbove(join(base, 'x'))) !== undefined) {
    throw new ConfigurationError(
      `payloads run as their own users and can reach neither ${workDir} (${blocked} is not searchable by others) nor ${base}: chmod o+x, or choose another --work-dir`,
    );
  }
  const workRoot = await mkdtemp(join(base, 'muon-jobs-'));
  await chmod(workRoot, 0o711);
  logger?.warn(
    'the job directories go to the temporary directory: payloads cannot reach the work directory',
    {
      workDir,
      notSearchable: blocked,
      workRoot,
    },
  );
  return { workRoot, temporary: true };
}

/** The first directory above `path` that other users cannot pass through, if any. */
async function unsearchableAbove(path: string): Promise<string | undefined> {
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    if (((await stat(dir)).mode & 0o001) === 0) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

export interface HostProtections {
  /** /proc/sys/kernel/yama/ptrace_scope; undefined without Yama. */
  readonly ptraceScope: number | undefined;
  /** /proc/sys/fs/protected_hardlinks. */
  readonly protectedHardlinks: number | undefined;
}

export async function hostProtections(procRoot = '/proc'): Promise<HostProtections> {
  const read = (path: string) =>
    readFile(`${procRoot}/sys/${path}`, 'utf8').then(
      (text) => Number.parseInt(text, 10),
      () => undefined,
    );
  return {
    ptraceScope: await read('kernel/yama/ptrace_scope'),
    protectedHardlinks: await read('fs/protected_hardlinks'),
  };
}

/** Logs how payloads are kept from the pilot, with a warning for each protection missing. */
export function logIsolation(
  logger: Logger,
  isolation: { readonly root: boolean; readonly host: HostProtections },
): void {
  const { root, host } = isolation;
  logger.info('payload isolation', {
    payloadsRunAs: root ? 'a user of their own' : 'the pilot user',
    ptraceScope: host.ptraceScope ?? 'no Yama',
    protectedHardlinks: host.protectedHardlinks,
  });
  if (!root && (host.ptraceScope ?? 0) === 0) {
    logger.warn(
      'payloads run as the pilot user and Yama ptrace_scope is 0 or absent: a payload can trace the pilot and read its memory; run the pilot as root in a container, or set kernel.yama.ptrace_scope=1',
    );
  }
  if (root && host.protectedHardlinks === 0) {
    logger.warn(
      'fs.protected_hardlinks is 0: a payload can hard-link files it cannot read into its job directory; set fs.protected_hardlinks=1',
    );
  }
}
