import { describe, expect, it } from 'vitest';
import { createSlots, matcherRequest, processorsFor, unlimitedSeconds } from '#pilot/slots.ts';
import { fakeApi, jobAgent, matchedJob, until } from '#test/unit/pilot/pilot-fakes.ts';

const poll = { pollSeconds: 0.01, maxPollSeconds: 0.02, minTimeLeftSeconds: 0 };

describe('Pilot slots', () => {
  it('gives a job its minimum processors, more up to its maximum, every free core for -1', () => {
    expect(processorsFor({ minProcessors: 1, wholeNode: false }, 8)).toBe(1);
    expect(processorsFor({ minProcessors: 2, wholeNode: false }, 8)).toBe(2);
    expect(processorsFor({ minProcessors: 2, maxProcessors: 4, wholeNode: false }, 8)).toBe(4);
    expect(processorsFor({ minProcessors: 2, maxProcessors: 4, wholeNode: false }, 3)).toBe(3);
    expect(processorsFor({ minProcessors: 2, maxProcessors: -1, wholeNode: false }, 6)).toBe(6);
    expect(processorsFor({ minProcessors: 4, wholeNode: false }, 3)).toBeUndefined();
  });

  it('gives a whole-node job every core, and only an empty pilot', () => {
    expect(processorsFor({ minProcessors: 1, wholeNode: true }, 8, 8)).toBe(8);
    expect(processorsFor({ minProcessors: 1, wholeNode: true }, 6, 8)).toBeUndefined();
  });

  it('counts cores and declared memory as jobs take and release them', () => {
    const slots = createSlots(4, 8000);
    slots.take(1, 3, 2000);
    expect([slots.free, slots.freeMemoryMb, slots.running]).toEqual([1, 6000, 1]);
    expect(() => slots.take(2, 2)).toThrow(/1 are free/);
    slots.release(1);
    expect([slots.free, slots.freeMemoryMb, slots.running]).toEqual([4, 8000, 0]);
  });

  it('asks for the free cores, with the CPU work they can do in the time left', () => {
    const slots = createSlots(4, 8000);
    const ask = (timeLeftSeconds: number | undefined) =>
      matcherRequest({
        site: 'LOCAL.localhost.local',
        gridCE: 'localhost',
        pilotReference: 'p',
        slots,
        timeLeftSeconds,
        cpuNormalizationFactor: 2.5,
        tags: ['GPU'],
      });
    expect(ask(3600)).toEqual({
      Site: 'LOCAL.localhost.local',
      GridCE: 'localhost',
      PilotReference: 'p',
      NumberOfProcessors: 4,
      CPUTime: 3600 * 2.5 * 4,
      MaxRAM: 8000,
      WholeNode: true,
      Tag: ['GPU'],
    });
    slots.take(1, 1, 1000);
    expect(ask(undefined)).toMatchObject({
      NumberOfProcessors: 3,
      CPUTime: unlimitedSeconds * 2.5 * 3,
      MaxRAM: 7000,
    });
    expect(ask(undefined).WholeNode).toBeUndefined();
  });

  it('fills its cores with single- and multi-core jobs, and asks again when cores free up', async () => {
    const api = fakeApi([
      matchedJob(1, { minProcessors: 2 }),
      matchedJob(2),
      matchedJob(3, { minProcessors: 2 }),
      matchedJob(4),
      matchedJob(5, { minProcessors: 3 }),
    ]);
    const slots = createSlots(4, 8000);
    const agent = jobAgent(api, { slots, config: poll });
    const { wrapper, running, stop } = agent;
    const taking = agent.taking();

    // 4 free: job 1 (2 cores); 2 free: job 2 (1 core); 1 free: job 3 needs 2, job 4 fits.
    await until(() => running.size === 3);
    expect([...running.keys()]).toEqual([1, 2, 4]);
    expect(slots.free).toBe(0);
    expect(api.requests.map((request) => request.NumberOfProcessors)).toEqual([4, 2, 1]);
    expect(wrapper.jobs.get(1)?.context.processors).toBe(2);

    // Full: no request until a job ends; then the freed cores are offered.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(api.requests).toHaveLength(3);
    wrapper.jobs.get(1)?.finish();
    await until(() => running.has(3));
    expect(api.requests[3]?.NumberOfProcessors).toBe(2);
    expect(slots.free).toBe(0);

    stop.abort(new Error('test over'));
    expect(await taking).toBe('test over');
  });
});
