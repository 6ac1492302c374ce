/** The recovery sweep agent (shared/agents/recovery.ts), run on a schedule. */

import { recoverStuckJobs } from '#shared/agents/recovery.ts';
import type { Deps } from '#shared/deps.ts';
import { tableName } from '#shared/deps.ts';
import { lambdaEntry } from '#shared/environment.ts';
import { createDispatcher } from '#shared/executors/dispatch.ts';
import { createJobRepository } from '#shared/jobs/repository.ts';
import { createScheduleHandler } from '#shared/schedule/handler.ts';

export function createHandler(deps: Deps) {
  const sweep = {
    config: deps.config,
    dynamo: deps.aws.dynamo,
    jobsTable: tableName(deps.resources, 'jobs'),
    countersTable: tableName(deps.resources, 'counters'),
    jobs: createJobRepository(deps),
    dispatch: createDispatcher(deps.aws.sqs, deps.resources),
    now: deps.now,
    logger: deps.logger,
  };
  return createScheduleHandler(deps.logger, 'recovery', () => recoverStuckJobs(sweep));
}

export const handler = lambdaEntry(createHandler);
