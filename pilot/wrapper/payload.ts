/**
 * Running the payload. A payload runner starts the command preProcess built: the local runner
 * (`localPayloadRunner`, the default) spawns it on this machine; push mode's runner submits it to
 * a batch system (pilot/push/slurm-runner.ts) while the wrapper's network steps stay here.
 *
 * The local payload is spawned detached, so it leads its own session and process group and the
 * whole tree can be signalled at once; its standard output and error are files of the job
 * directory handed to it as file descriptors, so the kernel writes them and nothing flows through
 * the pilot (a few hundred bytes of pilot memory per payload, whatever it prints). A pilot running as
 * root starts it as a user of its own instead (pilot/wrapper/isolation.ts).
 */
import { spawn } from 'node:child_process';
import { open } from 'node:fs/promises';
import type { MatchedJob, StatusUpdate } from '#pilot/api.ts';
import type { Logger } from '#shared/log.ts';
import type { PayloadCommand } from './hooks.ts';
import { startWarm } from './warm-cwltool.ts';
import type { JobPaths } from './workdir.ts';

export interface PayloadExit {
  readonly exitCode: number | null;
  readonly signal: string | null;
  /** Remote payloads: CPU and wall-clock seconds measured where the payload ran. */
  readonly cpuSeconds?: number;
  readonly wallClockSeconds?: number;
  /** A limit of the batch system ended it: DIRAC's minor status for it, and what happened. */
  readonly limit?: { readonly minorStatus: string; readonly message: string };
}

export interface RunningPayload {
  /** Local payloads: the pid leading its process group, which the watchdog follows. */
  readonly pid?: number;
  /**
   * Resolves once the payload process exists (at once locally; when the batch system starts it
   * remotely, with where it runs), always before `exit` settles; never if it never ran.
   */
  readonly running: Promise<string | undefined>;
  /** Settles when the payload's first process has exited. */
  readonly exit: Promise<PayloadExit>;
  /**
   * SIGTERM to its process group and to `treePids()`, SIGKILL after `graceMs` if it still runs;
   * settles once it has exited.
   */
  terminate(graceMs: number): Promise<PayloadExit>;
  /** SIGKILL to whatever is left of its tree (processes it left running), right after it exited. */
  reap(): void;
}

export interface PayloadFiles {
  readonly cwd: string;
  readonly stdout: string;
  readonly stderr: string;
}

/** What a runner knows of the payload it starts. */
export interface PayloadLaunch {
  readonly job: MatchedJob;
  /** The job directory: the payload's working directory, std.out, std.err, the wrapper's `.muon/`. */
  readonly paths: JobPaths;
  /** Cores given to this job. */
  readonly processors: number;
  /** The watchdog's view of the local payload's process tree. */
  readonly treePids: () => readonly number[];
  /** Reports a step of the start (a remote runner: the batch system took the payload). */
  readonly report: (update: StatusUpdate) => void;
  readonly logger: Logger;
}

export interface PayloadRunner {
  /**
   * The payload runs on another machine: the watchdog checks only its wall clock and Kill
   * commands (DIRAC's CE.RemoteExecution turns the other checks off).
   */
  readonly remote: boolean;
  /**
   * Starts the payload. Rejects with a `code` (ENOENT, EACCES) when it cannot start, or with a
   * JobStepError saying how the job ends.
   */
  start(payload: PayloadCommand, launch: PayloadLaunch): Promise<RunningPayload>;
  /**
   * Where the watchdog reads the payload's standard output, when not `paths.stdout`: a path the
   * payload cannot point elsewhere (a root pilot reads it as root).
   */
  peek?(paths: JobPaths): string;
}

/** The payload as a process of this machine, watched by the watchdog. */
export const localPayloadRunner: PayloadRunner = {
  remote: false,
  start: (payload, launch) =>
    startPayload(
      payload,
      { cwd: launch.paths.root, stdout: launch.paths.stdout, stderr: launch.paths.stderr },
      launch.treePids,
    ),
};

/** The unprivileged user and group a payload runs as (a root pilot's payloads). */
export interface PayloadIdentity {
  readonly uid: number;
  readonly gid: number;
}

/**
 * Starts the payload, as `identity` when given (spawn's uid and gid also drop the supplementary
 * groups); rejects (with the spawn error's `code`, e.g. ENOENT) when it cannot start. A cwltool
 * command the default preProcess marked starts as a child of the warm cwltool when it can
 * (warm-cwltool.ts): same process group, identity, files and environment, only faster.
 */
export async function startPayload(
  payload: PayloadCommand,
  files: PayloadFiles,
  treePids: () => readonly number[] = () => [],
  identity?: PayloadIdentity,
): Promise<RunningPayload> {
  const warm = await startWarm(payload.command, files, payload.env, identity);
  if (warm) return payloadHandle(warm.pid, warm.exit, treePids);
  const [file, ...args] = payload.command;
  if (file === undefined) throw Object.assign(new Error('empty command'), { code: 'ENOENT' });
  const out = await open(files.stdout, 'w');
  const err = await open(files.stderr, 'w');
  let child: ReturnType<typeof spawn>;
  let exit: Promise<PayloadExit>;
  try {
    child = spawn(file, args, {
      cwd: files.cwd,
      env: { ...payload.env },
      detached: true,
      stdio: ['ignore', out.fd, err.fd],
      ...(identity ? { uid: identity.uid, gid: identity.gid } : {}),
    });
    const spawned = child;
    exit = new Promise((done) => spawned.once('exit', (exitCode, signal) => done({ exitCode, signal })));
    await new Promise<void>((started, failed) => {
      spawned.once('spawn', started);
      spawned.once('error', failed);
    });
  } finally {
    // The child has its own copies of the descriptors.
    await out.close();
    await err.close();
  }
  return payloadHandle(child.pid as number, exit, treePids);
}

/** Stops a payload that leads its own process group (`pid`), whichever way it was started. */
function payloadHandle(
  pid: number,
  exit: Promise<PayloadExit>,
  treePids: () => readonly number[],
): RunningPayload {
  let exited = false;
  void exit.then(() => {
    exited = true;
  });
  const signalTree = (signal: NodeJS.Signals) => {
    for (const target of [-pid, ...treePids().filter((other) => other !== pid)]) {
      try {
        process.kill(target, signal);
      } catch {
        // Already gone.
      }
    }
  };
  return {
    pid,
    running: Promise.resolve(undefined),
    exit,
    async terminate(graceMs) {
      // Once it has exited, its pids may belong to other processes: nothing more is signalled.
      if (exited) return exit;
      signalTree('SIGTERM');
      const force = setTimeout(() => signalTree('SIGKILL'), graceMs);
      try {
        return await exit;
      } finally {
        clearTimeout(force);
        signalTree('SIGKILL');
      }
    },
    reap: () => signalTree('SIGKILL'),
  };
}
