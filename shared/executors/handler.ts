/**
 * An executor's Lambda: its SQS messages name jobs; each is run through the executor and handed on.
 * The community-executor function serves several executors, chosen by the message.
 */
import type { Deps } from '#shared/deps.ts';
import { PermanentError } from '#shared/errors.ts';
import { runExecutor } from '#shared/executors/chain.ts';
import { createDispatcher, executorMessageSchema } from '#shared/executors/dispatch.ts';
import type { Executor } from '#shared/executors/executor.ts';
import { createExecutor } from '#shared/executors/registry.ts';
import { createJobRepository } from '#shared/jobs/repository.ts';
import { createSqsHandler } from '#shared/sqs/handler.ts';

export function createExecutorHandler(deps: Deps, names: readonly string[]) {
  const executors = new Map<string, Executor>(names.map((name) => [name, createExecutor(name, deps)]));
  const jobs = createJobRepository(deps);
  const chain = {
    getJob: jobs.get,
    updateJob: jobs.update,
    dispatch: createDispatcher(deps.aws.sqs, deps.resources),
    now: deps.now,
  };
  return createSqsHandler(deps.logger, executorMessageSchema, async (message, context) => {
    const executor = executors.get(message.executor);
    if (!executor) throw new PermanentError(`This function does not run the executor ${message.executor}.`);
    await runExecutor(chain, executor, message.jobId, context.logger);
  });
}
