/** The StalledJobs agent (shared/agents/stalled-jobs.ts), run on a schedule. */
import { findStalledJobs } from '#shared/agents/stalled-jobs.ts';
import type { Deps } from '#shared/deps.ts';
import { tableName } from '#shared/deps.ts';
import { lambdaEntry } from '#shared/environment.ts';
import { createDispatcher } from '#shared/executors/dispatch.ts';
import { createJobRepository } from '#shared/jobs/repository.ts';
import { createScheduleHandler } from '#shared/schedule/handler.ts';

export function createHandler(deps: Deps) {
  const dispatch = createDispatcher(deps.aws.sqs, deps.resources);
  const agent = {
    config: deps.config,
    dynamo: deps.aws.dynamo,
    jobsTable: tableName(deps.resources, 'jobs'),
    countersTable: tableName(deps.resources, 'counters'),
    pilotsTable: tableName(deps.resources, 'pilots'),
    jobs: createJobRepository(deps),
    startChain: (jobIds: readonly number[]) => dispatch('JobPath', jobIds),
    now: deps.now,
    logger: deps.logger,
  };
  return createScheduleHandler(deps.logger, 'stalledJobs', () => findStalledJobs(agent));
}

export const handler = lambdaEntry(createHandler);
