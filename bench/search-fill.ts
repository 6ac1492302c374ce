import { restartWithItems } from '#bench/match-backlog.ts';
import { benchRuntime } from '#bench/support.ts';
import { devIdentities } from '#local/dev-auth.ts';
import type { MuonConfig } from '#shared/config/schema.ts';
import { type JobRecord, jobDescriptionSchema } from '#shared/jobs/model.ts';
import { reserveJobIds } from '#shared/jobs/store/allocate-ids.ts';
import { jobItem } from '#shared/jobs/store/keys.ts';

/** Job `jobId` of the table: the n-th of a parametric submission of `search_%n` jobs. */
function waitingJob(jobId: number, user: ReturnType<typeof devIdentities>['user'], now: string): JobRecord {
  const jobName = `search_${jobId - 1}`;
  return {
    jobId,
    vo: user.vo,
    owner: user.username,
    ownerSub: `${user.vo}:${user.username}`,
    ownerGroup: user.group,
    status: 'Waiting',
    minorStatus: 'Pilot Agent Submission',
    applicationStatus: 'Unknown',
    site: 'ANY',
    jobName,
    jobType: 'User',
    jobGroup: '',
    userPriority: 1,
    submissionTime: now,
    lastUpdateTime: now,
    lastStatusTime: now,
    rescheduleCounter: 0,
    description: jobDescriptionSchema.parse({
      kind: 'jdl',
      jdl: `[Executable = "echo"; Arguments = "${jobId - 1}"; JobName = "${jobName}";]`,
      executable: 'echo',
      arguments: String(jobId - 1),
      jobName,
      jobType: 'User',
      priority: 1,
      cpuTime: 86_400,
    }),
    parameters: {},
    commands: [],
    history: (['Received', 'Checking', 'Waiting'] as const).map((status) => ({
      time: now,
      status,
      minorStatus: status === 'Waiting' ? 'Pilot Agent Submission' : 'Job accepted',
      applicationStatus: 'Unknown',
      source: status === 'Received' ? 'JobManager' : 'JobScheduling',
      resultingStatus: status,
      applied: true,
    })),
    version: 3,
  };
}

function* jobChunks(total: number, user: ReturnType<typeof devIdentities>['user'], size = 10_000) {
  const now = new Date().toISOString();
  for (let first = 1; first <= total; first += size) {
    const jobs = [];
    for (let jobId = first; jobId < Math.min(first + size, total + 1); jobId += 1)
      jobs.push(jobItem(waitingJob(jobId, user, now)));
    yield { jobs, entries: [] };
  }
}

/** A runtime whose jobs table holds `total` Waiting jobs of the development user, ids 1..total. */
export async function runtimeWithJobs(config: MuonConfig, total: number) {
  const first = await benchRuntime({ config });
  const tables = {
    jobs: first.resources.tables.jobs as string,
    taskQueues: first.resources.tables.taskQueues as string,
  };
  // The ids are taken, as a submission would have taken them.
  await reserveJobIds(first.aws.dynamo, first.resources.tables.counters as string, total);
  return restartWithItems(first, config, tables, jobChunks(total, devIdentities(config).user));
}
