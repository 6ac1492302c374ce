/**
 * Payload isolation for a pilot that runs as root (the pilot image does): each payload runs as an
 * unprivileged user and group of its own, taken from a per-pilot pool (61000 to 61999, or 1000 ids
 * from `MUON_PAYLOAD_UID_BASE`; no /etc/passwd entry needed), in its job directory, which it owns
 * (0700), with HOME and TMPDIR inside it. The pilot's work root is 0711, so the payload reaches its
 * own directory but cannot list the others, read another job's directory or the pilot's log
 * (docs/pilots.md, Payload isolation). DIRAC gets the same from glexec or per-slot accounts.
 *
 * Once the payload has ended, every process of its user is killed (none can linger into the next
 * job with that user, or race the wrapper), and what the payload could have planted for the
 * wrapper, which reads the directory as root, is taken away: std.out and std.err that are no
 * longer plain files, and the wrapper's own `.muon/`, made anew. Output links leading outside the
 * job directory are refused as before (pilot/wrapper/outputs.ts). While the payload runs, the
 * watchdog reads its std.out through a hard link in the root-only `<work root>/.peek/`, which the
 * payload cannot turn into a symbolic link to a file only root may read.
 */
import { spawn } from 'node:child_process';
import { lstatSync, readdirSync } from 'node:fs';
import { chmod, lchown, link, lstat, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { readEachProcessSync } from '#pilot/watchdog/proc.ts';
import { ConfigurationError } from '#shared/errors.ts';
import type { Logger } from '#shared/log.ts';
import type { PayloadIdentity, PayloadRunner, RunningPayload } from './payload.ts';
import { startPayload } from './payload.ts';
import { createPayloadIdClaims, type PayloadIdClaims } from './payload-id-claims.ts';
import type { JobPaths } from './workdir.ts';

export interface PayloadIdRange {
  /** The first uid (and gid) payloads run as. */
  readonly base: number;
  /** How many ids the pilot cycles over. */
  readonly count: number;
}

export const defaultPayloadIds: PayloadIdRange = { base: 61_000, count: 1000 };

/**
 * `MUON_PAYLOAD_UID_BASE`: the first id of the range, for pilots that share a machine (give each
 * its own range) or a site whose 61000-61999 are taken.
 */
export function payloadIdsFromEnvironment(env: Readonly<Record<string, string | undefined>>): {
  payloadIds?: PayloadIdRange;
} {
  const text = env.MUON_PAYLOAD_UID_BASE;
  if (text === undefined || text === '') return {};
  const base = Number(text);
  const last = base + defaultPayloadIds.count - 1;
  if (!Number.isInteger(base) || base < 1000 || last > 2 ** 31 - 2) {
    throw new ConfigurationError(
      `MUON_PAYLOAD_UID_BASE must be a whole number from 1000 to ${2 ** 31 - 1 - defaultPayloadIds.count}: "${text}"`,
    );
  }
  return { payloadIds: { base, count: defaultPayloadIds.count } };
}

/** A payload user, back in the pool with `release()`. */
interface PayloadUser extends PayloadIdentity {
  release(): void;
}

export interface PayloadUserPool {
  /** The next id of the range that no job of this pilot, no other pilot and no process uses. */
  acquire(): Promise<PayloadUser>;
}

/** How long one read of the process table serves the pool's acquisitions. */
const scanReuseMs = 1000;

export function createPayloadUserPool(
  range: PayloadIdRange,
  procRoot = '/proc',
  claims: PayloadIdClaims = createPayloadIdClaims(),
): PayloadUserPool {
  const taken = new Set<number>();
  // A random start, so two pilots on one machine rarely begin on the same id.
  let next = Math.floor(Math.random() * range.count);
  // One read of the process table serves the acquisitions of the next second: a pilot filling
  // hundreds of slots at once reads it a few times, not once per payload. Zombies are left out, as
  // killUser leaves them: they must not hold an id forever. An id this pilot released a moment ago
  // may still look busy in that read; it is passed over, which costs nothing.
  let scan: { readonly at: number; readonly uids: Promise<Set<number>> } | undefined;
  const machineUids = () => {
    if (!scan || Date.now() - scan.at > scanReuseMs)
      scan = { at: Date.now(), uids: processUids(procRoot, true) };
    return scan.uids;
  };
  return {
    async acquire() {
      const busy = await machineUids();
      for (let tried = 0; tried < range.count; tried += 1) {
        const id = range.base + ((next + tried) % range.count);
        if (taken.has(id) || busy.has(id)) continue;
        // Taken here before the claim's await, so concurrent acquisitions never share an id; the
        // machine-wide claim keeps other pilots off it (payload-id-claims.ts).
        taken.add(id);
        if (!(await claims.claim(id))) {
          taken.delete(id);
          continue;
        }
        next = (next + tried + 1) % range.count;
        return {
          uid: id,
          gid: id,
          release: () => {
            taken.delete(id);
            void claims.release(id);
          },
        };
      }
      throw new Error(`no free payload user in ${range.base}..${range.base + range.count - 1}`);
    },
  };
}

/** The local runner, each payload as a user of `pool`. */
export function isolatedPayloadRunner(pool: PayloadUserPool): PayloadRunner {
  const peek = (paths: JobPaths) => join(dirname(paths.root), '.peek', `${basename(paths.root)}.out`);
  return {
    remote: false,
    peek,
    async start(payload, launch) {
      const user = await pool.acquire();
      const { paths } = launch;
      let running: RunningPayload;
      try {
        const home = join(paths.private, 'home');
        const tmp = join(paths.private, 'tmp');
        await mkdir(home, { recursive: true });
        await mkdir(tmp, { recursive: true });
        // std.out exists, a plain file, before the payload does, so the watchdog's link is to the
        // file the payload writes (a sandbox may have brought a link or a directory of that name).
        await rm(paths.stdout, { recursive: true, force: true });
        await writeFile(paths.stdout, '');
        await mkdir(dirname(peek(paths)), { recursive: true, mode: 0o700 });
        await rm(peek(paths), { force: true });
        await link(paths.stdout, peek(paths));
        await handOver(paths.root, user);
        running = await startPayload(
          { command: payload.command, env: { ...payload.env, HOME: home, TMPDIR: tmp } },
          { cwd: paths.root, stdout: paths.stdout, stderr: paths.stderr },
          launch.treePids,
          user,
        );
      } catch (error) {
        await rm(peek(paths), { force: true });
        user.release();
        throw error;
      }
      // The wrapper reads the outputs once `exit` settles: by then nothing of the payload is left.
      const exit = running.exit.then(async (ended) => {
        try {
          await killUser(user, launch.logger);
          await takeBack(paths, user, launch.logger);
        } finally {
          await rm(peek(paths), { force: true });
          // Processes that outlived killUser keep the id busy in the machine's process table.
          user.release();
        }
        return ended;
      });
      return {
        ...running,
        exit,
        // killUser has swept every process of the user; the tree's pids may be reused by now.
        reap: () => undefined,
        terminate: async (graceMs) => {
          await running.terminate(graceMs);
          return exit;
        },
      };
    },
  };
}

/** Gives the job directory to the payload's user: the owner of everything in it, 0700 at its top. */
async function handOver(root: string, user: PayloadIdentity): Promise<void> {
  await lchownTree(root, user.uid, user.gid);
  await chmod(root, 0o700);
}

async function lchownTree(path: string, uid: number, gid: number): Promise<void> {
  // lchown and Dirent types never follow a symbolic link out of the tree.
  await lchown(path, uid, gid);
  for (const entry of await readdir(path, { withFileTypes: true })) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) await lchownTree(child, uid, gid);
    else await lchown(child, uid, gid);
  }
}

/**
 * SIGKILL to every process of the payload's user: `kill -9 -1` run as that user reaches exactly
 * its processes, daemons that left the payload's tree included, in one atomic sweep; a warning
 * when some outlived it.
 */
async function killUser(user: PayloadIdentity, logger?: Logger, procRoot = '/proc'): Promise<void> {
  for (let attempt = 0; attempt < 10; attempt += 1) {
    await new Promise<void>((done) => {
      const sweep = spawn('/bin/sh', ['-c', 'kill -9 -1 2>/dev/null'], {
        uid: user.uid,
        gid: user.gid,
        stdio: 'ignore',
        env: {},
      });
      sweep.once('error', () => done());
      sweep.once('exit', () => done());
    });
    if (!(await processUids(procRoot, true)).has(user.uid)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  logger?.warn('processes of the payload user outlived SIGKILL', { uid: user.uid });
}

/**
 * After the payload: std.out and std.err must be plain files (a symbolic link there would make the
 * wrapper read, as root, whatever it points at), the wrapper's `.muon/` is made anew as root's, and
 * what the user left in the machine's shared temporary directories is removed, so that the next
 * job with this user does not find it.
 */
async function takeBack(paths: JobPaths, user: PayloadIdentity, logger?: Logger): Promise<void> {
  for (const file of [paths.stdout, paths.stderr]) {
    const stats = await lstat(file).catch(() => undefined);
    if (stats && !stats.isFile()) {
      logger?.warn('the payload replaced its output file; removed', { file });
      await rm(file, { recursive: true, force: true });
    }
  }
  await rm(paths.private, { recursive: true, force: true });
  await mkdir(paths.private, { mode: 0o700 });
  for (const shared of ['/tmp', '/var/tmp', '/dev/shm']) await removeOwnedBy(shared, user.uid);
}

/**
 * The entries of `dir` that `uid` owns, removed. Read synchronously, a batch at a time: a shared
 * /tmp holds hundreds of entries and this runs after every payload, where one promise per lstat
 * cost about 16 ms of CPU for 650 entries and the synchronous read 2 ms. Between batches the
 * pilot's loop runs, so a /tmp of many thousands of entries never blocks it for long.
 */
async function removeOwnedBy(dir: string, uid: number): Promise<void> {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  const owned: string[] = [];
  for (let start = 0; start < names.length; start += scanBatch) {
    if (start > 0) await new Promise((resolve) => setImmediate(resolve));
    for (const name of names.slice(start, start + scanBatch)) {
      const path = join(dir, name);
      try {
        if (lstatSync(path).uid === uid) owned.push(path);
      } catch {}
    }
  }
  for (const path of owned) await rm(path, { recursive: true, force: true }).catch(() => undefined);
}

/** Entries of a shared directory read between two turns of the pilot's loop (about 1 ms). */
const scanBatch = 500;

/** The real uids of the machine's processes (zombies left out when `living`). */
async function processUids(procRoot: string, living = false): Promise<Set<number>> {
  const uidOf = (status: string): number | undefined => {
    if (living && /^State:\s+[ZX]/m.test(status)) return undefined;
    const uid = /^Uid:\s+(\d+)/m.exec(status)?.[1];
    return uid === undefined ? undefined : Number(uid);
  };
  try {
    return new Set(readEachProcessSync('status', uidOf, procRoot));
  } catch {
    return new Set();
  }
}
