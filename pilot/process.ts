/**
 * A pilot as a process (`muon pilot`, `muon pilot --push`): it owns the signals until the pilot
 * ends. The first SIGTERM or SIGINT drains (no new jobs; running ones get `pilot.graceSeconds`,
 * then are interrupted and rescheduled); a second one interrupts them at once. SIGUSR2 asks the
 * matcher at once (the embedded runtime's wake-up when a job waits, shared/ce/local.ts).
 */
import { dirname, resolve } from 'node:path';
import type { RunningPilot } from '#pilot/lifecycle.ts';
import { payloadIdsFromEnvironment } from '#pilot/wrapper/isolation.ts';
import { loadConfigFile } from '#shared/config/load.ts';
import { parseLogLevel } from '#shared/log.ts';

/**
 * What a pilot process gives its pilot: the configuration at `path` and its directory, the log
 * level of MUON_LOG_LEVEL, the first uid of a root pilot's payloads (MUON_PAYLOAD_UID_BASE), and
 * the log on stderr too unless `quiet`.
 */
export const processOptions = (path: string, quiet: boolean | undefined) => ({
  config: loadConfigFile(path),
  ...payloadIdsFromEnvironment(process.env),
  configDir: dirname(resolve(path)),
  logLevel: parseLogLevel(process.env.MUON_LOG_LEVEL),
  ...(quiet ? {} : { echo: (line: string) => process.stderr.write(`${line}\n`) }),
});

/** Waits for `pilot` to end: 0 when it ended Done, 1 (the reason on stderr after `command`) when it failed. */
export async function superviseProcess(pilot: RunningPilot, command: string): Promise<number> {
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    void pilot.stop({ reason: `${signal} received`, force: signals > 1 });
  };
  const onWake = () => pilot.wake();
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('SIGUSR2', onWake);
  try {
    await pilot.done;
    return 0;
  } catch (error) {
    process.stderr.write(`${command}: ${(error as Error).message}\n`);
    return 1;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    process.off('SIGUSR2', onWake);
  }
}
