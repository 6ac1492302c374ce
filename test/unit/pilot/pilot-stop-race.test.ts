/**
 * A stop that lands while the pilot asks the matcher: the job the matcher claims for it is handed
 * back (rescheduled) before the pilot ends Done, so the hand-back is never refused as coming from an
 * ended pilot, and the pilot asks nothing more.
 */
import { describe, expect, it } from 'vitest';
import type { MatchedJob } from '#pilot/api.ts';
import { startPilot } from '#pilot/pilot.ts';
import {
  fakeApi,
  fakeNode,
  fakeWrapper,
  fastPilotConfig,
  jobAgent,
  matchedJob,
  until,
} from '#test/unit/pilot/pilot-fakes.ts';

const config = () => fastPilotConfig(60);
const node = fakeNode(2);

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
