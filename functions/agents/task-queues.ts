/** The TaskQueues agent (shared/agents/task-queues.ts), run on a schedule. */
import { recalculateTaskQueues } from '#shared/agents/task-queues.ts';
import type { Deps } from '#shared/deps.ts';
import { tableName } from '#shared/deps.ts';
import { lambdaEntry } from '#shared/environment.ts';
import { createScheduleHandler } from '#shared/schedule/handler.ts';

export function createHandler(deps: Deps) {
  const agent = {
    config: deps.config,
    dynamo: deps.aws.dynamo,
    table: tableName(deps.resources, 'taskQueues'),
    now: deps.now,
    logger: deps.logger,
  };
  return createScheduleHandler(deps.logger, 'taskQueues', () => recalculateTaskQueues(agent));
}

export const handler = lambdaEntry(createHandler);
