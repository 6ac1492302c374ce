/** The InputData executor, fed by its SQS queue. */
import type { Deps } from '#shared/deps.ts';
import { lambdaEntry } from '#shared/environment.ts';
import { createExecutorHandler } from '#shared/executors/handler.ts';

export const createHandler = (deps: Deps) => createExecutorHandler(deps, ['InputData']);
export const handler = lambdaEntry(createHandler);
