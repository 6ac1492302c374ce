/** The UnconfirmedMatches agent (shared/agents/unconfirmed-matches.ts), run on a schedule. */
import { returnUnconfirmedMatches } from '#shared/agents/unconfirmed-matches.ts';
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
    jobs: createJobRepository(deps),
    startChain: (jobIds: readonly number[]) => dispatch('JobPath', jobIds),
    now: deps.now,
    logger: deps.logger,
  };
  return createScheduleHandler(deps.logger, 'unconfirmedMatches', () => returnUnconfirmedMatches(agent));
}

export const handler = lambdaEntry(createHandler);
