/**
 * The PilotStatus agent on the embedded runtime: pilots not heard of for long are Aborted, ended
 * pilots are purged with their logs after their delay, and a bounded run leaves the rest for the
 * next run.
 */
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkPilots } from '#shared/agents/pilot-status.ts';
import type { MuonConfig } from '#shared/config/schema.ts';
import type { PilotRecord } from '#shared/pilots/model.ts';
import { getPilot } from '#shared/pilots/records.ts';
import { getJob, hasStatus, jobIdsOf, submitJdl, waitForJob } from '#test/integration/support/jobs.ts';
import { asPilot, type RegisteredPilot, registerPilot } from '#test/integration/support/pilots.ts';
import { startTestRuntime, type TestRuntime, testConfig } from '#test/integration/support/runtime.ts';

const day = 86_400;

describe('PilotStatus agent', () => {
  let runtime: TestRuntime;

  /** One run of the agent as of `seconds` from now, with these settings changed. */
  const agentAt = (seconds: number, settings: Partial<MuonConfig['agents']['pilots']> = {}) =>
    agentAtTime(Date.now() + seconds * 1000, settings);
  const agentAtTime = (time: number, settings: Partial<MuonConfig['agents']['pilots']> = {}) => {
    const { deps } = runtime;
    const config = {
      ...deps.config,
      agents: { ...deps.config.agents, pilots: { ...deps.config.agents.pilots, ...settings } },
    };
    return checkPilots({
      config,
      dynamo: runtime.aws.dynamo,
      s3: runtime.aws.s3,
      pilotsTable: runtime.resources.tables.pilots as string,
      jobsTable: runtime.resources.tables.jobs as string,
      countersTable: runtime.resources.tables.counters as string,
      bucket: runtime.resources.bucket as string,
      now: () => new Date(time),
      logger: deps.logger,
    });
  };
  const record = (pilot: RegisteredPilot): Promise<PilotRecord | undefined> =>
    getPilot(runtime.aws.dynamo, runtime.resources.tables.pilots as string, pilot.reference);
  const end = async (pilot: RegisteredPilot, status: 'Done' | 'Failed') => {
    const response = await runtime.api('/api/pilots/metadata', {
      method: 'PATCH',
      ...asPilot(pilot),
      json: { PilotReference: pilot.reference, Status: status, StatusReason: 'test' },
    });
    expect(response.status).toBe(204);
  };
  const uploadLog = async (pilot: RegisteredPilot) => {
    const text = Buffer.from('pilot log\n');
    const response = await runtime.api('/api/pilots/logs', {
      method: 'POST',
      ...asPilot(pilot),
      json: { PilotReference: pilot.reference, Size: text.length },
    });
    expect(response.status).toBe(200);
    const upload = (await response.json()) as { url: string; headers: Record<string, string> };
    expect((await fetch(upload.url, { method: 'PUT', headers: upload.headers, body: text })).status).toBe(
      200,
    );
    return (await record(pilot))?.logKey as string;
  };
  const inBucket = (key: string) =>
    runtime.aws.s3.send(new HeadObjectCommand({ Bucket: runtime.resources.bucket, Key: key })).then(
      () => true,
      () => false,
    );

  beforeAll(async () => {
    const config = testConfig();
    // The scheduled run (runNow) sees seconds; the other tests move the agent's clock instead.
    config.agents.pilots.stalePilotAfterSeconds = 1;
    runtime = await startTestRuntime({ config });
  });
  afterAll(() => runtime?.stop());

  it('aborts a pilot not heard of for stalePilotAfterSeconds, on its schedule', async () => {
    const pilot = await registerPilot(runtime);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    await runtime.scheduler.runNow('pilotStatus');
    const aborted = await record(pilot);
    expect(aborted?.status).toBe('Aborted');
    expect(aborted?.statusReason).toMatch(/^stale: not seen since \d{4}-\d\d-\d\dT/);
    // An aborted pilot's credential no longer works.
    const refused = await runtime.api('/api/pilots/info?reference=x', asPilot(pilot));
    expect(refused.status).toBe(403);
  });

  it('keeps pilots heard of lately, and aborts one after the default three days', async () => {
    const pilot = await registerPilot(runtime);
    const threeDays = { stalePilotAfterSeconds: 3 * day };
    await agentAt(3 * day - 60, threeDays);
    expect((await record(pilot))?.status).toBe('Running');
    await agentAt(3 * day + 60, threeDays);
    expect((await record(pilot))?.status).toBe('Aborted');
  });

  it('keeps a pilot one of whose jobs was updated lately, as DIRAC does', async () => {
    const tag = 'pilot-status';
    const [jobId] = await jobIdsOf(await submitJdl(runtime, [`Executable = "echo"; Tags = {"${tag}"};`]));
    await waitForJob(runtime, jobId as number, hasStatus('Waiting'));
    const pilot = await registerPilot(runtime);
    const matched = await runtime.api('/api/matcher/request', {
      method: 'POST',
      ...asPilot(pilot),
      json: { Site: 'LOCAL.localhost.local', CPUTime: 86_400, Tag: [tag] },
    });
    expect(((await matched.json()) as { match: boolean }).match).toBe(true);
    const report = async (update: Record<string, string>) => {
      const json = { [jobId as number]: { [new Date().toISOString()]: { ...update, Source: 'JobWrapper' } } };
      const response = await runtime.api('/api/jobs/status', { method: 'PATCH', ...asPilot(pilot), json });
      expect(response.status).toBe(200);
    };
    // The first report puts the job on the pilot's record and marks the pilot seen; later ones do not.
    await report({ Status: 'Running' });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await report({ ApplicationStatus: 'second step' });

    // The pilot was last seen at the job's start; its job was updated a second later.
    const seen = Date.parse((await record(pilot))?.lastSeenAt as string);
    const updated = Date.parse(
      (await getJob(runtime, jobId as number, 'admin')).body.LastUpdateTime as string,
    );
    expect(updated - seen).toBeGreaterThanOrEqual(1000);
    const window = { stalePilotAfterSeconds: 30 };
    await agentAtTime(updated + 29_500, window);
    expect((await record(pilot))?.status).toBe('Running');
    await agentAtTime(updated + 30_500, window);
    expect((await record(pilot))?.status).toBe('Aborted');
  });

  it('purges ended pilots with their logs after their delay: Aborted 7 days, Done and Failed 30', async () => {
    const done = await registerPilot(runtime);
    const logKey = await uploadLog(done);
    expect(await inBucket(logKey)).toBe(true);
    await end(done, 'Done');
    const aborted = await registerPilot(runtime);
    const threeDays = { stalePilotAfterSeconds: 3 * day };
    await agentAt(3 * day + 60, threeDays);
    expect((await record(aborted))?.status).toBe('Aborted');

    // The Aborted pilot's last change was made at the agent's clock, three days on.
    await agentAt(10 * day, threeDays);
    expect(await record(aborted)).toBeDefined();
    await agentAt(10 * day + 120, threeDays);
    expect(await record(aborted)).toBeUndefined();
    expect(await record(done)).toBeDefined();

    await agentAt(30 * day - 60, threeDays);
    expect(await record(done)).toBeDefined();
    const run = await agentAt(30 * day + 60, threeDays);
    expect(run.purged).toBeGreaterThanOrEqual(1);
    expect(await record(done)).toBeUndefined();
    expect(await inBucket(logKey)).toBe(false);
  });

  it('changes at most maxPilotsPerRun pilots per run and the rest at the next run', async () => {
    const pilots = [await registerPilot(runtime), await registerPilot(runtime), await registerPilot(runtime)];
    const statuses = async () => Promise.all(pilots.map(async (p) => (await record(p))?.status));
    const settings = { stalePilotAfterSeconds: 60, maxPilotsPerRun: 2 };
    expect((await agentAt(120, settings)).aborted).toBe(2);
    expect((await statuses()).filter((s) => s === 'Aborted')).toHaveLength(2);
    expect((await agentAt(120, settings)).aborted).toBe(1);
    expect(await statuses()).toEqual(['Aborted', 'Aborted', 'Aborted']);
  });
});
