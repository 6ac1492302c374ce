/**
 * The StalledJobs agent on the embedded runtime: jobs on pilots that go quiet become Stalled, and
 * are rescheduled when their pilot is gone or failed when they stay stalled; jobs left in Matched
 * are rescheduled; a run bounded by maxJobsPerRun leaves the rest for the next run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findStalledJobs, type StalledJobsSettings } from '#shared/agents/stalled-jobs.ts';
import { createDispatcher } from '#shared/executors/dispatch.ts';
import { createJobRepository } from '#shared/jobs/repository.ts';
import { getJob, hasStatus, submitWaiting, waitForJob } from '#test/integration/support/jobs.ts';
import { asPilot, type RegisteredPilot, registerPilot } from '#test/integration/support/pilots.ts';
import { startTestRuntime, type TestRuntime, testConfig } from '#test/integration/support/runtime.ts';

const site = 'LOCAL.localhost.local';

describe('StalledJobs agent', () => {
  let runtime: TestRuntime;

  /** One run of the agent as of `seconds` from now, with these settings changed. */
  const agentAt = (seconds: number, settings: Partial<StalledJobsSettings> = {}) => {
    const { deps } = runtime;
    const config = {
      ...deps.config,
      agents: { ...deps.config.agents, stalledJobs: { ...deps.config.agents.stalledJobs, ...settings } },
    };
    const dispatch = createDispatcher(runtime.aws.sqs, runtime.resources);
    return findStalledJobs({
      config,
      dynamo: runtime.aws.dynamo,
      jobsTable: runtime.resources.tables.jobs as string,
      countersTable: runtime.resources.tables.counters as string,
      pilotsTable: runtime.resources.tables.pilots as string,
      jobs: createJobRepository(deps),
      startChain: (ids) => dispatch('JobPath', ids),
      now: () => new Date(Date.now() + seconds * 1000),
      logger: deps.logger,
    });
  };

  /** Jobs that only a pilot offering `tag` matches, Waiting in their task queue. */
  const waitingJobs = (tag: string, count = 1) =>
    submitWaiting(runtime, `Executable = "echo"; JobName = "${tag}"; Tags = {"${tag}"};`, count);
  const match = async (pilot: RegisteredPilot, tag: string) => {
    const response = await runtime.api('/api/matcher/request', {
      method: 'POST',
      ...asPilot(pilot),
      json: { Site: site, CPUTime: 86_400, Tag: [tag] },
    });
    const answer = (await response.json()) as { match: boolean; job?: { JobID: number } };
    expect(answer.match, JSON.stringify(answer)).toBe(true);
    return answer.job?.JobID as number;
  };
  const report = async (pilot: RegisteredPilot, jobId: number, status: string, minor: string) => {
    const response = await runtime.api('/api/jobs/status', {
      method: 'PATCH',
      ...asPilot(pilot),
      json: {
        [jobId]: { [new Date().toISOString()]: { Status: status, MinorStatus: minor, Source: 'JobWrapper' } },
      },
    });
    expect(response.status, await response.text()).toBe(200);
  };
  /** A job a pilot took and started. */
  const runningJob = async (tag: string) => {
    const [jobId] = await waitingJobs(tag);
    const pilot = await registerPilot(runtime);
    expect(await match(pilot, tag)).toBe(jobId);
    await report(pilot, jobId as number, 'Running', 'Application');
    return { jobId: jobId as number, pilot };
  };
  const job = async (jobId: number) => (await getJob(runtime, jobId, 'admin')).body;
  const sources = (job: Record<string, unknown>) =>
    (job.LoggingInfo as { Status: string; Source: string }[]).map((h) => `${h.Status}/${h.Source}`);

  beforeAll(async () => {
    const config = testConfig();
    config.matcher.taskQueueCacheSeconds = 0.05;
    config.jobs.rescheduleDelays = [0];
    // The scheduled runs (runNow) see seconds; the other tests move the agent's clock instead.
    config.agents.stalledJobs.stalledAfterSeconds = 1;
    config.agents.stalledJobs.pilotGoneAfterSeconds = 1;
    runtime = await startTestRuntime({ config });
  });
  afterAll(() => runtime?.stop());

  it('stalls a job whose pilot was killed, reschedules it, and another pilot runs it to Done', async () => {
    const { jobId } = await runningJob('killed-pilot');
    // The pilot is killed: no more heartbeats, status updates or calls.
    await new Promise((resolve) => setTimeout(resolve, 1200));
    await runtime.scheduler.runNow('stalledJobs');
    expect(await job(jobId)).toMatchObject({ Status: 'Stalled', MinorStatus: 'Application' });

    await runtime.scheduler.runNow('stalledJobs');
    const rescheduled = await waitForJob(runtime, jobId, hasStatus('Waiting'));
    expect(rescheduled.RescheduleCounter).toBe(1);
    expect(sources(rescheduled)).toEqual(
      expect.arrayContaining([
        'Stalled/StalledJobAgent',
        'Rescheduled/StalledJobAgent',
        'Received/StalledJobAgent',
      ]),
    );

    const second = await registerPilot(runtime);
    expect(await match(second, 'killed-pilot')).toBe(jobId);
    await report(second, jobId, 'Running', 'Application');
    await report(second, jobId, 'Done', 'Execution Complete');
    expect(await job(jobId)).toMatchObject({ Status: 'Done', RescheduleCounter: 1 });
  });

  it('leaves a job that beats alone, and fails a stalled one whose pilot lives after failAfterSeconds', async () => {
    const { jobId } = await runningJob('hung-payload');
    const alive = { pilotGoneAfterSeconds: 10 ** 9 };
    await agentAt(60, { ...alive, stalledAfterSeconds: 4500 });
    expect((await job(jobId)).Status).toBe('Running');

    await agentAt(4501, { ...alive, stalledAfterSeconds: 4500 });
    expect((await job(jobId)).Status).toBe('Stalled');
    await agentAt(4501 + 11_000, alive);
    expect((await job(jobId)).Status).toBe('Stalled');
    await agentAt(4501 + 11_702, alive);
    expect(await job(jobId)).toMatchObject({
      Status: 'Failed',
      MinorStatus: 'Stalling for more than 11700 sec',
    });
    const stored = await createJobRepository(runtime.deps).get(jobId);
    expect(stored?.commands.map((c) => c.command)).toEqual(['Kill']);
  });

  it('fails a stalled job whose pilot ended, as DIRAC does, when rescheduling is turned off', async () => {
    const { jobId, pilot } = await runningJob('ended-pilot');
    await agentAt(4501, { stalledAfterSeconds: 4500, pilotGoneAfterSeconds: 10 ** 9 });
    expect((await job(jobId)).Status).toBe('Stalled');
    const ended = await runtime.api('/api/pilots/metadata', {
      method: 'PATCH',
      ...asPilot(pilot),
      json: { PilotReference: pilot.reference, Status: 'Failed', StatusReason: 'test' },
    });
    expect(ended.status).toBe(204);
    await agentAt(4502, { pilotGoneAfterSeconds: 10 ** 9, rescheduleWhenPilotGone: false });
    expect(await job(jobId)).toMatchObject({
      Status: 'Failed',
      MinorStatus: 'Job stalled: pilot not running',
    });
  });

  it('reschedules jobs left in Matched, at most maxJobsPerRun per run, the rest at the next run', async () => {
    const ids = await waitingJobs('never-started', 3);
    const pilot = await registerPilot(runtime);
    for (const _ of ids) await match(pilot, 'never-started');
    for (const id of ids) expect((await job(id)).Status).toBe('Matched');

    await agentAt(7100);
    for (const id of ids) expect((await job(id)).Status).toBe('Matched');

    const first = await agentAt(7201, { maxJobsPerRun: 2 });
    expect(first.rescheduled).toBe(2);
    const statuses = async () => Promise.all(ids.map(async (id) => (await job(id)).Status));
    expect((await statuses()).filter((s) => s === 'Matched')).toHaveLength(1);

    const second = await agentAt(7201, { maxJobsPerRun: 2 });
    expect(second.rescheduled).toBe(1);
    // Back in the chain (the agent's clock is hours ahead, so JobScheduling holds them that long).
    for (const id of ids) {
      const rescheduled = await job(id);
      expect(rescheduled.RescheduleCounter).toBe(1);
      expect(['Received', 'Checking', 'Waiting']).toContain(rescheduled.Status);
    }
  });
});
