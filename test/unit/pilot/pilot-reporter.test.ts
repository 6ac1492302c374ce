import { describe, expect, it } from 'vitest';
import type { WrapperHandle } from '#pilot/api.ts';
import { createReporter } from '#pilot/reporter.ts';
import { ApiCallError } from '#pilot/retry.ts';
import { fakeApi, quietLogger, until } from '#test/unit/pilot/pilot-fakes.ts';

const t0 = Date.parse('2026-01-02T03:04:05.006Z');
const clock = (start = t0) => {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
};
const handle = (jobId: number, calls: string[] = []): WrapperHandle => ({
  jobId,
  heartbeat: () => ({ CPUConsumed: jobId, WallClockTime: 2 }),
  kill: () => calls.push(`kill:${jobId}`),
  interrupt: () => calls.push(`interrupt:${jobId}`),
  done: new Promise(() => undefined),
});

describe('Pilot reporter', () => {
  it('stamps each update with the time of the call, keeping one millisecond apart per job', async () => {
    const api = fakeApi();
    const time = clock();
    const reporter = createReporter({ api, logger: quietLogger(), now: time.now });
    const job = reporter.forJob(7);
    job.status({ Status: 'Running', MinorStatus: 'Job Initialization' });
    job.status({ MinorStatus: 'Downloading InputSandbox' });
    job.status({ MinorStatus: 'Application' });
    time.advance(10);
    job.status({ Status: 'Completing', MinorStatus: 'Application Finished Successfully' });
    reporter.forJob(8).status({ Status: 'Running', MinorStatus: 'Job Initialization' });
    await reporter.flush();

    expect(api.statusBodies).toEqual([
      {
        '7': {
          '2026-01-02T03:04:05.006Z': {
            Status: 'Running',
            MinorStatus: 'Job Initialization',
            Source: 'JobWrapper',
          },
          '2026-01-02T03:04:05.007Z': { MinorStatus: 'Downloading InputSandbox', Source: 'JobWrapper' },
          '2026-01-02T03:04:05.008Z': { MinorStatus: 'Application', Source: 'JobWrapper' },
          '2026-01-02T03:04:05.016Z': {
            Status: 'Completing',
            MinorStatus: 'Application Finished Successfully',
            Source: 'JobWrapper',
          },
        },
        // Another job's clock is its own.
        '8': {
          '2026-01-02T03:04:05.016Z': {
            Status: 'Running',
            MinorStatus: 'Job Initialization',
            Source: 'JobWrapper',
          },
        },
      },
    ]);
  });

  it('sends every job in one status request, then the running wrappers in one heartbeat request', async () => {
    const api = fakeApi();
    const reporter = createReporter({ api, logger: quietLogger() });
    for (const jobId of [1, 2, 3]) reporter.forJob(jobId).status({ MinorStatus: 'Application' });
    await reporter.cycle(new Map([1, 2].map((jobId) => [jobId, handle(jobId)])));

    expect(api.calls).toEqual(['statuses', 'heartbeats']);
    expect(Object.keys(api.statusBodies[0] ?? {})).toEqual(['1', '2', '3']);
    expect(api.heartbeatBodies).toEqual([
      { '1': { CPUConsumed: 1, WallClockTime: 2 }, '2': { CPUConsumed: 2, WallClockTime: 2 } },
    ]);
    await reporter.cycle(new Map());
    // Nothing queued and nothing running: no request at all.
    expect(api.calls).toEqual(['statuses', 'heartbeats']);
  });

  it('keeps updates whose send failed, and sends them with the later ones, in their true order', async () => {
    const api = fakeApi();
    const time = clock();
    const reporter = createReporter({ api, logger: quietLogger(), now: time.now });
    const job = reporter.forJob(5);
    job.status({ Status: 'Running', MinorStatus: 'Application' });
    api.statusFailures.push(ApiCallError.answered('PATCH /api/jobs/status', 503, 'unavailable'));
    await reporter.cycle(new Map());
    expect(reporter.pending()).toBe(1);

    time.advance(1000);
    job.status({ Status: 'Done', MinorStatus: 'Execution Complete' });
    await reporter.cycle(new Map());
    expect(reporter.pending()).toBe(0);
    expect(api.statusBodies).toEqual([
      {
        '5': {
          '2026-01-02T03:04:05.006Z': { Status: 'Running', MinorStatus: 'Application', Source: 'JobWrapper' },
          '2026-01-02T03:04:06.006Z': {
            Status: 'Done',
            MinorStatus: 'Execution Complete',
            Source: 'JobWrapper',
          },
        },
      },
    ]);
  });

  it('keeps updates when the API cannot be reached at all', async () => {
    const api = fakeApi();
    const reporter = createReporter({ api, logger: quietLogger() });
    reporter.forJob(5).status({ MinorStatus: 'Application' });
    api.statusFailures.push(ApiCallError.unreachable('PATCH /api/jobs/status', new Error('ECONNREFUSED')));
    await reporter.forJob(5).flush();
    expect(reporter.pending()).toBe(1);
    await reporter.forJob(5).flush();
    expect(reporter.pending()).toBe(0);
  });

  it('keeps the updates of jobs the API answered it did not reach (its time budget, its store)', async () => {
    const api = fakeApi();
    const reporter = createReporter({ api, logger: quietLogger() });
    reporter.forJob(5).status({ MinorStatus: 'Application' });
    reporter.forJob(6).status({ MinorStatus: 'Application' });
    const send = api.sendStatuses;
    api.sendStatuses = async (updates) => {
      await send(updates);
      return {
        success: { 5: { Status: 'Running' } },
        failed: { 6: { code: 'not_attempted', detail: 'Job 6 was not changed' } },
      };
    };
    await reporter.flush();
    expect(reporter.pending()).toBe(1);
    api.sendStatuses = send;
    await reporter.flush();
    expect(reporter.pending()).toBe(0);
    expect(Object.keys(api.statusBodies.at(-1) ?? {})).toEqual(['6']);
  });

  it('drops only the refused job’s updates when the API refuses a batch', async () => {
    const api = fakeApi();
    const lines: string[] = [];
    const reporter = createReporter({ api, logger: quietLogger(lines) });
    reporter.forJob(1).status({ Status: 'Running', MinorStatus: 'Application' });
    reporter.forJob(2).status({ Status: 'Running', MinorStatus: 'Application' });
    // The batch is refused; sent again job by job, job 1 is refused and job 2 goes through.
    api.statusFailures.push(
      ApiCallError.answered('PATCH /api/jobs/status', 409, { detail: 'job 1 is Killed' }),
      ApiCallError.answered('PATCH /api/jobs/status', 409, { detail: 'job 1 is Killed' }),
    );
    await reporter.flush();
    expect(reporter.pending()).toBe(0);
    expect(api.statusBodies).toEqual([{ '2': expect.any(Object) }]);
    expect(lines.some((line) => line.includes('dropped') && line.includes('"jobId":1'))).toBe(true);
  });

  it('hands Kill commands to the wrapper of that job only', async () => {
    const api = fakeApi();
    const calls: string[] = [];
    const reporter = createReporter({ api, logger: quietLogger() });
    api.commands = [
      { job_id: 2, command: 'Kill' },
      { job_id: 9, command: 'Kill' },
    ];
    await reporter.cycle(new Map([1, 2].map((jobId) => [jobId, handle(jobId, calls)])));
    expect(calls).toEqual(['kill:2']);
  });

  it('flushes one job at once, without the others, and never overlaps two requests', async () => {
    const api = fakeApi();
    let inFlight = 0;
    let most = 0;
    const send = api.sendStatuses;
    api.sendStatuses = async (updates) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 10));
      await send(updates);
      inFlight -= 1;
    };
    const reporter = createReporter({ api, logger: quietLogger() });
    reporter.forJob(1).status({ MinorStatus: 'Application' });
    reporter.forJob(2).status({ MinorStatus: 'Application' });
    reporter.forJob(3).status({ MinorStatus: 'Application' });
    const cycle = reporter.cycle(new Map());
    await until(() => inFlight === 1);
    reporter.forJob(4).status({ MinorStatus: 'Application' });
    reporter.forJob(5).status({ MinorStatus: 'Application' });
    reporter.forJob(6).status({ MinorStatus: 'Application' });
    // Asked while the cycle's request is in flight: jobs 4 and 5 go together in the next one.
    await Promise.all([cycle, reporter.forJob(4).flush(), reporter.forJob(5).flush()]);

    expect(most).toBe(1);
    expect(api.statusBodies.map((body) => Object.keys(body))).toEqual([
      ['1', '2', '3'],
      ['4', '5'],
    ]);
    expect(reporter.pending()).toBe(1);
  });
});
