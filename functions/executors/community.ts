/** Community executors (see shared/executors/registry.ts), fed by the customExecutors queue. */
import type { Deps } from '#shared/deps.ts';
import { lambdaEntry } from '#shared/environment.ts';
import { createExecutorHandler } from '#shared/executors/handler.ts';
import { communityExecutors } from '#shared/executors/registry.ts';

export const createHandler = (deps: Deps) => createExecutorHandler(deps, Object.keys(communityExecutors));
export const handler = lambdaEntry(createHandler);
