/**
 * What push mode reads back from Slurm and the job directory: `squeue`'s lines, the files the
 * payload's batch script left in `.muon/`, and what a finished batch job means for the job, in
 * DIRAC's words.
 */
import { readFile } from 'node:fs/promises';
import { minorStatus } from '#shared/jobs/status.ts';
import type { PayloadFiles } from './script.ts';

export interface SqueueJob {
  readonly state: string;
  /** The node list, once Slurm placed the job. */
  readonly nodes?: string;
}

/** The squeue format `parseSqueueJobs` reads. */
export const squeueFormat = '%i|%T|%N';

export function parseSqueueJobs(stdout: string): Map<string, SqueueJob> {
  const jobs = new Map<string, SqueueJob>();
  for (const line of stdout.split('\n')) {
    const [id, state, nodes] = line.trim().split('|');
    if (!id || !state) continue;
    const name = state.trim().split(/[\s+]/)[0]?.toUpperCase() ?? '';
    jobs.set(id.trim(), { state: name, ...(nodes?.trim() ? { nodes: nodes.trim() } : {}) });
  }
  return jobs;
}

const waiting = new Set([
  'PENDING',
  'CONFIGURING',
  'REQUEUED',
  'REQUEUE_HOLD',
  'REQUEUE_FED',
  'RESV_DEL_HOLD',
  'SUSPENDED',
  'STOPPED',
]);
const running = new Set(['RUNNING', 'COMPLETING', 'SIGNALING', 'STAGE_OUT', 'RESIZING']);

export type SlurmPhase = 'waiting' | 'running' | 'ended';
/** Unknown states count as ended: the exit code file then decides. */
export const phaseOf = (state: string): SlurmPhase =>
  waiting.has(state) ? 'waiting' : running.has(state) ? 'running' : 'ended';

/** `times` of a POSIX shell: its own, then its children's, user and system time (`0m1.250s`). */
export function parseTimes(text: string): number | undefined {
  const children = text.trim().split('\n')[1];
  if (children === undefined) return undefined;
  const values = [...children.matchAll(/(\d+)m([\d.]+)s/g)].map(
    ([, minutes, seconds]) => Number(minutes) * 60 + Number(seconds),
  );
  if (values.length !== 2 || values.some((value) => !Number.isFinite(value))) return undefined;
  return Math.round(((values[0] ?? 0) + (values[1] ?? 0)) * 100) / 100;
}

/** What the script left: its exit code (when the payload ran to its end) and figures. */
export interface ScriptResult {
  readonly exitCode?: number;
  readonly cpuSeconds?: number;
  readonly wallClockSeconds?: number;
  /** The script refused to run the payload (e.g. no network isolation). */
  readonly error?: string;
}

export type PayloadEnding =
  | {
      readonly kind: 'exit';
      readonly exitCode: number | null;
      readonly signal: string | null;
      readonly limit?: { readonly minorStatus: string; readonly message: string };
    }
  /** Not the payload's doing: the job goes back to its task queue. */
  | { readonly kind: 'reschedule'; readonly reason: string }
  | { readonly kind: 'error'; readonly message: string };

/**
 * What a batch job that ended means. The exit code file wins: the payload ran to its end. Without
 * it: a cancel the pilot asked for (Kill, interrupt, the watchdog) is a signal; Slurm's time limit
 * is DIRAC's wall-clock limit; running out of memory fails the job; a node or Slurm failure, or a
 * cancel by someone else, reschedules it; and a script that could not run the payload is an error.
 */
export function payloadEnding(input: {
  readonly slurmJobId: string;
  readonly state: string;
  readonly cancelRequested: boolean;
  readonly result: ScriptResult;
}): PayloadEnding {
  const { state, result, slurmJobId: id } = input;
  if (result.exitCode !== undefined) return { kind: 'exit', exitCode: result.exitCode, signal: null };
  if (input.cancelRequested) return { kind: 'exit', exitCode: null, signal: 'SIGTERM' };
  if (result.error) return { kind: 'error', message: result.error };
  switch (state) {
    case 'TIMEOUT':
    case 'DEADLINE':
      return {
        kind: 'exit',
        exitCode: null,
        signal: 'SIGKILL',
        limit: {
          minorStatus: minorStatus.exceededWallClockTime,
          message: `Slurm stopped batch job ${id} at its time limit (${state})`,
        },
      };
    case 'OUT_OF_MEMORY':
      return {
        kind: 'exit',
        exitCode: null,
        signal: 'SIGKILL',
        limit: {
          minorStatus: minorStatus.applicationFinishedWithErrors,
          message: `Slurm stopped batch job ${id}: out of memory (OUT_OF_MEMORY)`,
        },
      };
    case 'COMPLETED':
    case 'FAILED':
      return {
        kind: 'error',
        message: `Slurm batch job ${id} ended ${state} without the payload's exit code: is the work directory shared with the compute nodes?`,
      };
    default:
      return { kind: 'reschedule', reason: `Slurm batch job ${id} ended ${state}` };
  }
}

/** What the batch script left in `.muon/`; a file it did not write leaves its field out. */
export async function readResult(files: PayloadFiles): Promise<ScriptResult> {
  const [exitCode, error, times, startedAt, endedAt] = await Promise.all(
    [files.exitCode, files.error, files.times, files.startedAt, files.endedAt].map((path) =>
      readFile(path, 'utf8').then(
        (text) => text.trim(),
        () => undefined,
      ),
    ),
  );
  const code = exitCode !== undefined && /^\d+$/.test(exitCode) ? Number(exitCode) : undefined;
  const cpuSeconds = times === undefined ? undefined : parseTimes(times);
  const wall = Number(endedAt) - Number(startedAt);
  return {
    ...(code !== undefined ? { exitCode: code } : {}),
    ...(error ? { error } : {}),
    ...(cpuSeconds !== undefined ? { cpuSeconds } : {}),
    ...(startedAt && endedAt && Number.isFinite(wall) && wall >= 0
      ? { wallClockSeconds: Math.round(wall * 100) / 100 }
      : {}),
  };
}

/** The last lines of the batch script's own output, for an error message. */
export async function batchOutputTail(path: string): Promise<string | undefined> {
  const text = await readFile(path, 'utf8').catch(() => '');
  const lines = text.trim().split('\n').slice(-5).join(' | ');
  return lines.length > 0 ? `(batch output: ${lines.slice(-500)})` : undefined;
}
