/**
 * The runtime's home: `.muon/` in the working directory unless MUON_HOME says otherwise. It holds
 * the emulators' data, the development signing key, the log, and `local.json`, where the CLI finds
 * the API URL, the development tokens, and the emulators' endpoints and table names.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';

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

export function writeLocalFile(home: string, contents: LocalFile): void {
  writeFileSync(localFilePath(home), `${JSON.stringify(contents, null, 2)}\n`, { mode: 0o600 });
}

export function readLocalFile(home: string): LocalFile | undefined {
  const path = localFilePath(home);
  if (!existsSync(path)) return undefined;
  const parsed = localFileSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  return parsed.success ? parsed.data : undefined;
}

/**
 * One runtime per home: dynalite's LevelDB store can only be opened by one process. Returns a
 * release function, or the pid of the runtime already using this home.
 */
export function lockHome(home: string): { release: () => void } | { heldBy: number } {
  mkdirSync(home, { recursive: true });
  const lockFile = join(home, 'muon.pid');
  if (existsSync(lockFile)) {
    const pid = Number(readFileSync(lockFile, 'utf8').trim());
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) return { heldBy: pid };
  }
  writeFileSync(lockFile, String(process.pid));
  return {
    release: () => {
      rmSync(lockFile, { force: true });
      rmSync(localFilePath(home), { force: true });
    },
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
