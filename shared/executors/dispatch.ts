/**
 * Handing jobs to an executor: one SQS message per job on the executor's queue. Built-in executors
 * have queues of their own; community executors share the `customExecutors` queue and are told
 * apart by the message's `executor` field.
 */
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { queueUrl, type ResourceNames } from '#shared/deps.ts';
import type { QueueName } from '#shared/resources.ts';

export const executorMessageSchema = z.object({
  jobId: z.number().int().positive(),
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
    const batches: number[][] = [];
    for (let i = 0; i < jobIds.length; i += 10) batches.push(jobIds.slice(i, i + 10));
    let cursor = 0;
    const worker = async () => {
      while (cursor < batches.length) {
        const batch = batches[cursor++] as number[];
        let entries = batch.map((jobId) => ({
          Id: String(jobId),
          MessageBody: JSON.stringify({ jobId, executor } satisfies ExecutorMessage),
          // SQS caps a message delay at 15 minutes.
          ...(delaySeconds > 0 ? { DelaySeconds: Math.min(900, Math.ceil(delaySeconds)) } : {}),
        }));
        for (let attempt = 0; entries.length > 0; attempt += 1) {
          if (attempt > 5) throw new Error(`SQS refused ${entries.length} messages for ${executor}.`);
          const result = await sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: entries }));
          const failed = new Set((result.Failed ?? []).map((f) => f.Id));
          entries = entries.filter((e) => failed.has(e.Id));
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(parallel, batches.length) }, worker));
  };
}
