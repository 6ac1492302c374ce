/**
 * The runtime's home: `.muon/` in the working directory unless MUON_HOME says otherwise. It holds
 * the emulators' data, the development signing key, the log, and `local.json`, where the CLI finds
 * the API URL, the development tokens, and the emulators' endpoints and table names.
 *
 * The signing key and the tokens let anyone act as any user of the local WMS, so the home is 0700
 * and the files muon writes there 0600; a home left looser (an older muon, a umask) is tightened
 * when the runtime starts.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { isAlive } from '#shared/processes.ts';

export const resolveHome = (
  env: Readonly<Record<string, string | undefined>> = process.env,
  cwd = process.cwd(),
) => resolve(cwd, env.MUON_HOME || '.muon');

export const localFileSchema = z.object({
  apiUrl: z.string().url(),
  tokens: z.object({ user: z.string(), admin: z.string(), pilot: z.string() }),
  pid: z.number().int().optional(),
  startedAt: z.string().optional(),
  /**
   * The emulators and the tables in them, for tools that talk to the tables rather than the API
   * (`muon site-director` on this machine). Loopback addresses; the file is the user's alone.
   */
  endpoints: z.object({ dynamodb: z.string(), sqs: z.string(), s3: z.string() }).optional(),
  tables: z.record(z.string(), z.string()).optional(),
});
export type LocalFile = z.infer<typeof localFileSchema>;

export const localFilePath = (home: string) => join(home, 'local.json');

export const homeMode = 0o700;
export const privateFileMode = 0o600;

/** Files muon keeps in the home whose content is a secret or names one, relative to the home. */
export const privateFiles = [
  'local.json',
  'dev-signing-key.json',
  'payload-token-key',
  'muon.pid',
  'pilots/config.json',
  'logs/muon.log',
];

/**
 * Writes `text` readable by its owner only. `mode` only applies when a file is created, so an
 * existing file is set to 0600 too.
 */
export function writePrivateFile(path: string, text: string): void {
  writeFileSync(path, text, { mode: privateFileMode });
  chmodSync(path, privateFileMode);
}

export function writeLocalFile(home: string, contents: LocalFile): void {
  writePrivateFile(localFilePath(home), `${JSON.stringify(contents, null, 2)}\n`);
}

/**
 * Creates the home 0700, or takes group and other access away from an existing one and from the
 * private files in it. Returns what it tightened (empty when nothing was loose).
 */
export function secureHome(home: string): string[] {
  mkdirSync(home, { recursive: true, mode: homeMode });
  const tightened: string[] = [];
  const tighten = (path: string, mode: number) => {
    if (!existsSync(path)) return;
    const current = statSync(path).mode & 0o777;
    if ((current & 0o077) === 0) return;
    chmodSync(path, mode);
    tightened.push(`${path} (${current.toString(8)} → ${mode.toString(8)})`);
  };
  tighten(home, homeMode);
  for (const file of privateFiles) tighten(join(home, file), privateFileMode);
  return tightened;
}

export function readLocalFile(home: string): LocalFile | undefined {
  const path = localFilePath(home);
  if (!existsSync(path)) return undefined;
  const parsed = localFileSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  return parsed.success ? parsed.data : undefined;
}

/**
 * One runtime per home: dynalite's LevelDB store can only be opened by one process. Returns a
 * release function, or the pid of the runtime already using this home. It is the first thing the
 * runtime does with its home, so it also secures it (`secureHome`), saying what it tightened.
 */
export function lockHome(
  home: string,
  log: (line: string) => void = (line) => console.warn(line),
): { release: () => void } | { heldBy: number } {
  const tightened = secureHome(home);
  if (tightened.length > 0)
    log(`muon home ${home} was readable by others; tightened: ${tightened.join(', ')}`);
  const lockFile = join(home, 'muon.pid');
  if (existsSync(lockFile)) {
    const pid = Number(readFileSync(lockFile, 'utf8').trim());
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) return { heldBy: pid };
  }
  writePrivateFile(lockFile, String(process.pid));
  return {
    release: () => {
      rmSync(lockFile, { force: true });
      rmSync(localFilePath(home), { force: true });
    },
  };
}
