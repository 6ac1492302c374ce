/**
 * The transformation sweep, run on a schedule: asks for a cycle of every transformation that may
 * have work (all but the Cleaned), the backstop of the catalog events and the way job outcomes
 * reach the files (shared/transformations/cycle.ts).
 */
import type { Deps } from '#shared/deps.ts';
import { tableName } from '#shared/deps.ts';
import { lambdaEntry } from '#shared/environment.ts';
import { createScheduleHandler } from '#shared/schedule/handler.ts';
import { sweep } from '#shared/transformations/sweep.ts';

export function createHandler(deps: Deps) {
  return createScheduleHandler(deps.logger, 'transformations', () =>
    sweep({
      deps,
      store: { dynamo: deps.aws.dynamo, table: tableName(deps.resources, 'transformations') },
      vos: Object.keys(deps.config.virtualOrganizations),
    }),
  );
}

export const handler = lambdaEntry(createHandler);
