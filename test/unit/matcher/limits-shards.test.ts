import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, type QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { loadConfigFile } from '#shared/config/load.ts';
import type { JobStatus } from '#shared/jobs/status.ts';
import { statusKey } from '#shared/jobs/store/keys.ts';
import { createLimiter } from '#shared/matcher/limits.ts';

const base = loadConfigFile('config/muon.yaml');
const vo = Object.keys(base.virtualOrganizations)[0] as string;
const site = 'LCG.Example.org';
const config = {
  ...base,
  matcher: { ...base.matcher, runningLimits: { [site]: { User: 3 } }, matchingDelays: {} },
};

/** A jobs table's byStatus index in memory, answering Query by partition key. */
function indexOf(jobs: { jobId: number; status: JobStatus }[]) {
  const items = jobs.map((job) => ({
    statusKey: statusKey(vo, job.status, job.jobId),
    site,
    jobType: 'User',
  }));
  const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
  const queried: string[] = [];
  dynamo.send = (async (command: QueryCommand) => {
    const key = command.input.ExpressionAttributeValues?.[':key'] as string;
    queried.push(key);
    return { Items: items.filter((item) => item.statusKey === key) };
  }) as never;
  return { dynamo, queried };
}

describe('Running limits over the sharded byStatus index', () => {
  it('count the Running, Matched and Stalled jobs of every shard', async () => {
    // Consecutive ids: each job in a different shard.
    const { dynamo, queried } = indexOf([
      { jobId: 100, status: 'Running' },
      { jobId: 101, status: 'Matched' },
      { jobId: 102, status: 'Stalled' },
    ]);
    const limiter = createLimiter({ config, dynamo, jobsTable: 'jobs', now: () => new Date() });
    expect(await limiter.exclusions(vo, site)).toEqual([
      { jobType: 'User', reason: `site ${site} runs 3 User jobs, its limit is 3` },
    ]);
    expect(new Set(queried).size).toBe(3 * 16);
  });

  it('let a site under its limit take more', async () => {
    const { dynamo } = indexOf([
      { jobId: 100, status: 'Running' },
      { jobId: 116, status: 'Running' },
      { jobId: 117, status: 'Done' },
    ]);
    const limiter = createLimiter({ config, dynamo, jobsTable: 'jobs', now: () => new Date() });
    expect(await limiter.exclusions(vo, site)).toEqual([]);
  });
});
