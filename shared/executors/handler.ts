/**
 * An executor's Lambda: its SQS messages name jobs; each is run through the executor and handed on.
 * The community-executor function serves several executors, chosen by the message.
 */
import type { Deps } from '#shared/deps.ts';
import { PermanentError } from '#shared/errors.ts';
import { type ChainDeps, runExecutor } from '#shared/executors/chain.ts';
import { createDispatcher, executorMessageSchema } from '#shared/executors/dispatch.ts';
import type { Executor } from '#shared/executors/executor.ts';
import { createExecutor } from '#shared/executors/registry.ts';
import type { JobRecord } from '#shared/jobs/model.ts';
import { createJobRepository } from '#shared/jobs/repository.ts';
import { createChainTransitions } from '#shared/jobs/transitions/check.ts';
import { createSqsHandler } from '#shared/sqs/handler.ts';

export function createExecutorHandler(deps: Deps, names: readonly string[]) {
  const executors = new Map<string, Executor>(names.map((name) => [name, createExecutor(name, deps)]));
  const jobs = createJobRepository(deps);
  const dispatch = createDispatcher(deps.aws.sqs, deps.resources);
  const transitions = createChainTransitions(jobs.transitions);

  /** One batch of messages: the jobs are read in one call and the hand-overs sent together at the end. */
  interface Batch {
    readonly prefetched: Map<number, JobRecord>;
    readonly outgoing: Map<string, number[]>;
    readonly chain: ChainDeps;
  }

  const newBatch = (prefetched: Map<number, JobRecord>): Batch => {
    const outgoing = new Map<string, number[]>();
    return {
      prefetched,
      outgoing,
      chain: {
        getJob: async (jobId) => {
          const job = prefetched.get(jobId);
          prefetched.delete(jobId); // a second read (after a lost race) goes to the table
          return job ?? (await jobs.get(jobId));
        },
        transitions,
        updateJob: jobs.update,
        dispatch: async (executor, jobIds, delaySeconds = 0) => {
          const key = `${executor}|${delaySeconds}`;
          outgoing.set(key, [...(outgoing.get(key) ?? []), ...jobIds]);
        },
        now: deps.now,
      },
    };
  };

  return createSqsHandler(
    deps.logger,
    executorMessageSchema,
    async (message, context, batch: Batch) => {
      const executor = executors.get(message.executor);
      if (!executor) throw new PermanentError(`This function does not run the executor ${message.executor}.`);
      // A transient failure of one job fails the message; its other jobs, already moved on, are
      // then dropped as no longer waiting for this executor when it comes back.
      // A job that can never be processed is logged and skipped; the message's other jobs go on.
      for (const jobId of message.jobIds) {
        try {
          await runExecutor(batch.chain, executor, jobId, context.logger);
        } catch (error) {
          if (!(error instanceof PermanentError)) throw error;
          context.logger.error('job skipped by its executor', { jobId, executor: executor.name, error });
        }
      }
    },
    {
      prepare: async (messages) =>
        newBatch(
          new Map((await jobs.getMany(messages.flatMap((m) => m.jobIds))).map((job) => [job.jobId, job])),
        ),
      // The jobs are already written as waiting for their next executor, so a redelivered batch
      // would only be dropped: a hand-over the dispatcher could not send after its own retries is
      // logged and left to the recovery sweep.
      finish: async (batch) => {
        await Promise.all(
          [...batch.outgoing].map(async ([key, ids]) => {
            const [executor, delay] = key.split('|') as [string, string];
            await dispatch(executor, ids, Number(delay)).catch((error: unknown) =>
              deps.logger.error('hand-over failed; the recovery sweep will resend', { executor, ids, error }),
            );
          }),
        );
      },
    },
  );
}
