/**
 * `muon pilot --push slurm` as a process on an edge node: loads the configuration, runs one push
 * pilot until it ends, and owns the signals. The first SIGTERM or SIGINT drains (no new jobs;
 * payloads in Slurm get `pilot.graceSeconds`, then are cancelled and their jobs rescheduled); a
 * second one cancels them at once. The exit code is 0 when the pilot ended Done, 1 when it failed.
 */
import { processOptions, superviseProcess } from '#pilot/process.ts';
import type { PilotToken } from '#pilot/token.ts';
import type { PushOverrides } from './settings.ts';

export interface PushPilotCommandOptions extends PushOverrides {
  readonly apiUrl: string;
  readonly token: PilotToken;
  /** Path of the configuration document. */
  readonly config: string;
  readonly idleStopSeconds?: number;
  /** Do not echo the log to stderr (the pilot's own log file always gets it). */
  readonly quiet?: boolean;
}

/** The batch systems push mode can hand payloads to. */
export const pushTargets = ['slurm'] as const;

export async function runPushPilotFromCli(options: PushPilotCommandOptions): Promise<number> {
  // Loaded on use: the pull pilot does not need push mode's modules.
  const { startPushPilot } = await import('./push-pilot.ts');
  const { config: path, quiet, ...rest } = options;
  const pilot = startPushPilot({ ...rest, ...processOptions(path, quiet) });
  return superviseProcess(pilot, 'muon pilot --push');
}
