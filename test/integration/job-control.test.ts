import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newJobRecord } from '#shared/jobs/submission/submit.ts';
import { taskQueueKeys } from '#shared/taskqueues/keys.ts';
import { insertFixtureJobs } from '#test/integration/support/job-items.ts';
import { getJob, hasStatus, jobIdsOf, submitJdl, waitForJob } from '#test/integration/support/jobs.ts';
import { asPilot, registerPilot } from '#test/integration/support/pilots.ts';
import { bodyOf, startTestRuntime, type TestRuntime, testConfig } from '#test/integration/support/runtime.ts';

const jdl = 'Executable = "echo"; JobName = "ctl";';
const at = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();

describe('Job control: status updates, kill, delete, reschedule', () => {
  let runtime: TestRuntime;
  const waiting = async (as: 'user' | 'admin' = 'user') => {
    const [jobId] = await jobIdsOf(await submitJdl(runtime, [jdl], as));
    await waitForJob(runtime, jobId as number, hasStatus('Waiting'));
    return jobId as number;
  };
  // An administrator reports without force under the same state machine as a job wrapper.
  const patch = (body: unknown, as: 'user' | 'admin' = 'admin', query = '') =>
    runtime.api(`/api/jobs/status${query}`, { method: 'PATCH', json: body, as });

  beforeAll(async () => {
    const config = testConfig();
    config.jobs.rescheduleDelays = [1];
    config.jobs.maxRescheduling = 1;
    config.jobs.recoverAfterSeconds = 1;
    config.virtualOrganizations['vo2.example.org'] = {
      defaultGroup: 'user',
      groups: { user: { properties: ['NormalUser', 'JobAdministrator'], share: 1, jobSharing: false } },
      jobDescription: config.virtualOrganizations['vo.example.org']?.jobDescription as never,
    };
    runtime = await startTestRuntime({ config, visibilityTimeoutSeconds: 2 });
  });
  afterAll(() => runtime?.stop());

  it('refuses an illegal transition with 409 naming the current status', async () => {
    const jobId = await waiting();
    const response = await patch({ [jobId]: { [at(0)]: { Status: 'Done', Source: 'JobWrapper' } } });
    expect(response.status).toBe(409);
    expect((await bodyOf(response)).detail).toMatch(/Job is Waiting; it cannot become Done/);
  });

  it("refuses the owner any status change, per job, with 403: statuses are the pilot's and executors' to set", async () => {
    const jobId = await waiting();
    const update = { [jobId]: { [at(0)]: { Status: 'Matched', Source: 'JobWrapper' } } };
    const response = await patch(update, 'user');
    expect(response.status).toBe(403);
    expect((await bodyOf(response)).detail).toMatch(
      new RegExp(`You may not set the status of job ${jobId}: only the pilot running it`),
    );
    expect((await getJob(runtime, jobId)).body.Status).toBe('Waiting');
    expect((await patch(update, 'admin')).status).toBe(200);
  });

  it('refuses job ids that are not plain decimal integers, in paths and in status maps, with 422', async () => {
    const jobId = await waiting();
    for (const id of [`0${jobId}`, `${jobId}.0`, `${jobId}e0`, `0x${jobId.toString(16)}`, `-${jobId}`]) {
      const view = await runtime.api(`/api/jobs/${encodeURIComponent(id)}`);
      expect(view.status).toBe(422);
      expect((await bodyOf(view)).detail).toMatch(/job ids are plain decimal integers/);
      const status = await patch({ [id]: { [at(0)]: { Status: 'Matched' } } });
      expect(status.status).toBe(422);
      expect(JSON.stringify(await bodyOf(status))).toMatch(/job ids are plain decimal integers/);
    }
    expect((await runtime.api(`/api/jobs/${jobId}`)).status).toBe(200);
  });

  it('lets an administrator force it, and refuses force to anyone else', async () => {
    const jobId = await waiting();
    const update = { [jobId]: { [at(0)]: { Status: 'Running', Source: 'Admin' } } };
    expect((await patch(update, 'user', '?force=true')).status).toBe(403);
    const forced = await patch(update, 'admin', '?force=true');
    expect(forced.status).toBe(200);
    expect((await bodyOf(forced)).success).toMatchObject({ [jobId]: { Status: 'Running' } });
  });

  it('applies updates in the order of their own timestamps and keeps every one in the history', async () => {
    const jobId = await waiting();
    const started = at(3000);
    const response = await patch({
      [jobId]: {
        [started]: { Status: 'Running', MinorStatus: 'Application', Source: 'JobWrapper' },
        [at(1000)]: { Status: 'Matched', MinorStatus: 'Assigned', Source: 'Matcher' },
        [at(2000)]: { MinorStatus: 'Job Initialization', Source: 'JobWrapper' },
      },
    });
    expect(response.status).toBe(200);
    const job = (await getJob(runtime, jobId)).body;
    expect(job).toMatchObject({ Status: 'Running', MinorStatus: 'Application' });
    const tail = (job.LoggingInfo as { MinorStatus: string }[]).slice(-3).map((h) => h.MinorStatus);
    expect(tail).toEqual(['Assigned', 'Job Initialization', 'Application']);
    expect(Date.parse(job.StartExecTime as string)).toBe(Date.parse(started));
  });

  it('refuses a timestamp without a time zone with 422', async () => {
    const jobId = await waiting();
    const response = await patch({ [jobId]: { '2026-01-01T10:00:00': { Status: 'Matched' } } });
    expect(response.status).toBe(422);
    expect((await bodyOf(response)).detail).toMatch(/explicit UTC offset/);
  });

  it('kills a Waiting job and takes it out of its task queue', async () => {
    const jobId = await waiting();
    const before = (await getJob(runtime, jobId)).body;
    const kill = await runtime.api('/api/jobs/kill', { method: 'POST', json: { job_ids: [jobId] } });
    expect(kill.status).toBe(200);
    const job = (await getJob(runtime, jobId)).body;
    expect(job).toMatchObject({
      Status: 'Killed',
      MinorStatus: 'Marked for termination',
      PendingCommands: [],
    });
    const entry = await runtime.aws.dynamo.send(
      new GetCommand({
        TableName: runtime.resources.tables.taskQueues,
        Key: taskQueueKeys.entry(before.TaskQueueID as string, jobId, 1),
      }),
    );
    expect(entry.Item).toBeUndefined();
  });

  it('queues a Kill command for a running job, for its pilot to receive', async () => {
    const jobId = await waiting();
    await patch({
      [jobId]: { [at(0)]: { Status: 'Matched' }, [at(1)]: { Status: 'Running', Source: 'JobWrapper' } },
    });
    await runtime.api('/api/jobs/kill', { method: 'POST', json: { job_ids: [jobId] } });
    const job = (await getJob(runtime, jobId)).body;
    expect(job.Status).toBe('Killed');
    expect(job.PendingCommands).toEqual([expect.objectContaining({ command: 'Kill' })]);
  });

  it('refuses to kill a job that is already Done, and reports partial results per job', async () => {
    const done = await waiting();
    await patch({ [done]: { [at(0)]: { Status: 'Done' } } }, 'admin', '?force=true');
    const other = await waiting();
    const response = await runtime.api('/api/jobs/kill', {
      method: 'POST',
      json: { job_ids: [done, other, 999999] },
    });
    expect(response.status).toBe(200);
    const body = await bodyOf(response);
    expect(Object.keys(body.success as object)).toEqual([String(other)]);
    expect(body.failed).toMatchObject({
      [done]: {
        code: 'invalid_transition',
        detail: expect.stringMatching(/Job is Done; it cannot become Killed/),
      },
      999999: { code: 'not_found' },
    });
  });

  it('lets a pilot report statuses on the job it was handed, but not kill or delete it', async () => {
    const jobId = await waiting();
    const pilot = await registerPilot(runtime);
    const ask = await runtime.api('/api/matcher/request', {
      method: 'POST',
      ...asPilot(pilot),
      json: { Site: 'LOCAL.localhost.local', CPUTime: 1_000_000, JobID: jobId },
    });
    expect((await bodyOf(ask)).match).toBe(true);
    for (const action of ['kill', 'delete']) {
      const response = await runtime.api(`/api/jobs/${action}`, {
        method: 'POST',
        json: { job_ids: [jobId] },
        ...asPilot(pilot),
      });
      expect(response.status, action).toBe(403);
    }
    const running = { [jobId]: { [at(0)]: { Status: 'Running', Source: 'JobWrapper' } } };
    const unbound = await runtime.api('/api/jobs/status', { method: 'PATCH', json: running, as: 'pilot' });
    expect(unbound.status).toBe(403);
    const reported = await runtime.api('/api/jobs/status', {
      method: 'PATCH',
      json: running,
      ...asPilot(pilot),
    });
    expect(reported.status).toBe(200);
  });

  it('deletes a finished job', async () => {
    const jobId = await waiting();
    await runtime.api('/api/jobs/kill', { method: 'POST', json: { job_ids: [jobId] } });
    const response = await runtime.api('/api/jobs/delete', { method: 'POST', json: { job_ids: [jobId] } });
    expect(response.status).toBe(200);
    expect((await getJob(runtime, jobId)).body).toMatchObject({
      Status: 'Deleted',
      MinorStatus: 'Checking accounting',
    });
  });

  it('reschedules a failed job, which waits out the delay and returns to Waiting, until the maximum', async () => {
    const jobId = await waiting();
    await patch({ [jobId]: { [at(0)]: { Status: 'Failed' } } }, 'admin', '?force=true');
    const response = await runtime.api('/api/jobs/reschedule', {
      method: 'POST',
      json: { job_ids: [jobId] },
    });
    expect(response.status).toBe(200);
    const job = await waitForJob(runtime, jobId, hasStatus('Waiting'));
    expect(job.RescheduleCounter).toBe(1);
    const statuses = (job.LoggingInfo as { Status: string }[]).map((h) => h.Status);
    expect(statuses).toContain('Rescheduled');

    await patch({ [jobId]: { [at(5000)]: { Status: 'Failed' } } }, 'admin', '?force=true');
    const again = await runtime.api('/api/jobs/reschedule', { method: 'POST', json: { job_ids: [jobId] } });
    expect(again.status).toBe(409);
    expect((await getJob(runtime, jobId)).body).toMatchObject({
      Status: 'Failed',
      MinorStatus: 'Maximum of reschedulings reached',
    });
  });

  it('reschedules a Waiting job and takes it out of its task queue', async () => {
    const jobId = await waiting();
    const before = (await getJob(runtime, jobId)).body;
    const response = await runtime.api('/api/jobs/reschedule', {
      method: 'POST',
      json: { job_ids: [jobId] },
    });
    expect(response.status).toBe(200);
    // Read within the reschedule delay, before JobScheduling queues the job again.
    const entry = await runtime.aws.dynamo.send(
      new GetCommand({
        TableName: runtime.resources.tables.taskQueues,
        Key: taskQueueKeys.entry(before.TaskQueueID as string, jobId, 1),
      }),
    );
    expect(entry.Item).toBeUndefined();
  });

  it('recovers a job whose executor message was lost', async () => {
    const identity = {
      vo: 'vo.example.org',
      sub: 'x',
      username: 'alice',
      group: 'user',
      properties: ['NormalUser'],
    };
    const old = new Date(Date.now() - 60_000).toISOString();
    const [jobId] = await jobIdsOf(await submitJdl(runtime, [jdl]));
    const lost = newJobRecord(
      identity,
      (jobId as number) + 1000,
      (await getJob(runtime, jobId as number)).body.Description as never,
      old,
    );
    await insertFixtureJobs(runtime.aws.dynamo, runtime.resources.tables.jobs as string, [lost]);
    await runtime.scheduler.runNow('recovery');
    await waitForJob(runtime, lost.jobId, hasStatus('Waiting'));
  });

  it('keeps virtual organisations apart', async () => {
    const jobId = await waiting('admin');
    const outsider = await runtime.authority.sign({
      vo: 'vo2.example.org',
      username: 'carol',
      group: 'user',
      properties: ['NormalUser', 'JobAdministrator'],
    });
    const response = await runtime.api(`/api/jobs/${jobId}`, {
      as: 'none',
      headers: { authorization: `Bearer ${outsider}` },
    });
    expect(response.status).toBe(404);
  });
});
