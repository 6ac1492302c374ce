/**
 * The processes of one chaos run, found through /proc by the run's home (MUON_HOME in their
 * environment): the runtime, its emulator children, the local pilots and the payloads. Killing
 * them is the chaos; finding every one of them again at the end is how the run leaves nothing.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface RunProcess {
  readonly pid: number;
  readonly kind: 'runtime' | 'emulator' | 'pilot' | 'payload' | 'other';
  readonly emulators?: string;
}

const read = (path: string) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
};

/** Running, not a zombie (this machine's PID 1 does not reap orphans). */
export function alive(pid: number): boolean {
  const stat = read(`/proc/${pid}/stat`);
  return stat !== '' && stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
}

/**
 * Every live process of the run: those whose environment names `home` as MUON_HOME or as the
 * emulators' data, and the payloads, found by their script's path (a payload's environment is the
 * job's, which need not name the home).
 */
export function processesOf(home: string, runtimePid?: number, payloadPath?: string): RunProcess[] {
  const found: RunProcess[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid || !alive(pid)) continue;
    const cmdline = read(`/proc/${pid}/cmdline`).split('\0').join(' ');
    if (payloadPath && cmdline.includes(payloadPath) && !cmdline.includes('cwltool')) {
      found.push({ pid, kind: 'payload' });
      continue;
    }
    const environ = read(`/proc/${pid}/environ`).split('\0');
    if (!environ.includes(`MUON_HOME=${home}`) && !environ.includes(`MUON_EMULATOR_DATA_DIR=${home}`))
      continue;
    const emulators = environ.find((e) => e.startsWith('MUON_EMULATORS='))?.slice('MUON_EMULATORS='.length);
    let kind: RunProcess['kind'] = 'other';
    if (pid === runtimePid) kind = 'runtime';
    else if (emulators) kind = 'emulator';
    else if (/muon\.mjs pilot|cli\/run\.ts pilot| pilot /.test(cmdline) && !cmdline.startsWith('/bin/sh'))
      kind = 'pilot';
    found.push({ pid, kind, ...(emulators ? { emulators } : {}) });
  }
  return found;
}

/** The parent of `pid`, or 0. */
export function parentOf(pid: number): number {
  return Number(/PPid:\s+(\d+)/.exec(read(`/proc/${pid}/status`))?.[1] ?? 0);
}

/** Pilots with a payload below them: killing one of those loses a job in the middle of its run. */
export function busyPilots(found: readonly RunProcess[]): RunProcess[] {
  const pilots = new Map(found.filter((p) => p.kind === 'pilot').map((p) => [p.pid, p]));
  const busy = new Set<RunProcess>();
  for (const payload of found.filter((p) => p.kind === 'payload')) {
    let pid = payload.pid;
    for (let depth = 0; depth < 5 && pid > 1; depth++) {
      pid = parentOf(pid);
      const pilot = pilots.get(pid);
      if (pilot) busy.add(pilot);
    }
  }
  return [...busy];
}

export function kill(pid: number, signal: NodeJS.Signals = 'SIGKILL'): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Waits until none of `pids` runs, at most `ms`; returns those still running. */
export async function settled(pids: readonly number[], ms: number): Promise<number[]> {
  const end = Date.now() + ms;
  while (Date.now() < end && pids.some(alive)) await new Promise((r) => setTimeout(r, 100));
  return pids.filter(alive);
}
