/**
 * `muon pilot --push slurm` as a process on an edge node: loads the configuration, runs one push
 * pilot until it ends, and owns the signals. The first SIGTERM or SIGINT drains (no new jobs;
 * payloads in Slurm get `pilot.graceSeconds`, then are cancelled and their jobs rescheduled); a
 * second one cancels them at once. The exit code is 0 when the pilot ended Done, 1 when it failed.
 */
import { dirname, resolve } from 'node:path';
import { superviseProcess } from '#pilot/process.ts';
import type { PilotToken } from '#pilot/token.ts';
import { loadConfigFile } from '#shared/config/load.ts';
import { parseLogLevel } from '#shared/log.ts';
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
  const config = loadConfigFile(options.config);
  const { apiUrl, token, config: _path, quiet, ...rest } = options;
  const pilot = startPushPilot({
    ...rest,
    config,
    configDir: dirname(resolve(options.config)),
    apiUrl,
    token,
    logLevel: parseLogLevel(process.env.MUON_LOG_LEVEL),
    ...(quiet ? {} : { echo: (line: string) => process.stderr.write(`${line}\n`) }),
  });
  return superviseProcess(pilot, 'muon pilot --push');
}
