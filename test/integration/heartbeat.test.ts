import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getJob, hasStatus, jobIdsOf, submitJdl, waitForJob } from '#test/integration/support/jobs.ts';
import { asPilot, type RegisteredPilot, registerPilot } from '#test/integration/support/pilots.ts';
import { bodyOf, startTestRuntime, type TestRuntime } from '#test/integration/support/runtime.ts';

describe('Heartbeats', () => {
  let runtime: TestRuntime;
  let pilot: RegisteredPilot;
  beforeAll(async () => {
    runtime = await startTestRuntime();
    pilot = await registerPilot(runtime);
  });
  afterAll(() => runtime?.stop());

  const matchedJob = async () => {
    const [jobId] = await jobIdsOf(await submitJdl(runtime, ['Executable = "sleep"; JobName = "hb";']));
    await waitForJob(runtime, jobId as number, hasStatus('Waiting'));
    const response = await runtime.api('/api/matcher/request', {
      method: 'POST',
      ...asPilot(pilot),
      json: { Site: 'LOCAL.localhost.local', CPUTime: 1_000_000, JobID: jobId },
    });
    expect((await bodyOf(response)).match).toBe(true);
    return jobId as number;
  };
  const beat = (jobId: number, data: Record<string, unknown> = { CPUConsumed: 1.5, WallClockTime: 2 }) =>
    runtime.api('/api/jobs/heartbeat', { method: 'PATCH', ...asPilot(pilot), json: { [jobId]: data } });

  it('turns a Matched job Running and keeps the figures as job parameters', async () => {
    const jobId = await matchedJob();
    const response = await beat(jobId, {
      CPUConsumed: 1.5,
      MemoryUsed: 120,
      StandardOutput: 'line 1\nline 2',
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual([]);
    const job = (await getJob(runtime, jobId)).body;
    expect(job).toMatchObject({ Status: 'Running', MinorStatus: 'Job Initialization' });
    expect(job.HeartBeatTime).toEqual(expect.any(String));
    expect(job.Parameters).toMatchObject({
      CPUConsumed: 1.5,
      MemoryUsed: 120,
      StandardOutput: 'line 1\nline 2',
    });
    expect((job.LoggingInfo as { Source: string }[]).at(-1)?.Source).toBe('Heartbeat');
  });

  it('delivers a Kill command once, with the next heartbeat', async () => {
    const jobId = await matchedJob();
    await beat(jobId);
    await runtime.api('/api/jobs/kill', { method: 'POST', json: { job_ids: [jobId] } });
    expect(await (await beat(jobId)).json()).toEqual([{ job_id: jobId, command: 'Kill', arguments: '' }]);
    expect(await (await beat(jobId)).json()).toEqual([]);
  });

  it('refuses heartbeats for a job that is not running, and unknown fields', async () => {
    const jobId = await matchedJob();
    const done = { [jobId]: { [new Date().toISOString()]: { Status: 'Done', Source: 'Admin' } } };
    await runtime.api('/api/jobs/status?force=true', { method: 'PATCH', as: 'admin', json: done });
    const response = await beat(jobId);
    expect(response.status).toBe(409);
    expect((await bodyOf(response)).detail).toMatch(/is Done; it is not running/);
    expect((await beat(jobId, { Bogus: 1 })).status).toBe(422);
    expect((await beat(999_999)).status).toBe(404);
  });

  it('refuses heartbeats for a job the matcher did not hand to this pilot', async () => {
    const [jobId] = await jobIdsOf(await submitJdl(runtime, ['Executable = "x";']));
    await waitForJob(runtime, jobId as number, hasStatus('Waiting'));
    const response = await beat(jobId as number);
    expect(response.status).toBe(403);
    expect((await bodyOf(response)).detail).toMatch(/You may not send heartbeats for job/);
  });

  it("refuses heartbeats from the job's owner: only the pilot running it beats", async () => {
    const jobId = await matchedJob();
    const response = await runtime.api('/api/jobs/heartbeat', {
      method: 'PATCH',
      as: 'user',
      json: { [jobId]: { CPUConsumed: 1 } },
    });
    expect(response.status).toBe(403);
    expect((await getJob(runtime, jobId)).body.Status).toBe('Matched');
  });

  it('refuses a heartbeat keyed by anything but a plain decimal job id', async () => {
    const jobId = await matchedJob();
    for (const key of [`0${jobId}`, `${jobId}.0`, ` ${jobId}`, `0x${jobId.toString(16)}`]) {
      const response = await runtime.api('/api/jobs/heartbeat', {
        method: 'PATCH',
        ...asPilot(pilot),
        json: { [key]: { CPUConsumed: 1 } },
      });
      expect(response.status).toBe(422);
      expect(JSON.stringify(await bodyOf(response))).toMatch(/job ids are plain decimal integers/);
    }
  });
});
