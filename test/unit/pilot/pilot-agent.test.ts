import { describe, expect, it } from 'vitest';
import type { WrapperHandle } from '#pilot/api.ts';
import { drainJobs } from '#pilot/job-agent.ts';
import { createIdleClock, createWakeUps, pollWaitSeconds } from '#pilot/polling.ts';
import { ApiCallError } from '#pilot/retry.ts';
import { createSlots } from '#pilot/slots.ts';
import { fakeApi, jobAgent, matchedJob, quietLogger, until } from '#test/unit/pilot/pilot-fakes.ts';

describe('Pilot polling', () => {
  it('waits longer after each empty answer in a row, up to maxPollSeconds', () => {
    const config = { pollSeconds: 20, maxPollSeconds: 120 };
    expect([1, 2, 3, 6, 7, 50].map((n) => pollWaitSeconds(n, config))).toEqual([20, 40, 60, 120, 120, 120]);
    expect(pollWaitSeconds(3, { pollSeconds: 30, maxPollSeconds: 10 })).toBe(30);
  });

  it('counts idle time from the last job', () => {
    let now = 0;
    const idle = createIdleClock(10, () => now);
    now = 4000;
    expect(idle.remainingMs()).toBe(6000);
    idle.busy();
    now = 9000;
    expect(idle.remainingMs()).toBe(5000);
  });
});

describe('Job agent', () => {
  it('backs off when the matcher has nothing, and stops after idleStopSeconds', async () => {
    const api = fakeApi();
    const { taking } = jobAgent(api, { idleStopSeconds: 0.3 });
    const started = Date.now();
    expect(await taking()).toBe('no work for 0.3 s');
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    const gaps = api.requestTimes.slice(1).map((time, i) => time - (api.requestTimes[i] as number));
    // 20, 40, then 60 ms (the cap) between requests, the last one cut short by the idle stop:
    // about 7 requests in 0.3 s, not 15.
    expect(gaps[0]).toBeGreaterThanOrEqual(18);
    expect(gaps[1]).toBeGreaterThanOrEqual(38);
    expect(gaps.slice(2, -1).every((gap) => gap >= 58)).toBe(true);
    expect(api.requests.length).toBeLessThanOrEqual(8);
  });

  it('takes a job at once when woken, well before its backoff would have it ask again', async () => {
    const api = fakeApi();
    const wakeUps = createWakeUps();
    // A 10 s backoff after the first empty answer: without a wake-up the job would wait 10 s.
    const { taking, running, stop } = jobAgent(api, {
      config: { pollSeconds: 10, maxPollSeconds: 60, minTimeLeftSeconds: 100 },
      wakeUps,
    });
    const result = taking();
    await until(() => api.requests.length === 1);
    api.queue.push(matchedJob(7));
    const woken = Date.now();
    wakeUps.wake();
    await until(() => running.has(7), 2000);
    expect(Date.now() - woken).toBeLessThan(2000);
    stop.abort(new Error('test over'));
    expect(await result).toBe('test over');
  });

  it('keeps its backoff when nobody wakes it', async () => {
    const api = fakeApi();
    const { taking, stop } = jobAgent(api, {
      config: { pollSeconds: 10, maxPollSeconds: 60, minTimeLeftSeconds: 100 },
    });
    const result = taking();
    await until(() => api.requests.length === 1);
    api.queue.push(matchedJob(7));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(api.requests).toHaveLength(1);
    stop.abort(new Error('test over'));
    await result;
  });

  it('is not idle while jobs run, and counts idle time again from the last one’s end', async () => {
    const api = fakeApi([matchedJob(1)]);
    const { taking, wrapper, running } = jobAgent(api, { idleStopSeconds: 0.15 });
    const result = taking();
    await until(() => running.size === 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(running.size).toBe(1);
    const ended = Date.now();
    wrapper.jobs.get(1)?.finish();
    expect(await result).toBe('no work for 0.15 s');
    expect(Date.now() - ended).toBeGreaterThanOrEqual(140);
  });

  it('asks for the CPU work of its time left, and takes no job with less than minTimeLeftSeconds left', async () => {
    const api = fakeApi([matchedJob(1), matchedJob(2)]);
    const left = [1000, 99];
    const { taking, running } = jobAgent(api, { timeLeft: async () => left.shift() ?? 0 });
    expect(await taking()).toBe('99 s left, less than pilot.minTimeLeftSeconds (100 s)');
    expect(api.requests).toEqual([expect.objectContaining({ CPUTime: 1000 * 2 * 2, NumberOfProcessors: 2 })]);
    expect([...running.keys()]).toEqual([1]);
  });

  it('stops taking jobs after --max-jobs', async () => {
    const api = fakeApi([matchedJob(1), matchedJob(2), matchedJob(3)]);
    const { taking, running } = jobAgent(api, { maxJobs: 2, slots: createSlots(4, 0) });
    expect(await taking()).toBe('it started 2 jobs, its maximum');
    expect([...running.keys()]).toEqual([1, 2]);
    expect(api.queue).toHaveLength(1);
  });

  it('reschedules a job whose wrapper does not start', async () => {
    const api = fakeApi([matchedJob(1, { minProcessors: 1, wholeNode: true })]);
    const { taking, running, stop } = jobAgent(api, {
      startWrapper: () => {
        throw new Error('no cwltool');
      },
    });
    const result = taking();
    await until(() => api.rescheduled.length === 1);
    expect(running.size).toBe(0);
    stop.abort(new Error('SIGTERM received'));
    expect(await result).toBe('SIGTERM received');
  });

  it('stops the pilot when the matcher refuses its request, but retries when it cannot be reached', async () => {
    const api = fakeApi();
    api.requestFailure = ApiCallError.unreachable('POST /api/matcher/request', new Error('ECONNRESET'));
    const { taking } = jobAgent(api, { idleStopSeconds: 0.1 });
    expect(await taking()).toBe('no work for 0.1 s');
    expect(api.requests.length).toBeGreaterThan(1);

    const refused = fakeApi();
    refused.requestFailure = ApiCallError.answered('POST /api/matcher/request', 403, {
      detail: 'pilot ended',
    });
    await expect(jobAgent(refused).taking()).rejects.toThrow(/refused the pilot's request.*403/);
  });
});

describe('Draining', () => {
  const drain = (
    running: Map<number, WrapperHandle>,
    stop: AbortController,
    force = new AbortController(),
    graceSeconds = 0.1,
  ) =>
    drainJobs({
      running,
      stop: stop.signal,
      force: force.signal,
      graceSeconds,
      interruptSeconds: 1,
      logger: quietLogger(),
    });

  async function runningJobs(count: number) {
    const api = fakeApi(Array.from({ length: count }, (_, i) => matchedJob(i + 1)));
    const setup = jobAgent(api, { slots: createSlots(count, 0) });
    const taking = setup.taking();
    await until(() => setup.running.size === count);
    return { ...setup, api, taking };
  }

  it('lets running jobs finish when the pilot stops on its own', async () => {
    const { running, wrapper, stop, taking } = await runningJobs(2);
    const stopping = new AbortController();
    stop.abort(new Error('max jobs'));
    await taking;
    const drained = drain(running, stopping);
    setTimeout(() => {
      for (const job of wrapper.jobs.values()) job.finish();
    }, 200);
    await drained;
    expect([...wrapper.jobs.values()].map((job) => job.interrupted)).toEqual([undefined, undefined]);
  });

  it('interrupts the jobs still running after the grace period when asked to stop', async () => {
    const { running, wrapper, stop, taking, api } = await runningJobs(2);
    wrapper.jobs.get(1)?.finish();
    stop.abort(new Error('SIGTERM received'));
    await taking;
    await drain(running, stop);
    expect(wrapper.jobs.get(1)?.interrupted).toBeUndefined();
    expect(wrapper.jobs.get(2)?.interrupted).toBe('the pilot stopped (SIGTERM received)');
    expect(api.rescheduled).toEqual([2]);
  });

  it('interrupts at once when forced', async () => {
    const { running, wrapper, stop, taking } = await runningJobs(1);
    stop.abort(new Error('SIGTERM received'));
    await taking;
    const force = new AbortController();
    const started = Date.now();
    const drained = drain(running, stop, force, 30);
    force.abort();
    await drained;
    // Well within the 30 s grace period.
    expect(Date.now() - started).toBeLessThan(5000);
    expect(wrapper.jobs.get(1)?.interrupted).toMatch(/SIGTERM/);
  });
});
