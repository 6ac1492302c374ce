/**
 * The PilotStatus agent (shared/agents/pilot-status.ts), run on a schedule; each run also counts
 * the pilots by status for the `Pilots` metric (shared/agents/pilot-census.ts).
 */
import { countPilots } from '#shared/agents/pilot-census.ts';
import { checkPilots } from '#shared/agents/pilot-status.ts';
import type { Deps } from '#shared/deps.ts';
import { bucketName, tableName } from '#shared/deps.ts';
import { lambdaEntry } from '#shared/environment.ts';
import { createScheduleHandler } from '#shared/schedule/handler.ts';

export function createHandler(deps: Deps) {
  const agent = {
    config: deps.config,
    dynamo: deps.aws.dynamo,
    s3: deps.aws.s3,
    pilotsTable: tableName(deps.resources, 'pilots'),
    jobsTable: tableName(deps.resources, 'jobs'),
    countersTable: tableName(deps.resources, 'counters'),
    bucket: bucketName(deps.resources),
    now: deps.now,
    logger: deps.logger,
  };
  const census = {
    dynamo: deps.aws.dynamo,
    pilotsTable: agent.pilotsTable,
    vos: Object.keys(deps.config.virtualOrganizations),
  };
  return createScheduleHandler(deps.logger, 'pilotStatus', async () => {
    const run = await checkPilots(agent);
    return { ...run, pilots: await countPilots(census) };
  });
}

export const handler = lambdaEntry(createHandler);
