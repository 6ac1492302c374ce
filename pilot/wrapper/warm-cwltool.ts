/**
 * The warm cwltool: one Python process per pilot and interpreter (the zygote, source in
 * warm-cwltool-zygote.ts) imports cwltool and loads the CWL schemas once, then forks a child per
 * CWL payload, so a payload skips the ~0.7 s of CPU each fresh cwltool spends on imports and
 * schemas. No DIRAC counterpart (DIRAC starts each payload afresh); docs/pilots.md, Warm cwltool.
 *
 * Only the exact command the default preProcess built is sent here (`markWarm`), and only when
 * the configuration allows it (`pilot.warmCwltool`). startPayload (payload.ts) asks `startWarm`
 * first and spawns as before when it answers undefined: the zygote could not start, died, or the
 * child could not be set up (the spawn then meets and reports the same error as always). The
 * child is a payload like a spawned one: its own process group (the wrapper's kill and the
 * watchdog address it by pid), the payload's uid/gid, cwd, environment and output files; its exit
 * status comes back from the zygote, which is its parent. Module state: one zygote per
 * interpreter, for the pilot process's life; it ends when the pilot does (end of its input).
 */
import { spawn } from 'node:child_process';
import { open, realpath } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { dirname } from 'node:path';
import { payloadEnvironment } from './command.ts';
import { cwltoolModuleEntry } from './cwl.ts';
import type { PayloadExit, PayloadFiles, PayloadIdentity } from './payload.ts';
import { zygoteSource } from './warm-cwltool-zygote.ts';

/** How a warm child reproduces the command: the interpreter, argv[0], sys.path[0], the arguments. */
interface WarmEntry {
  readonly python: string;
  readonly argv0: string;
  readonly path0: string;
  readonly args: readonly string[];
}

const marked = new WeakSet<readonly string[]>();

/** The default preProcess built this cwltool command and the configuration allows a warm start. */
export function markWarm(command: readonly string[]): void {
  marked.add(command);
}

/**
 * `python -c <cwltool entry> args...`, or a script whose first line is `#!<absolute python>` with
 * no option and which runs `cwltool.main.run` (Debian's /usr/bin/cwltool, pip's console script).
 */
async function warmEntry(command: readonly string[]): Promise<WarmEntry | undefined> {
  const [file, flag, entry, ...rest] = command;
  if (file === undefined) return undefined;
  if (flag === '-c' && entry === cwltoolModuleEntry) {
    return { python: file, argv0: '-c', path0: '', args: rest };
  }
  const head = await readHead(file);
  const shebang = /^#!(\/\S*python[\d.]*)[ \t]*\r?\n/.exec(head)?.[1];
  if (shebang === undefined || !/^from cwltool\.main import run$/m.test(head)) return undefined;
  // `python script` puts the script's directory, symbolic links resolved, first on sys.path.
  const path0 = dirname(await realpath(file));
  return { python: shebang, argv0: file, path0, args: command.slice(1) };
}

async function readHead(file: string): Promise<string> {
  try {
    const handle = await open(file, 'r');
    try {
      const buffer = Buffer.alloc(1024);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      return buffer.subarray(0, bytesRead).toString('utf8');
    } finally {
      await handle.close();
    }
  } catch {
    return '';
  }
}

export interface WarmPayload {
  readonly pid: number;
  readonly exit: Promise<PayloadExit>;
}

type Reply =
  | { readonly ready: true }
  | { readonly fatal: string }
  | { readonly id: number; readonly pid: number }
  | { readonly id: number; readonly error: string; readonly code: string }
  | { readonly exit: number; readonly code: number | null; readonly signal: string | null };

type Environment = Readonly<Record<string, string>>;

/** Launches of a zygote (per interpreter) before the pilot stops trying. */
const maxLaunches = 3;
/** How long a zygote may take to import cwltool and load the schemas. */
const readyTimeoutMs = 60_000;

/** What the interpreter reads when it starts: a payload whose values differ is spawned. */
const startupVariable = /^(PYTHON|LC_|LANG$|LANGUAGE$)/;
const startupEnvironment = (env: Environment): string =>
  JSON.stringify(
    Object.entries(env)
      .filter(([key]) => startupVariable.test(key))
      .sort(([a], [b]) => (a < b ? -1 : 1)),
  );

interface Zygote {
  /** Resolves true once warm, false if it will never be. */
  readonly ready: Promise<boolean>;
  readonly startup: string;
  alive(): boolean;
  start(
    entry: WarmEntry,
    files: PayloadFiles,
    env: Environment,
    identity?: PayloadIdentity,
  ): Promise<WarmPayload | undefined>;
}

const zygotes = new Map<string, { zygote: Zygote; launches: number }>();

/**
 * Starts the payload as a child of the warm cwltool; undefined when it cannot (then spawn it).
 * The zygote is launched by the first payload that needs it, with the pilot's environment less
 * its credentials (payloadEnvironment) and no job's variables: that block stays in every child's
 * memory, and in /proc/<pid>/environ for the payloads of other users to read.
 */
export async function startWarm(
  command: readonly string[],
  files: PayloadFiles,
  env: Environment,
  identity?: PayloadIdentity,
): Promise<WarmPayload | undefined> {
  if (!marked.has(command)) return undefined;
  const entry = await warmEntry(command);
  if (entry === undefined) return undefined;
  let known = zygotes.get(entry.python);
  if (known === undefined || (!known.zygote.alive() && known.launches < maxLaunches)) {
    known = {
      zygote: launchZygote(entry.python, payloadEnvironment(process.env, {})),
      launches: (known?.launches ?? 0) + 1,
    };
    zygotes.set(entry.python, known);
  }
  const { zygote } = known;
  if (zygote.startup !== startupEnvironment(env) || !(await zygote.ready)) return undefined;
  return zygote.start(entry, files, env, identity);
}

function launchZygote(python: string, env: Environment): Zygote {
  // -s: a root zygote never reads a user's site-packages.
  const root = process.getuid?.() === 0;
  const child = spawn(python, [...(root ? ['-s'] : []), '-c', zygoteSource], {
    cwd: '/',
    env: { ...env },
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
  });
  const channel = child.stdio[3] as Socket;
  let alive = true;
  let nextId = 1;
  const starts = new Map<number, (started: WarmPayload | undefined) => void>();
  const exits = new Map<number, (exit: PayloadExit) => void>();
  let markReady: (ready: boolean) => void = () => undefined;
  const ready = new Promise<boolean>((done) => {
    markReady = done;
  });
  const timer = setTimeout(() => {
    markReady(false);
    child.kill('SIGKILL');
  }, readyTimeoutMs);
  timer.unref();
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2000);
  });

  const dead = (cause?: unknown) => {
    if (!alive) return;
    alive = false;
    const why = cause instanceof Error ? cause.message : `it ended (${child.signalCode ?? child.exitCode})`;
    failure = `the warm cwltool (${python}) is down, payloads are spawned: ${why} ${stderr.trim()}`.trim();
    clearTimeout(timer);
    markReady(false);
    for (const answer of starts.values()) answer(undefined);
    starts.clear();
    // Their parent, and with it their exit status, is gone: they are stopped and reported killed.
    for (const [pid, report] of exits) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
      report({ exitCode: null, signal: 'SIGKILL' });
    }
    exits.clear();
  };
  child.once('error', dead);
  child.once('exit', () => dead());
  channel.on('error', dead);

  let pending = '';
  channel.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      if (line.trim() === '') continue;
      let reply: Reply;
      try {
        reply = JSON.parse(line) as Reply;
      } catch {
        // Not the zygote's protocol: it is not to be trusted with payloads any more.
        stderr = `it said ${line.slice(0, 200)}`;
        child.kill('SIGKILL');
        dead();
        return;
      }
      if ('ready' in reply) {
        clearTimeout(timer);
        markReady(true);
      } else if ('fatal' in reply) {
        stderr = reply.fatal;
      } else if ('exit' in reply) {
        exits.get(reply.exit)?.({ exitCode: reply.code, signal: reply.signal });
        exits.delete(reply.exit);
      } else {
        const answer = starts.get(reply.id);
        starts.delete(reply.id);
        if (!('pid' in reply)) {
          answer?.(undefined);
          continue;
        }
        // Registered here, not after an await: the exit may be on the next line of this chunk.
        const { pid } = reply;
        const exit = new Promise<PayloadExit>((report) => exits.set(pid, report));
        answer?.({ pid, exit });
      }
    }
    holdWhileBusy();
  });
  // An idle zygote does not keep the pilot alive; when the pilot ends, its end of input stops it
  // (its stderr too: the pilot would wait for the zygote to close it, the zygote for that end).
  // Until it is warm, and while a payload starts or runs, the channel that answers does.
  const holdWhileBusy = () => (starts.size + exits.size > 0 ? channel.ref() : channel.unref());
  child.unref();
  (child.stderr as Socket | null)?.unref();

  return {
    ready,
    startup: startupEnvironment(env),
    alive: () => alive,
    start(warm, files, payloadEnv, identity) {
      if (!alive) return Promise.resolve(undefined);
      const id = nextId++;
      // The zygote reads "id" from the start of the line when it cannot fork (zygote source).
      const request = {
        id,
        args: warm.args,
        argv0: warm.argv0,
        path0: warm.path0,
        cwd: files.cwd,
        env: payloadEnv,
        stdout: files.stdout,
        stderr: files.stderr,
        ...(identity ? { uid: identity.uid, gid: identity.gid } : {}),
      };
      return new Promise((answer) => {
        starts.set(id, answer);
        holdWhileBusy();
        channel.write(`${JSON.stringify(request)}\n`);
      });
    },
  };
}

let failure: string | undefined;

/** Why a zygote ended or never became warm, once (the next preProcess logs it). */
export function takeWarmFailure(): string | undefined {
  const told = failure;
  failure = undefined;
  return told;
}
