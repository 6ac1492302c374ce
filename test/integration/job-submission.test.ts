import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerReplica } from '#shared/files/catalog.ts';
import { ownerPartitions } from '#shared/jobs/store/keys.ts';
import { taskQueueKeys } from '#shared/taskqueues/keys.ts';
import {
  getJob,
  hasStatus,
  jobIdsOf,
  readYaml,
  submitJdl,
  waitForJob,
} from '#test/integration/support/jobs.ts';
import { bodyOf, startTestRuntime, type TestRuntime, testConfig } from '#test/integration/support/runtime.ts';

const helloJdl = `
  Executable = "echo";
  Arguments = "hello %j";
  JobName = "hello";
  CPUTime = 3600;
  OutputSandbox = {"std.out", "std.err"};
`;

describe('Job submission and the executor chain', () => {
  let runtime: TestRuntime;
  beforeAll(async () => {
    const config = testConfig();
    config.sites['LCG.Other.org'] = { computingElements: {}, storageElements: ['OTHER-DISK'], banned: false };
    config.storageElements['OTHER-DISK'] = { kind: 'disk', backend: 's3', path: 'other/' };
    runtime = await startTestRuntime({ config, visibilityTimeoutSeconds: 2 });
  });
  afterAll(() => runtime?.stop());

  it('takes a JDL job through JobPath, JobSanity and JobScheduling to Waiting in a task queue', async () => {
    const [jobId] = await jobIdsOf(await submitJdl(runtime, [helloJdl]));
    const job = await waitForJob(runtime, jobId as number, hasStatus('Waiting'));
    expect(job).toMatchObject({
      JobID: jobId,
      Owner: 'alice',
      OwnerGroup: 'user',
      MinorStatus: 'Pilot Agent Submission',
      Site: 'ANY',
      OptimizerChain: ['JobPath', 'JobSanity', 'JobScheduling'],
    });
    expect((job.Description as { arguments: string }).arguments).toBe(`hello ${jobId}`);
    const history = (job.LoggingInfo as { Status: string; MinorStatus: string; Source: string }[]).map(
      (h) => `${h.Status}/${h.MinorStatus}/${h.Source}`,
    );
    expect(history).toEqual([
      'Received/Job accepted/JobManager',
      'Checking/JobSanity/JobPath',
      'Checking/JobScheduling/JobSanity',
      'Waiting/Pilot Agent Submission/JobScheduling',
    ]);
    const entries = await runtime.aws.dynamo.send(
      new QueryCommand({
        TableName: runtime.resources.tables.taskQueues,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: {
          ':pk': taskQueueKeys.entry(job.TaskQueueID as string, jobId as number, 1).pk,
        },
      }),
    );
    expect(entries.Items?.map((i) => i.jobId)).toContain(jobId);
  });

  it('expands a parametric JDL into one job per parameter, as DIRAC does', async () => {
    const response = await submitJdl(runtime, [
      `Executable = "echo"; Arguments = "%s"; JobName = "p_%n"; Parameters = {"a", "b", "c"};`,
    ]);
    const ids = await jobIdsOf(response);
    expect(ids).toHaveLength(3);
    expect(ids[1]).toBe((ids[0] as number) + 1);
    const jobs = await Promise.all(ids.map((id) => waitForJob(runtime, id, hasStatus('Waiting'))));
    expect(jobs.map((j) => j.JobName)).toEqual(['p_0', 'p_1', 'p_2']);
    expect(jobs.map((j) => (j.Description as { arguments: string }).arguments)).toEqual(['a', 'b', 'c']);
  });

  it('submits a CWL workflow with one job per input set and turns resources into tags', async () => {
    const workflow = readYaml('test/fixtures/cwl/gpu-tool.cwl');
    const response = await runtime.api('/api/jobs', {
      method: 'POST',
      json: { workflow, inputs: [{}, {}], hints: { priority: 4, jobGroup: 'gpu-test' } },
    });
    const body = (await response.json()) as { JobID: number }[];
    expect(response.status, JSON.stringify(body)).toBe(201);
    expect(body).toHaveLength(2);
    const job = await waitForJob(runtime, body[0]?.JobID as number, hasStatus('Waiting'));
    expect(job).toMatchObject({ UserPriority: 4, JobGroup: 'gpu-test' });
    expect((job.Requirements as { tags: string[] }).tags).toContain('GPU');
  });

  it('refuses a JDL with a syntax error with its line and column, storing nothing', async () => {
    const before = await countJobs(runtime);
    const response = await submitJdl(runtime, [
      helloJdl,
      'Executable = "echo";\nArguments = "x"\nJobName = "y";',
    ]);
    expect(response.status).toBe(400);
    expect((response.body as { detail: string }).detail).toMatch(/jdl\[1\]: line 3, column 1/);
    expect(await countJobs(runtime)).toBe(before);
  });

  it.each([
    ['a negative CPU time', 'Executable = "x"; CPUTime = -5;', /CPUTime -5 is outside/],
    ['an absurd CPU time', 'Executable = "x"; CPUTime = 99999999;', /CPUTime 99999999 is outside/],
    ['an unknown site', 'Executable = "x"; Site = "LCG.Nowhere.xx";', /not a site of this deployment/],
    [
      'an impossible site requirement',
      'Executable = "x"; Site = "LOCAL.localhost.local"; BannedSite = "LOCAL.localhost.local";',
      /Impossible site requirement/,
    ],
    [
      'a job type the VO does not allow',
      'Executable = "x"; JobType = "Sneaky";',
      /JobType "Sneaky" is not allowed/,
    ],
    ['a missing executable', 'JobName = "x";', /Executable is required/],
    ['another owner', 'Executable = "x"; Owner = "bob";', /Wrong Owner in JDL/],
  ])('refuses %s with 400', async (_, jdl, message) => {
    const response = await submitJdl(runtime, [jdl]);
    expect(response.status).toBe(400);
    expect((response.body as { detail: string }).detail).toMatch(message);
  });

  it('refuses invalid CWL with 422 naming the field', async () => {
    const response = await runtime.api('/api/jobs', {
      method: 'POST',
      json: { workflow: readYaml('test/fixtures/cwl/invalid/bad-input-type.cwl') },
    });
    expect(response.status).toBe(422);
    expect(JSON.stringify(await response.json())).toMatch(/inputs\./);
  });

  it('refuses unknown hint fields with 422', async () => {
    const response = await runtime.api('/api/jobs', {
      method: 'POST',
      json: {
        workflow: readYaml('test/fixtures/cwl/hello-world.cwl'),
        inputs: [{ message: 'x' }],
        hints: { bogus: 1 },
      },
    });
    expect(response.status).toBe(422);
    expect(JSON.stringify(await response.json())).toMatch(/bogus/);
  });

  it('refuses a job order missing a required input with 400 naming the input', async () => {
    const response = await runtime.api('/api/jobs', {
      method: 'POST',
      json: { workflow: readYaml('test/fixtures/cwl/hello-world.cwl'), inputs: [{}] },
    });
    expect(response.status).toBe(400);
    expect((await bodyOf(response)).detail).toMatch(/inputs\[0\].*message/);
  });

  it('refuses more jobs than one request may carry', async () => {
    const config = testConfig();
    const limit = config.limits.maxJobsPerSubmission;
    const response = await submitJdl(runtime, [`Executable = "x"; Parameters = ${limit + 1};`]);
    expect(response.status).toBe(400);
  });

  it('returns the same jobs when a submission is retried with the same Idempotency-Key', async () => {
    const headers = { 'idempotency-key': 'retry-1' };
    const first = await jobIdsOf(await submitJdl(runtime, [helloJdl, helloJdl], 'user', headers));
    const second = await jobIdsOf(await submitJdl(runtime, [helloJdl, helloJdl], 'user', headers));
    expect(second).toEqual(first);
    const conflict = await submitJdl(runtime, [helloJdl], 'user', headers);
    expect(conflict.status).toBe(409);
  });

  it('never resets a job that moved on when a submission is retried', async () => {
    const headers = { 'idempotency-key': 'retry-2' };
    const [jobId] = await jobIdsOf(await submitJdl(runtime, [helloJdl], 'user', headers));
    await waitForJob(runtime, jobId as number, hasStatus('Waiting'));
    await runtime.api('/api/jobs/kill', { method: 'POST', json: { job_ids: [jobId] } });
    expect(await jobIdsOf(await submitJdl(runtime, [helloJdl], 'user', headers))).toEqual([jobId]);
    expect((await getJob(runtime, jobId as number)).body.Status).toBe('Killed');
  });

  it('narrows the sites to those holding the input data', async () => {
    const catalog = runtime.resources.tables.fileCatalog as string;
    const now = new Date().toISOString();
    await registerReplica(runtime.aws.dynamo, catalog, {
      lfn: '/vo.example.org/data/a',
      se: 'OTHER-DISK',
      pfn: 'x',
      registeredAt: now,
    });
    await registerReplica(runtime.aws.dynamo, catalog, {
      lfn: '/vo.example.org/data/b',
      se: 'OTHER-DISK',
      pfn: 'y',
      registeredAt: now,
    });
    await registerReplica(runtime.aws.dynamo, catalog, {
      lfn: '/vo.example.org/data/b',
      se: 'LOCAL-DISK',
      pfn: 'z',
      registeredAt: now,
    });
    const [jobId] = await jobIdsOf(
      await submitJdl(runtime, [
        'Executable = "x"; InputData = {"LFN:/vo.example.org/data/a", "/vo.example.org/data/b"};',
      ]),
    );
    const job = await waitForJob(runtime, jobId as number, hasStatus('Waiting', 'Failed'));
    expect(job).toMatchObject({ Status: 'Waiting', Site: 'LCG.Other.org' });
    expect(job.OptimizerChain).toEqual(['JobPath', 'JobSanity', 'InputData', 'JobScheduling']);
  });

  it('fails a job whose input data has no replica, saying so', async () => {
    const [jobId] = await jobIdsOf(
      await submitJdl(runtime, ['Executable = "x"; InputData = "/vo.example.org/data/missing";']),
    );
    const job = await waitForJob(runtime, jobId as number, hasStatus('Waiting', 'Failed'));
    expect(job).toMatchObject({ Status: 'Failed', MinorStatus: 'Input data not available' });
    expect(job.ApplicationStatus).toMatch(/missing/);
  });

  it('fails a job whose input sandbox was never uploaded', async () => {
    const pfn =
      'SB:SandboxSE|/S3/muon-sandbox-store/sandboxes/vo.example.org/user/alice/sha256:' +
      '0'.repeat(64) +
      '.tar.gz';
    const [jobId] = await jobIdsOf(
      await submitJdl(runtime, [`Executable = "x"; InputSandbox = {"${pfn}"};`]),
    );
    const job = await waitForJob(runtime, jobId as number, hasStatus('Waiting', 'Failed'));
    expect(job).toMatchObject({ Status: 'Failed', MinorStatus: 'Input sandbox not found' });
  });

  it("does not let one user see or change another user's job", async () => {
    const [jobId] = await jobIdsOf(await submitJdl(runtime, [helloJdl], 'admin'));
    expect((await getJob(runtime, jobId as number, 'user')).status).toBe(403);
    const kill = await runtime.api('/api/jobs/kill', { method: 'POST', json: { job_ids: [jobId] } });
    expect(kill.status).toBe(403);
  });

  it('refuses submission by an identity without NormalUser', async () => {
    expect((await submitJdl(runtime, [helloJdl], 'pilot')).status).toBe(403);
  });
});

/** Alice's jobs on every shard of the byOwner index. */
async function countJobs(runtime: TestRuntime): Promise<number> {
  let count = 0;
  for (const partition of ownerPartitions('vo.example.org', 'alice')) {
    const result = await runtime.aws.dynamo.send(
      new QueryCommand({
        TableName: runtime.resources.tables.jobs,
        IndexName: 'byOwner',
        KeyConditionExpression: 'ownerKey = :k',
        ExpressionAttributeValues: { ':k': partition },
        Select: 'COUNT',
      }),
    );
    count += result.Count ?? 0;
  }
  return count;
}
