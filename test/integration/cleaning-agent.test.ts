/**
 * The JobCleaning agent on the embedded runtime: old finished jobs and deleted jobs go with their
 * sandbox assignments, young ones stay; sandboxes go once unused (never assigned, or released by
 * every job); expired idempotency records go; a bounded run leaves the rest for the next run.
 */
import { createHash } from 'node:crypto';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanJobs } from '#shared/agents/job-cleaning.ts';
import type { MuonConfig } from '#shared/config/schema.ts';
import { createJobRepository } from '#shared/jobs/repository.ts';
import { counterKeys } from '#shared/jobs/store/keys.ts';
import { entityPartition, sandboxItemKey } from '#shared/sandboxes/store/keys.ts';
import { createTaskQueuePort } from '#shared/taskqueues/port.ts';
import { getJob, jobIdsOf, submitJdl, submitWaiting } from '#test/integration/support/jobs.ts';
import { startTestRuntime, type TestRuntime, testConfig } from '#test/integration/support/runtime.ts';

const day = 86_400;

describe('JobCleaning agent', () => {
  let runtime: TestRuntime;
  const tables = () => runtime.resources.tables as Record<string, string>;

  /** One run of the agent as of `seconds` from now, with these settings changed. */
  const agentAt = (seconds: number, settings: Partial<MuonConfig['agents']['cleaning']> = {}) => {
    const { deps } = runtime;
    const config = {
      ...deps.config,
      agents: { ...deps.config.agents, cleaning: { ...deps.config.agents.cleaning, ...settings } },
    };
    return cleanJobs({
      config,
      dynamo: runtime.aws.dynamo,
      s3: runtime.aws.s3,
      jobsTable: tables().jobs as string,
      countersTable: tables().counters as string,
      sandboxesTable: tables().sandboxes as string,
      bucket: runtime.resources.bucket as string,
      jobs: createJobRepository(deps),
      leaveTaskQueue: createTaskQueuePort(deps).remove,
      now: () => new Date(Date.now() + seconds * 1000),
      logger: deps.logger,
    });
  };

  /** Registers and uploads a sandbox with these bytes; returns its reference and object key. */
  const upload = async (text: string) => {
    const bytes = Buffer.from(text);
    const checksum = createHash('sha256').update(bytes).digest('hex');
    const response = await runtime.api('/api/jobs/sandbox', {
      method: 'POST',
      json: { checksum_algorithm: 'sha256', checksum, size: bytes.length, format: 'tar.gz' },
    });
    const body = (await response.json()) as { pfn: string; url: string; headers: Record<string, string> };
    const put = await fetch(body.url, { method: 'PUT', headers: body.headers, body: bytes });
    expect(put.status).toBe(200);
    return { pfn: body.pfn, key: body.pfn.slice(body.pfn.indexOf('/sandboxes/') + 1) };
  };
  const sandboxItem = async (key: string) =>
    (
      await runtime.aws.dynamo.send(
        new GetCommand({ TableName: tables().sandboxes, Key: sandboxItemKey(key), ConsistentRead: true }),
      )
    ).Item;
  const inBucket = (key: string) =>
    runtime.aws.s3.send(new HeadObjectCommand({ Bucket: runtime.resources.bucket, Key: key })).then(
      () => true,
      () => false,
    );
  const assignments = async (jobId: number) =>
    (
      await runtime.aws.dynamo.send(
        new QueryCommand({
          TableName: tables().sandboxes,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': entityPartition(jobId) },
        }),
      )
    ).Items ?? [];

  const waitingJobs = (count: number, sandbox?: string) =>
    submitWaiting(runtime, `Executable = "echo";${sandbox ? ` InputSandbox = {"${sandbox}"};` : ''}`, count);
  const force = async (jobId: number, status: string) => {
    const json = { [jobId]: { [new Date().toISOString()]: { Status: status, Source: 'Test' } } };
    const response = await runtime.api('/api/jobs/status?force=true', { method: 'PATCH', as: 'admin', json });
    expect(response.status).toBe(200);
  };
  const control = async (action: 'kill' | 'delete', jobIds: number[]) => {
    const response = await runtime.api(`/api/jobs/${action}`, { method: 'POST', json: { job_ids: jobIds } });
    expect(response.status).toBe(200);
  };
  const exists = async (jobId: number) => (await getJob(runtime, jobId, 'admin')).status === 200;

  beforeAll(async () => {
    runtime = await startTestRuntime({ config: testConfig() });
  });
  afterAll(() => runtime?.stop());

  it('removes jobs with their assignments when their status says, keeps young ones, then their sandbox', async () => {
    const shared = await upload('input sandbox shared by three jobs');
    const [deleted, killed, done] = (await waitingJobs(3, shared.pfn)) as [number, number, number];
    expect(await assignments(killed)).toHaveLength(1);
    await control('delete', [deleted]);
    await control('kill', [killed]);
    await force(done, 'Done');

    // The scheduled run: Deleted jobs go at once, the others are young.
    await runtime.scheduler.runNow('cleaning');
    expect(await exists(deleted)).toBe(false);
    expect(await assignments(deleted)).toHaveLength(0);
    expect([await exists(killed), await exists(done)]).toEqual([true, true]);

    const killedAfterAnHour = {
      removeAfterSeconds: { ...runtime.deps.config.agents.cleaning.removeAfterSeconds, Killed: 3600 },
    };
    await agentAt(3600 - 60, killedAfterAnHour);
    expect(await exists(killed)).toBe(true);
    await agentAt(3600 + 60, killedAfterAnHour);
    expect(await exists(killed)).toBe(false);
    expect(await assignments(killed)).toHaveLength(0);

    // The Done job still holds the sandbox, however long unused.
    await agentAt(2 * day);
    expect(await exists(done)).toBe(true);
    expect(await sandboxItem(shared.key)).toBeDefined();
    expect(await inBucket(shared.key)).toBe(true);

    // Seven days on the Done job goes; a day later its sandbox, released by every job, goes too.
    const removed = await agentAt(7 * day + 60);
    expect(removed.removed).toBeGreaterThanOrEqual(1);
    expect(await exists(done)).toBe(false);
    await agentAt(8 * day + 120);
    expect(await sandboxItem(shared.key)).toBeUndefined();
    expect(await inBucket(shared.key)).toBe(false);
  });

  it('removes a sandbox never assigned to a job once unused for orphanSandboxAfterSeconds', async () => {
    const orphan = await upload('uploaded, never submitted');
    await agentAt(15 * day - 60);
    expect(await sandboxItem(orphan.key)).toMatchObject({ assigned: false });
    const run = await agentAt(15 * day + 60);
    expect(run.sandboxesRemoved).toBeGreaterThanOrEqual(1);
    expect(await sandboxItem(orphan.key)).toBeUndefined();
    expect(await inBucket(orphan.key)).toBe(false);
  });

  it('removes at most maxJobsPerRun jobs per run and the rest at the next run', async () => {
    const ids = await waitingJobs(3);
    await control('delete', ids);
    const first = await agentAt(0, { maxJobsPerRun: 2 });
    expect(first.removed).toBe(2);
    expect((await Promise.all(ids.map(exists))).filter(Boolean)).toHaveLength(1);
    const second = await agentAt(0, { maxJobsPerRun: 2 });
    expect(second.removed).toBe(1);
    expect((await Promise.all(ids.map(exists))).filter(Boolean)).toHaveLength(0);
  });

  it('deletes expired idempotency records, which DynamoDB TTL deletes in the cloud', async () => {
    const key = `cleaning-${Date.now()}`;
    await jobIdsOf(await submitJdl(runtime, ['Executable = "echo";'], 'user', { 'idempotency-key': key }));
    const record = () =>
      runtime.aws.dynamo.send(
        new GetCommand({
          TableName: tables().counters,
          Key: counterKeys.idempotency({ vo: 'vo.example.org', owner: 'alice', group: 'user', key }),
          ConsistentRead: true,
        }),
      );
    expect((await record()).Item).toBeDefined();
    await agentAt(day - 60);
    expect((await record()).Item).toBeDefined();
    const run = await agentAt(day + 60);
    expect(run.expiredRecords).toBeGreaterThanOrEqual(1);
    expect((await record()).Item).toBeUndefined();
  });
});
