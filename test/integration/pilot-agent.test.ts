/**
 * A pilot in this process against the embedded runtime, with a fake job wrapper (the end-to-end
 * tests with real payloads are in pilot-jobs.test.ts): it registers, pulls jobs, reports their
 * statuses and heartbeats, routes Kill commands, uploads its log and ends Done. The local
 * runtime's pilots (the site director's) are tested in site-director.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '#cli/main.ts';
import { type RunningPilot, startPilot } from '#pilot/pilot.ts';
import type { MuonConfig } from '#shared/config/schema.ts';
import { getJob, hasStatus, jobIdsOf, submitJdl, waitForJob } from '#test/integration/support/jobs.ts';
import { bodyOf, startTestRuntime, type TestRuntime, testConfig } from '#test/integration/support/runtime.ts';
import { fakeWrapper } from '#test/unit/pilot/pilot-fakes.ts';

function config(): MuonConfig {
  const settings = testConfig();
  settings.pilot = {
    ...settings.pilot,
    pollSeconds: 0.2,
    maxPollSeconds: 0.5,
    heartbeatSeconds: 0.3,
    logUploadSeconds: 1,
    graceSeconds: 1,
  };
  return settings;
}

const scratch = mkdtempSync(join(tmpdir(), 'muon-pilot-agent-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const minors = (job: Record<string, unknown>) =>
  (job.LoggingInfo as { MinorStatus: string; Source: string }[])
    .filter((entry) => entry.Source === 'JobWrapper')
    .map((entry) => entry.MinorStatus);

describe('Pilot against the API', () => {
  let runtime: TestRuntime;
  let pilot: RunningPilot;
  const wrapper = fakeWrapper();
  let reference: string;

  beforeAll(async () => {
    const settings = config();
    runtime = await startTestRuntime({ config: settings, scheduleEveryMs: 500 });
    pilot = startPilot({
      config: settings,
      apiUrl: runtime.apiUrl,
      token: runtime.tokens.pilot,
      resources: { cores: 2 },
      workDir: join(scratch, 'pilot'),
      idleStopSeconds: 600,
      startWrapper: wrapper.start,
      ...(process.env.MUON_TEST_LOGS ? { echo: (line: string) => process.stderr.write(`${line}\n`) } : {}),
    });
    reference = await pilot.reference;
  });
  afterAll(async () => {
    await pilot?.stop({ force: true });
    await runtime?.stop();
  });

  it('registers Running at its computing element, with its resources', async () => {
    const info = await bodyOf(
      await runtime.api(`/api/pilots/info?reference=${encodeURIComponent(reference)}`, { as: 'admin' }),
    );
    expect(info).toMatchObject({
      pilotReference: reference,
      site: 'LOCAL.localhost.local',
      gridCE: 'localhost',
      ceType: 'Local',
      status: 'Running',
      resources: expect.objectContaining({ cores: 2 }),
    });
  });

  it('pulls a job, reports its statuses and heartbeats, and flushes its end at once', async () => {
    const [jobId] = await jobIdsOf(
      await submitJdl(runtime, ['Executable = "/bin/sleep"; Arguments = "60";']),
    );
    const running = await waitForJob(
      runtime,
      jobId as number,
      (job) => job.MinorStatus === 'Application',
      30_000,
    );
    expect(running).toMatchObject({ Status: 'Running', Parameters: { Pilot_Reference: reference } });
    // A heartbeat went out with the wrapper's figures.
    await waitForJob(
      runtime,
      jobId as number,
      (job) => (job.Parameters as { CPUConsumed?: number })?.CPUConsumed === 0.5,
    );

    wrapper.jobs.get(jobId as number)?.finish();
    // Within a heartbeat period or two: the end is flushed at once, not with the next heartbeat.
    const done = await waitForJob(runtime, jobId as number, hasStatus('Done'), 10_000);
    expect(minors(done)).toEqual(['Job Initialization', 'Application', 'Execution Complete']);
  });

  it('hands a Kill to the job’s wrapper with the next heartbeat', async () => {
    const [jobId] = await jobIdsOf(
      await submitJdl(runtime, ['Executable = "/bin/sleep"; Arguments = "60";']),
    );
    await waitForJob(runtime, jobId as number, (job) => job.MinorStatus === 'Application', 30_000);
    await runtime.api('/api/jobs/kill', { method: 'POST', json: { job_ids: [jobId] } });
    await vi.waitFor(() => expect(wrapper.jobs.get(jobId as number)?.killed).toBe(true), { timeout: 5000 });
    expect((await getJob(runtime, jobId as number)).body.Status).toBe('Killed');
  });

  it('fills both cores at once', async () => {
    const ids = await jobIdsOf(
      await submitJdl(runtime, [
        'Executable = "/bin/true"; JobName = "a";',
        'Executable = "/bin/true"; JobName = "b";',
      ]),
    );
    await Promise.all(ids.map((id) => waitForJob(runtime, id, hasStatus('Running'), 30_000)));
    expect(ids.every((id) => wrapper.jobs.get(id)?.context.processors === 1)).toBe(true);
    for (const id of ids) wrapper.jobs.get(id)?.finish();
    await Promise.all(ids.map((id) => waitForJob(runtime, id, hasStatus('Done'))));
  });

  it('ends Done when stopped, with its log readable by `muon pilot logs`', async () => {
    await pilot.stop({ reason: 'test over' });
    const info = await bodyOf(
      await runtime.api(`/api/pilots/info?reference=${encodeURIComponent(reference)}`, { as: 'admin' }),
    );
    expect(info).toMatchObject({ status: 'Done', statusReason: 'test over' });

    const printed: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      printed.push(String(chunk));
      return true;
    });
    let code: number;
    try {
      code = await main([
        'node',
        'muon',
        '--api-url',
        runtime.apiUrl,
        '--token',
        runtime.tokens.admin,
        'pilot',
        'logs',
        reference,
      ]);
    } finally {
      write.mockRestore();
    }
    expect(code).toBe(0);
    const log = printed.join('');
    expect(log).toContain('"message":"pilot registered"');
    expect(log).toContain('"message":"job started"');
    expect(log).toContain('"message":"pilot ends"');
  });
});
