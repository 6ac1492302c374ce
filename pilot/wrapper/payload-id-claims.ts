/**
 * Machine-wide claims on payload ids, so that two root pilots on one machine (a runtime's local
 * pilots, pilots of a restarted runtime beside the survivors of the old one, several slots of an
 * edge node) never run payloads as the same uid at once: one job's clean-up (`kill -9 -1` as that
 * user) would kill the other's payload. DIRAC's per-slot accounts have the same rule, kept by the
 * site's account mapping; here the pilots keep it themselves.
 *
 * A claim is an empty file `<id>.<pid>` in a root-only directory. A pilot claims an id by creating
 * its file and then listing the id's files: it keeps the id only if no other living process holds
 * a claim on it. Of two pilots that claim at once at most one keeps it (each creates before it
 * lists, so the later lister sees the earlier; when both see each other both move on to another
 * id, which costs nothing). Claims of dead processes are removed by whoever meets them. Node has no flock(2), and a lock file with
 * a pid inside cannot be taken over from a dead pilot without a second race; this needs neither.
 */
import { lstat, mkdir, open, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAlive } from '#shared/processes.ts';

export interface PayloadIdClaims {
  /** True when this process now holds `id`; false when a living process holds it. */
  claim(id: number): Promise<boolean>;
  release(id: number): Promise<void>;
}

export const defaultClaimDirectory = () => join(tmpdir(), 'muon-payload-ids');

export function createPayloadIdClaims(
  directory = defaultClaimDirectory(),
  pid = process.pid,
): PayloadIdClaims {
  let ready: Promise<void> | undefined;
  const own = (id: number) => join(directory, `${id}.${pid}`);
  return {
    async claim(id) {
      ready ??= privateDirectory(directory);
      await ready;
      const file = await open(own(id), 'wx').catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'EEXIST') return undefined; // another pool of this process holds it
        throw error;
      });
      if (!file) return false;
      await file.close();
      const holders = await livingHolders(directory, id);
      if (holders.some((holder) => holder !== pid)) {
        await rm(own(id), { force: true });
        return false;
      }
      return true;
    },
    async release(id) {
      await rm(own(id), { force: true });
    },
  };
}

/** The pids of living processes that hold a claim on `id`; the claims of dead ones are removed. */
async function livingHolders(directory: string, id: number): Promise<number[]> {
  const prefix = `${id}.`;
  const holders: number[] = [];
  for (const name of await readdir(directory)) {
    if (!name.startsWith(prefix)) continue;
    const holder = Number(name.slice(prefix.length));
    if (!Number.isInteger(holder)) continue;
    if (isAlive(holder)) holders.push(holder);
    else await rm(join(directory, name), { force: true });
  }
  return holders;
}

/** The claim directory, made 0700; refused if someone else made it (a payload could have). */
async function privateDirectory(directory: string): Promise<void> {
  // An existing file of that name is refused below with the same message as a wrong directory.
  await mkdir(directory, { recursive: true, mode: 0o700 }).catch(() => undefined);
  const stats = await lstat(directory);
  const uid = process.getuid?.();
  if (!stats.isDirectory() || (uid !== undefined && stats.uid !== uid) || (stats.mode & 0o077) !== 0) {
    throw new Error(
      `${directory} must be a directory of this user with mode 0700; remove it and start again`,
    );
  }
}
