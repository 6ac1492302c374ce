/**
 * A stop that lands while the pilot asks the matcher: the job the matcher claims for it is handed
 * back (rescheduled) before the pilot ends Done, so the hand-back is never refused as coming from an
 * ended pilot, and the pilot asks nothing more.
 */
import { describe, expect, it } from 'vitest';
import type { MatchedJob } from '#pilot/api.ts';
import { startPilot } from '#pilot/pilot.ts';
import type { NodeProbe } from '#pilot/resources.ts';
import { loadConfigFile } from '#shared/config/load.ts';
import type { MuonConfig } from '#shared/config/schema.ts';
import { fakeApi, fakeWrapper, jobAgent, matchedJob, until } from '#test/unit/pilot/pilot-fakes.ts';

function config(): MuonConfig {
  const settings = loadConfigFile('config/muon.yaml');
  settings.pilot = {
    ...settings.pilot,
    pollSeconds: 0.02,
    maxPollSeconds: 0.05,
    idleStopSeconds: 60,
    heartbeatSeconds: 0.05,
    logUploadSeconds: 0.1,
    graceSeconds: 0.1,
  };
  return settings;
}

const node: NodeProbe = {
  env: {},
  readFile: () => undefined,
  run: async () => '',
  freeDiskBytes: async () => 10 * 1024 ** 3,
  totalMemoryBytes: () => 8 * 1024 ** 3,
  cpus: () => 2,
  hostname: () => 'node1',
};

/** A fake API whose next matcher request answers `job` only when the test says, and whose reschedule takes `rescheduleMs`. */
function slowApi(job: MatchedJob, rescheduleMs: number) {
  const api = fakeApi();
  let answer: (job: MatchedJob) => void = () => undefined;
  const asked = api.requestJob.bind(api);
  let first = true;
  api.requestJob = async (request) => {
    if (!first) return asked(request);
    first = false;
    api.calls.push('request');
    return new Promise<MatchedJob>((resolve) => {
      answer = resolve;
    });
  };
  api.reschedule = async (jobIds) => {
    api.calls.push('reschedule');
    await new Promise((resolve) => setTimeout(resolve, rescheduleMs));
    api.rescheduled.push(...jobIds);
    api.calls.push('rescheduled');
  };
  return { api, answer: () => answer(job) };
}

describe('A stop racing a matcher request', () => {
  it('hands the job back before the job agent returns', async () => {
    const { api, answer } = slowApi(matchedJob(7), 150);
    const { taking, stop, running } = jobAgent(api);
    const result = taking();
    await until(() => api.calls.includes('request'));
    stop.abort(new Error('SIGTERM received'));
    answer();
    expect(await result).toBe('SIGTERM received');
    expect(api.rescheduled).toEqual([7]);
    expect(running.size).toBe(0);
  });

  it('does not ask the matcher once stopped, even when the stop lands as it reads its time left', async () => {
    const api = fakeApi([matchedJob(7)]);
    let reading: () => void = () => undefined;
    const { taking, stop } = jobAgent(api, {
      timeLeft: () =>
        new Promise((resolve) => {
          reading = () => resolve(undefined);
        }),
    });
    const result = taking();
    await new Promise((resolve) => setTimeout(resolve, 20));
    stop.abort(new Error('SIGTERM received'));
    reading();
    expect(await result).toBe('SIGTERM received');
    expect(api.requests).toEqual([]);
    expect(api.rescheduled).toEqual([]);
  });

  it('ends the pilot Done only after the hand-back, asking nothing more', async () => {
    const { api, answer } = slowApi(matchedJob(7), 150);
    const wrapper = fakeWrapper();
    const pilot = startPilot({ config: config(), api, startWrapper: wrapper.start, probe: node });
    await until(() => api.calls.includes('request'));
    const stopped = pilot.stop({ reason: 'SIGTERM received' });
    answer();
    await stopped;
    expect(wrapper.jobs.size).toBe(0);
    expect(api.calls.filter((call) => call === 'request')).toHaveLength(1);
    expect(api.calls.indexOf('rescheduled')).toBeGreaterThan(-1);
    expect(api.calls.indexOf('rescheduled')).toBeLessThan(api.calls.indexOf('status:Done'));
    expect(api.pilotStatuses.at(-1)).toEqual({ status: 'Done', reason: 'SIGTERM received' });
  });
});
