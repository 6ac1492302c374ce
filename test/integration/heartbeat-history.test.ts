/**
 * A job's heartbeat history (`GET /api/jobs/{jobId}/heartbeats`, DIRAC's HeartBeatLoggingInfo):
 * every accepted beat's figures in time order, for its owner; the beats stay out of job searches.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasStatus, jobIdsOf, submitJdl, waitForJob } from '#test/integration/support/jobs.ts';
import { asPilot, type RegisteredPilot, registerPilot } from '#test/integration/support/pilots.ts';
import {
  asOtherUser,
  bodyOf,
  startTestRuntime,
  type TestRuntime,
} from '#test/integration/support/runtime.ts';

describe('Heartbeat history', () => {
  let runtime: TestRuntime;
  let pilot: RegisteredPilot;
  let jobId: number;
  beforeAll(async () => {
    runtime = await startTestRuntime({ prefix: 'hb-history' });
    pilot = await registerPilot(runtime);
    [jobId] = (await jobIdsOf(await submitJdl(runtime, ['Executable = "sleep"; JobName = "plotted";']))) as [
      number,
    ];
    await waitForJob(runtime, jobId, hasStatus('Waiting'));
    const match = await runtime.api('/api/matcher/request', {
      method: 'POST',
      ...asPilot(pilot),
      json: { Site: 'LOCAL.localhost.local', CPUTime: 1_000_000, JobID: jobId },
    });
    expect((await bodyOf(match)).match).toBe(true);
  });
  afterAll(() => runtime?.stop());

  const beat = (data: Record<string, unknown>) =>
    runtime.api('/api/jobs/heartbeat', { method: 'PATCH', ...asPilot(pilot), json: { [jobId]: data } });

  it("keeps every beat's figures, in time order, without the payload's output", async () => {
    expect(await runtime.api(`/api/jobs/${jobId}/heartbeats`).then((r) => r.json())).toEqual([]);
    for (const [cpu, memory] of [
      [1, 100],
      [2.5, 180],
      [4, 150],
    ] as const) {
      expect(
        (await beat({ CPUConsumed: cpu, MemoryUsed: memory, WallClockTime: cpu * 2, StandardOutput: 'x' }))
          .status,
      ).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const response = await runtime.api(`/api/jobs/${jobId}/heartbeats`);
    expect(response.status).toBe(200);
    const beats = (await response.json()) as Record<string, unknown>[];
    expect(beats.map(({ Time: _time, ...figures }) => figures)).toEqual([
      { CPUConsumed: 1, MemoryUsed: 100, WallClockTime: 2 },
      { CPUConsumed: 2.5, MemoryUsed: 180, WallClockTime: 5 },
      { CPUConsumed: 4, MemoryUsed: 150, WallClockTime: 8 },
    ]);
    const times = beats.map((b) => Date.parse(b.Time as string));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });

  it('shows them only to who may read the job, and keeps them out of searches', async () => {
    expect(
      (await runtime.api(`/api/jobs/${jobId}/heartbeats`, await asOtherUser(runtime, 'bob'))).status,
    ).toBe(403);
    expect((await runtime.api(`/api/jobs/${jobId}/heartbeats`, { as: 'admin' })).status).toBe(200);
    expect((await runtime.api('/api/jobs/999999/heartbeats')).status).toBe(404);
    const search = await runtime.api('/api/jobs/search', {
      method: 'POST',
      json: { search: [{ parameter: 'JobName', operator: 'eq', value: 'plotted' }] },
    });
    expect((await search.json()) as unknown[]).toHaveLength(1);
  });
});
