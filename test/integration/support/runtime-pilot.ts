/**
 * The embedded runtime with one real pilot on it, for the tests whose jobs really run (the CLI's
 * and the Python client's against pilot payloads): the runtime schedules every half second, the
 * pilot stays up for the whole file and is stopped, then the runtime, when the file ends.
 */
import { join, resolve } from 'node:path';
import { startPilot } from '#pilot/pilot.ts';
import type { MuonConfig } from '#shared/config/schema.ts';
import { startTestRuntime, type TestRuntime } from '#test/integration/support/runtime.ts';

export interface RuntimeWithPilot {
  readonly runtime: TestRuntime;
  /** Stops the pilot (by force), then the runtime. */
  stop(): Promise<void>;
}

/** A runtime with `config` and a registered pilot of `cores` cores working under `scratch`/pilot. */
export async function startRuntimeWithPilot(
  config: MuonConfig,
  options: { cores: number; scratch: string },
): Promise<RuntimeWithPilot> {
  const runtime = await startTestRuntime({ config, scheduleEveryMs: 500 });
  const pilot = startPilot({
    config,
    configDir: resolve('config'),
    apiUrl: runtime.apiUrl,
    token: runtime.tokens.pilot,
    resources: { cores: options.cores },
    workDir: join(options.scratch, 'pilot'),
    idleStopSeconds: 3600,
  });
  const stop = async () => {
    await pilot.stop({ force: true });
    await runtime.stop();
  };
  try {
    await pilot.reference;
  } catch (error) {
    await stop();
    throw error;
  }
  return { runtime, stop };
}
