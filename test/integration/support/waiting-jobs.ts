/**
 * Waiting jobs written straight into the tables, as JobScheduling leaves them (the task queue's
 * definition and entry first, then the job), and a matcher talking to the same tables, for tests
 * of matching that need hundreds of jobs in chosen task queues without the executor chain.
 */
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { type Identity, properties } from '#shared/auth/identity.ts';
import { mapLimited } from '#shared/concurrency.ts';
import type { MuonConfig } from '#shared/config/schema.ts';
import { type JobRecord, type JobRequirements, jobDescriptionSchema } from '#shared/jobs/model.ts';
import { fromJobItem, jobItem } from '#shared/jobs/store/keys.ts';
import { writeBatch } from '#shared/jobs/store/write-jobs.ts';
import type { Random } from '#shared/matcher/select.ts';
import { createMatcher } from '#shared/matcher/service.ts';
import { createTaskQueuePort } from '#shared/taskqueues/port.ts';
import type { TestRuntime } from '#test/integration/support/runtime.ts';

/** A seeded generator (mulberry32), so a failing run can be replayed. */
export function seeded(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export type Requirements = Omit<JobRequirements, 'priority' | 'vo' | 'owner' | 'ownerGroup'> & {
  readonly owner?: string;
  readonly ownerGroup?: string;
  readonly priority?: number;
};

/** Requirements any pilot meets but for the fields given: an hour of CPU, User jobs, no site, CE, platform or tag. */
export const openRequirements = (given: Partial<Requirements> = {}): Requirements => ({
  cpuTime: 3600,
  sites: [],
  bannedSites: [],
  gridCEs: [],
  platforms: [],
  jobTypes: ['User'],
  tags: [],
  ...given,
});

const vo = 'vo.example.org';

function waitingJob(jobId: number, r: Requirements, now: string): JobRecord {
  const owner = r.owner ?? 'alice';
  const requirements: JobRequirements = {
    ...r,
    vo,
    owner,
    ownerGroup: r.ownerGroup ?? 'user',
    priority: r.priority ?? 1,
  };
  const jobType = r.jobTypes[0] ?? 'User';
  return {
    jobId,
    vo,
    owner,
    ownerSub: `${vo}:${owner}`,
    ownerGroup: requirements.ownerGroup,
    status: 'Waiting',
    minorStatus: 'Pilot Agent Submission',
    applicationStatus: 'Unknown',
    site: r.sites.length === 1 ? (r.sites[0] as string) : 'ANY',
    jobName: `job_${jobId}`,
    jobType,
    jobGroup: '',
    userPriority: requirements.priority,
    submissionTime: now,
    lastUpdateTime: now,
    lastStatusTime: now,
    rescheduleCounter: 0,
    description: jobDescriptionSchema.parse({
      kind: 'jdl',
      jdl: `[Executable = "echo"; JobName = "job_${jobId}";]`,
      executable: 'echo',
      jobName: `job_${jobId}`,
      jobType,
      priority: requirements.priority,
      cpuTime: r.cpuTime,
      sites: [...r.sites],
      bannedSites: [...r.bannedSites],
      tags: [...r.tags],
    }),
    requirements,
    parameters: {},
    commands: [],
    history: [],
    version: 1,
  };
}

/** Ids far above those the job manager gives, shared by every test of a file. */
let nextId = 1_000_000;

export function createWaitingJobs(runtime: TestRuntime) {
  const port = createTaskQueuePort(runtime.deps);
  const jobsTable = runtime.resources.tables.jobs as string;
  return {
    /** Puts `count` Waiting jobs with these requirements in their task queue; their ids. */
    async add(requirements: Requirements, count = 1): Promise<number[]> {
      const now = new Date().toISOString();
      const made = Array.from({ length: count }, () => {
        nextId += 1;
        return waitingJob(nextId, requirements, now);
      });
      const jobs = await mapLimited(made, 8, async (job) => ({
        ...job,
        taskQueueId: await port.insert(job, job.requirements as JobRequirements),
      }));
      for (let i = 0; i < jobs.length; i += 25)
        await writeBatch(runtime.aws.dynamo, jobsTable, jobs.slice(i, i + 25).map(jobItem));
      return jobs.map((job) => job.jobId);
    },
    /** Every job in the jobs table, read strongly consistently. */
    async all(): Promise<JobRecord[]> {
      const jobs: JobRecord[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const page = await runtime.aws.dynamo.send(
          new ScanCommand({ TableName: jobsTable, ConsistentRead: true, ExclusiveStartKey: start }),
        );
        for (const item of page.Items ?? []) if (item.sk === 'JOB') jobs.push(fromJobItem(item));
        start = page.LastEvaluatedKey;
      } while (start);
      return jobs;
    },
  };
}

/** A matcher on the runtime's tables, drawing its random choices from `random`. */
export const matcherOn = (runtime: TestRuntime, config: MuonConfig, random: Random) =>
  createMatcher({
    config,
    dynamo: runtime.aws.dynamo,
    tables: {
      jobs: runtime.resources.tables.jobs as string,
      taskQueues: runtime.resources.tables.taskQueues as string,
    },
    workflow: async () => undefined,
    now: () => new Date(),
    logger: runtime.deps.logger,
    random,
  });

/** A bound pilot of vo.example.org registered at `site`, as the pilot binding hands it over. */
export const pilotAt = (reference: string, site: string, gridCE = `ce.${site}`): Identity => ({
  vo,
  sub: `${vo}:pilot`,
  username: 'pilot',
  group: 'pilot',
  properties: [properties.genericPilot],
  pilotReference: reference,
  pilotRegistration: { site, gridCE },
});
