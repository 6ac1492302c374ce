/**
 * The race between JobScheduling and a pilot: JobScheduling writes a job's task-queue entry, then
 * moves the job to Waiting. A claim made between the two fails; if the job is Waiting by the time
 * the matcher looks at why, the entry is not stale. Dropping it left the job Waiting in no task
 * queue, never matched (seen once in a CWL conformance run: a job Waiting for ten minutes while
 * pilots matched the jobs after it).
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableName } from '#shared/deps.ts';
import { jobKey } from '#shared/jobs/store/keys.ts';
import { createCandidateEntries } from '#shared/matcher/candidates.ts';
import { createTaskQueueCatalogue } from '#shared/matcher/catalogue.ts';
import { findAndClaim } from '#shared/matcher/find.ts';
import { getJob, submitWaiting } from '#test/integration/support/jobs.ts';
import { startTestRuntime, type TestRuntime, testConfig } from '#test/integration/support/runtime.ts';

describe('a claim that races the move to Waiting', () => {
  let runtime: TestRuntime;
  beforeAll(async () => {
    runtime = await startTestRuntime({ config: testConfig() });
  });
  afterAll(() => runtime?.stop());

  it('is made again once the job is Waiting, and the entry is kept', async () => {
    const [jobId] = await submitWaiting(runtime, '[Executable = "/bin/true";]');
    const jobs = tableName(runtime.resources, 'jobs');
    const taskQueues = tableName(runtime.resources, 'taskQueues');
    const setStatus = (status: string) =>
      runtime.aws.dynamo.send(
        new UpdateCommand({
          TableName: jobs,
          Key: jobKey(jobId as number),
          UpdateExpression: 'SET #s = :s',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':s': status },
        }),
      );
    // The entry is written, the job not yet Waiting; it becomes Waiting just as the claim fails.
    await setStatus('Checking');
    let raced = false;
    const dynamo = {
      send: async (command: { constructor: { name: string } }) => {
        try {
          return await runtime.aws.dynamo.send(command as never);
        } catch (error) {
          if (!raced && command.constructor.name === 'UpdateCommand') {
            raced = true;
            await setStatus('Waiting');
          }
          throw error;
        }
      },
    } as unknown as DynamoDBDocumentClient;

    const catalogue = createTaskQueueCatalogue({
      dynamo: runtime.aws.dynamo,
      table: taskQueues,
      cacheSeconds: 0,
      now: () => new Date(),
    });
    const found = await findAndClaim(
      {
        dynamo,
        jobsTable: jobs,
        taskQueuesTable: taskQueues,
        catalogue,
        removeClaimed: async () => undefined,
        kept: createCandidateEntries({ now: Date.now, keepMs: 30_000, limit: 1000 }),
        random: Math.random,
      },
      { list: (since) => catalogue.list('vo.example.org', since), matches: () => true },
      {
        vo: 'vo.example.org',
        site: 'LOCAL.localhost.local',
        pilotReference: 'test://race',
        time: new Date().toISOString(),
      },
    );
    expect(raced).toBe(true);
    expect(found.found && found.job.jobId).toBe(jobId);
    expect((await getJob(runtime, jobId as number)).body.Status).toBe('Matched');
  });
});
