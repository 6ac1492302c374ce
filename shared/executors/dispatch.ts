/**
 * Handing jobs to an executor: SQS messages of up to ten jobs on the executor's queue. Built-in executors
 * have queues of their own; community executors share the `customExecutors` queue and are told
 * apart by the message's `executor` field.
 */
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { chunk, forEachLimited } from '#shared/concurrency.ts';
import { queueUrl, type ResourceNames } from '#shared/deps.ts';
import type { QueueName } from '#shared/resources.ts';

/** Up to `jobsPerMessage` jobs per message: a 10,000-job submission is 1,000 messages, not 10,000. */
export const jobsPerMessage = 10;

export const executorMessageSchema = z.object({
  jobIds: z.array(z.number().int().positive()).min(1).max(100),
  executor: z.string().min(1),
});
export type ExecutorMessage = z.infer<typeof executorMessageSchema>;

export const builtinExecutorQueues: Readonly<Record<string, QueueName>> = {
  JobPath: 'jobPath',
  JobSanity: 'jobSanity',
  InputData: 'inputData',
  JobScheduling: 'jobScheduling',
};

export const queueForExecutor = (executor: string): QueueName =>
  builtinExecutorQueues[executor] ?? 'customExecutors';

export type Dispatch = (executor: string, jobIds: readonly number[], delaySeconds?: number) => Promise<void>;

export function createDispatcher(sqs: SQSClient, resources: ResourceNames, parallel = 8): Dispatch {
  return async (executor, jobIds, delaySeconds = 0) => {
    const url = queueUrl(resources, queueForExecutor(executor));
    const batches = chunk(chunk(jobIds, jobsPerMessage), 10);
    await forEachLimited(batches, parallel, async (batch) => {
      let entries = batch.map((ids, index) => ({
        Id: String(index),
        MessageBody: JSON.stringify({ jobIds: ids, executor } satisfies ExecutorMessage),
        // SQS caps a message delay at 15 minutes.
        ...(delaySeconds > 0 ? { DelaySeconds: Math.min(900, Math.ceil(delaySeconds)) } : {}),
      }));
      // Entries SQS refuses and requests that fail outright are both tried again, with backoff.
      for (let attempt = 0; entries.length > 0; attempt += 1) {
        if (attempt > 0)
          await new Promise((resolve) => setTimeout(resolve, Math.min(2000, 100 * 2 ** attempt)));
        try {
          const result = await sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: entries }));
          const failed = new Set((result.Failed ?? []).map((f) => f.Id));
          entries = entries.filter((e) => failed.has(e.Id));
        } catch (error) {
          if (attempt >= 5) throw error;
          continue;
        }
        if (entries.length > 0 && attempt >= 5) {
          throw new Error(`SQS refused ${entries.length} messages for ${executor}.`);
        }
      }
    });
  };
}
