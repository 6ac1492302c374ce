/** Running a batch system's command-line tool (sbatch, squeue...) and reading what it printed. */
import { spawn } from 'node:child_process';
import { constants as osConstants } from 'node:os';

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** Killed after `timeoutMs`. */
  readonly timedOut: boolean;
}

export interface CommandOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Killed after this long: a hung client must not hang the site director. */
  readonly timeoutMs: number;
  readonly input?: string;
}

/** A command that could not be started at all (not installed, not executable). */
export class CommandNotFoundError extends Error {}

export function runCommand(program: string, args: readonly string[], options: CommandOptions) {
  return new Promise<CommandResult>((resolve, reject) => {
    const child = spawn(program, args, { env: options.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        error.code === 'ENOENT' || error.code === 'EACCES'
          ? new CommandNotFoundError(
              `${program}: ${error.code === 'ENOENT' ? 'not found' : 'not executable'}`,
              {
                cause: error,
              },
            )
          : error,
      );
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code: code ?? 128 + (signal === null ? 0 : osConstants.signals[signal]),
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        timedOut,
      });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}
