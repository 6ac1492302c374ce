/**
 * The Local computing element: pilots are processes on this machine (DIRAC's InProcess/Local CE).
 * Each pilot runs under a small `sh` wrapper, detached in its own process group, in the directory
 * `<workDir>/<pid>`, which holds its log and, once it ends, its exit code. So the state of a pilot
 * can be read by any process, after a restart of the one that started it. Its credentials go in a
 * one-shot 0600 file under `<workDir>/credentials/` (0700), named by `--credentials-file`: the
 * pilot deletes it once read, and the wrapper when the pilot ends, whatever happened.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import {
  availability,
  type ComputingElement,
  type PilotLimits,
  type PilotSpec,
  type PilotState,
} from './computing-element.ts';
import { credentialsFileOption, credentialsHandOver, withoutCredentials } from './credentials.ts';
import { ComputingElementError } from './errors.ts';
import { pilotReference, referenceEnvironmentName, referenceId, schemes } from './reference.ts';

export interface LocalOptions {
  readonly site: string;
  readonly name: string;
  readonly limits: PilotLimits;
  readonly workDir: string;
  /** How `muon` is started; the pilot's arguments follow. */
  readonly command: readonly string[];
  readonly hostname: string;
  /** The environment pilots inherit, under their spec's, without credential variables. */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** `$0` of every wrapper: how a process is recognised as a pilot of this CE after a pid is reused. */
const marker = 'muon-pilot';

/**
 * `sh -c` script; arguments: work dir, host, the credentials file (or ''), then the pilot's command
 * line. The pilot's directory and files are its own only (umask 077). It says `ready` once
 * the pilot's directory is in place, so `status` and `available` see a pilot as soon as
 * `submitPilots` returns. A cancel marks the directory and sends SIGTERM to the whole group: the
 * pilot drains, and the wrapper keeps waiting for it to record its exit code. The trap is set only
 * after the fork, so the pilot starts with SIGTERM's default action and cannot miss the signal.
 */
const wrapper = `base=$1; host=$2; credentials=$3; shift 3
umask 077
dir="$base/$$"
mkdir -p "$dir" && chmod 700 "$dir" && cd "$dir" || exit 1
rm -f exit-code cancelled
${referenceEnvironmentName}="${schemes.Local}://$host/$$"; export ${referenceEnvironmentName}
echo ready; exec >/dev/null
"$@" >pilot.log 2>&1 </dev/null &
pid=$!
trap : TERM
wait "$pid"; code=$?
# A trapped signal interrupts wait: wait again until the pilot has really ended.
while kill -0 "$pid" 2>/dev/null; do wait "$pid"; code=$?; done
# The pilot deletes its credentials file once read; this one is for a pilot that never read it.
[ -z "$credentials" ] || rm -f "$credentials"
echo "$code" >exit-code.tmp && mv exit-code.tmp exit-code`;

export function createLocalComputingElement(options: LocalOptions): ComputingElement {
  const { workDir, hostname } = options;
  const pilotDir = (pid: number) => join(workDir, String(pid));

  const pidOf = (reference: string): number | undefined => {
    const id = referenceId(reference, schemes.Local, hostname);
    return id !== undefined && /^\d+$/.test(id) ? Number(id) : undefined;
  };

  const spawnPilot = async (spec: PilotSpec, credentials: string | undefined): Promise<string> => {
    const pilotArguments = credentials
      ? [...spec.arguments, credentialsFileOption, credentials]
      : spec.arguments;
    const child = spawn(
      '/bin/sh',
      ['-c', wrapper, marker, workDir, hostname, credentials ?? '', ...options.command, ...pilotArguments],
      {
        detached: true,
        stdio: ['ignore', 'pipe', 'ignore'],
        env: { ...withoutCredentials(options.env), ...spec.env },
      },
    );
    let said = '';
    child.stdout.on('data', (chunk: Buffer) => {
      said += chunk.toString('utf8');
    });
    try {
      await once(child.stdout, 'close');
    } catch (error) {
      throw new ComputingElementError(`Cannot start a pilot process: ${(error as Error).message}`, {
        cause: error,
      });
    }
    if (child.pid === undefined || said.trim() !== 'ready') {
      throw new ComputingElementError(`Cannot start a pilot process: no pilot directory under ${workDir}`);
    }
    child.unref();
    return pilotReference(schemes.Local, hostname, String(child.pid));
  };

  return {
    name: options.name,
    type: 'Local',
    site: options.site,

    async submitPilots(count, spec) {
      const handOver = credentialsHandOver(
        join(workDir, 'credentials'),
        spec,
        `Local CE ${options.site}/${options.name}`,
      );
      mkdirSync(workDir, { recursive: true });
      const references: string[] = [];
      for (let i = 0; i < count; i++) references.push(await handOver((file) => spawnPilot(spec, file)));
      return references;
    },

    async status(references) {
      const states = new Map<string, PilotState>();
      for (const reference of references) {
        const pid = pidOf(reference);
        states.set(reference, pid === undefined ? 'Unknown' : stateOf(pid, pilotDir(pid)));
      }
      return states;
    },

    async cancel(references) {
      for (const reference of references) {
        const pid = pidOf(reference);
        if (pid === undefined || !isPilotProcess(pid)) continue;
        writeFileSync(join(pilotDir(pid), 'cancelled'), '');
        signalGroup(pid, 'SIGTERM');
      }
    },

    async wake(references) {
      for (const reference of references) {
        const pid = pidOf(reference);
        if (pid === undefined || !isPilotProcess(pid)) continue;
        // The pilot is the wrapper's child; one that does not handle SIGUSR2 yet (still starting,
        // or an older muon) is left alone, as the signal would end it.
        for (const child of childrenOf(pid)) {
          if (handlesSignal(child, 'SIGUSR2')) signalProcess(child, 'SIGUSR2');
        }
      }
    },

    async available() {
      let running = 0;
      const names = existsSync(workDir) ? readdirSync(workDir) : [];
      for (const name of names) {
        if (/^\d+$/.test(name) && stateOf(Number(name), join(workDir, name)) === 'Running') running++;
      }
      return availability(running, 0, options.limits);
    },
  };
}

/** Final state from the exit code and the cancel marker; Running while the wrapper lives. */
function stateOf(pid: number, dir: string): PilotState {
  const ended = endedState(dir);
  if (ended) return ended;
  if (isPilotProcess(pid)) return 'Running';
  // The wrapper may have written its code and exited between the two reads.
  const late = endedState(dir);
  if (late) return late;
  // The wrapper died without a code (SIGKILL, a reboot): the pilot did not end by itself.
  if (!existsSync(dir)) return 'Unknown';
  return existsSync(join(dir, 'cancelled')) ? 'Aborted' : 'Failed';
}

function endedState(dir: string): PilotState | undefined {
  let code: string;
  try {
    code = readFileSync(join(dir, 'exit-code'), 'utf8').trim();
  } catch {
    return undefined;
  }
  if (existsSync(join(dir, 'cancelled'))) return 'Aborted';
  return code === '0' ? 'Done' : 'Failed';
}

/** A live process of ours running the wrapper (on Linux, checked through /proc against pid reuse). */
function isPilotProcess(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return !existsSync('/proc/self');
  }
  return cmdline.split('\0').includes(marker);
}

/** The children of a process (Linux; none elsewhere, where pilots keep their backoff). */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter((id) => /^\d+$/.test(id))
      .map(Number);
  } catch {
    return [];
  }
}

/** Whether a process has a handler for `signal` (SigCgt of /proc/<pid>/status). */
function handlesSignal(pid: number, signal: NodeJS.Signals): boolean {
  try {
    const caught = /^SigCgt:\s*([0-9a-f]+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return (
      caught !== undefined && ((BigInt(`0x${caught}`) >> BigInt(constants.signals[signal] - 1)) & 1n) === 1n
    );
  } catch {
    return false;
  }
}

function signalProcess(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

/** `signal` to the process group `pid` leads. */
const signalGroup = (pid: number, signal: NodeJS.Signals): void => signalProcess(-pid, signal);
