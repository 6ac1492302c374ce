/** Running `muon local` as a process in tests: start it, wait for it, find and watch its children. */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface LocalFileContents {
  readonly apiUrl: string;
  readonly tokens: { readonly user: string; readonly admin: string; readonly pilot: string };
}

/**
 * `muon local --port 0` with `home` as MUON_HOME. `group` puts it in a process group of its own,
 * so a test can signal the whole group as a terminal's Ctrl-C does.
 */
export function startCli(home: string, args: string[] = [], options: { group?: boolean } = {}): ChildProcess {
  return spawn(process.execPath, ['bin/muon.mjs', 'local', '--port', '0', ...args], {
    env: { ...process.env, MUON_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.group ?? false,
  });
}

/** Collects a stream's text as it comes. */
export function collect(stream: NodeJS.ReadableStream | null): { readonly text: string } {
  const out = { text: '' };
  stream?.on('data', (chunk) => {
    out.text += String(chunk);
  });
  return out;
}

export async function waitForHealth(home: string, ms = 30_000): Promise<LocalFileContents> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const file = join(home, 'local.json');
    if (existsSync(file)) {
      const local = JSON.parse(readFileSync(file, 'utf8')) as LocalFileContents;
      const ok = await fetch(`${local.apiUrl}/api/health`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return local;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('muon local did not become healthy');
}

export const childrenOf = (pid: number): number[] => {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .map((s) => Number(s.trim()))
      .filter((n) => n > 0);
  } catch {
    return [];
  }
};

/** The emulator child of `pid` that runs `emulators` (`dynamodb`, `sqs,s3`), from its environment. */
export function emulatorChild(pid: number, emulators: string): number | undefined {
  return childrenOf(pid).find((child) => {
    try {
      return readFileSync(`/proc/${child}/environ`, 'utf8')
        .split('\0')
        .includes(`MUON_EMULATORS=${emulators}`);
    } catch {
      return false;
    }
  });
}

/** Running, not a zombie: this machine's PID 1 does not reap orphans, so a zombie counts as gone. */
export const alive = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
};

export const settle = async (pids: number[]) => {
  const end = Date.now() + 3000;
  while (Date.now() < end && pids.some(alive)) await new Promise((r) => setTimeout(r, 100));
  return pids.filter(alive);
};

export const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });

/** Polls `read` until `done` holds for its value, or fails after `ms`. */
export async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  ms = 20_000,
): Promise<T> {
  const end = Date.now() + ms;
  let last: T | undefined;
  while (Date.now() < end) {
    last = await read();
    if (done(last)) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`condition not met within ${ms} ms; last value: ${JSON.stringify(last)}`);
}
