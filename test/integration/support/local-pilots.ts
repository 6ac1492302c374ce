/**
 * Setup shared by the tests that run Local pilot processes through the SiteDirector on the embedded
 * runtime: pilots that poll fast, an element status read every cycle, rescheduled jobs sent back at
 * once, and a whole pilot killed as a node failure or the OOM killer would.
 */
import type { MuonConfig } from '#shared/config/schema.ts';
import { testConfig } from '#test/integration/support/runtime.ts';

type StalledJobsSettings = MuonConfig['agents']['stalledJobs'];

/** The test config for Local pilots beating every `heartbeatSeconds`, with the StalledJobs agent's `stalledJobs` settings. */
export function localPilotsConfig(
  heartbeatSeconds: number,
  stalledJobs: Partial<StalledJobsSettings>,
): MuonConfig {
  const settings = testConfig();
  settings.pilot = {
    ...settings.pilot,
    pollSeconds: 0.3,
    maxPollSeconds: 0.5,
    heartbeatSeconds,
    logUploadSeconds: 1,
    graceSeconds: 1,
  };
  settings.jobs = { ...settings.jobs, rescheduleDelays: [0] };
  settings.agents = {
    ...settings.agents,
    siteDirector: { ...settings.agents.siteDirector, pilotStatusUpdateCycles: 1 },
    stalledJobs: { ...settings.agents.stalledJobs, ...stalledJobs },
  };
  return settings;
}

/** Kills a Local pilot's process group (`local://…/<pid>`), wrapper and payload included. */
export const killLocalPilot = (reference: string): void => {
  process.kill(-Number(reference.split('/').at(-1)), 'SIGKILL');
};
