/**
 * `muon pilot` as a process (a batch job, a container, a terminal): loads the configuration, runs
 * one pilot until it ends, and owns the signals. The first SIGTERM or SIGINT drains (no new jobs;
 * running ones get `pilot.graceSeconds`, then are interrupted and rescheduled); a second one
 * interrupts them at once. The exit code is 0 when the pilot ended Done, 1 when it failed.
 */
import { startPilot } from '#pilot/pilot.ts';
import { processOptions, superviseProcess } from '#pilot/process.ts';
import type { ResourceOverrides } from '#pilot/resources.ts';
import type { PilotToken } from '#pilot/token.ts';

export interface PilotCommandOptions {
  readonly apiUrl: string;
  readonly token: PilotToken;
  readonly config: string;
  readonly site?: string;
  readonly ce?: string;
  readonly reference?: string;
  readonly resources: ResourceOverrides;
  readonly workDir?: string;
  readonly maxJobs?: number;
  readonly idleStopSeconds?: number;
  /** Log lines also go to stderr (the pilot's own log file always gets them). */
  readonly quiet?: boolean;
}

export async function runPilotProcess(options: PilotCommandOptions): Promise<number> {
  const { config: path, quiet, ...rest } = options;
  const pilot = startPilot({ ...rest, ...processOptions(path, quiet) });
  return superviseProcess(pilot, 'muon pilot');
}
