/** The JobCleaning agent (shared/agents/job-cleaning.ts), run on a schedule. */
import { cleanJobs } from '#shared/agents/job-cleaning.ts';
import type { Deps } from '#shared/deps.ts';
import { bucketName, tableName } from '#shared/deps.ts';
import { lambdaEntry } from '#shared/environment.ts';
import { createJobRepository } from '#shared/jobs/repository.ts';
import { createScheduleHandler } from '#shared/schedule/handler.ts';
import { createTaskQueuePort } from '#shared/taskqueues/port.ts';

export function createHandler(deps: Deps) {
  const agent = {
    config: deps.config,
    dynamo: deps.aws.dynamo,
    s3: deps.aws.s3,
    jobsTable: tableName(deps.resources, 'jobs'),
    countersTable: tableName(deps.resources, 'counters'),
    sandboxesTable: tableName(deps.resources, 'sandboxes'),
    bucket: bucketName(deps.resources),
    jobs: createJobRepository(deps),
    leaveTaskQueue: createTaskQueuePort(deps).remove,
    now: deps.now,
    logger: deps.logger,
  };
  return createScheduleHandler(deps.logger, 'cleaning', () => cleanJobs(agent));
}

export const handler = lambdaEntry(createHandler);
