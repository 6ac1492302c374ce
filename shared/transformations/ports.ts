/**
 * What the transformation agent needs from the rest of muon, as narrow ports: the catalog (find
 * and size files), the workflows store, the jobs (their statuses, submission, kill) and its own
 * work queue. `createEnginePorts` builds them from a function's dependencies.
 */

import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import type { Identity } from '#shared/auth/identity.ts';
import type { MetaQuery } from '#shared/catalog/query.ts';
import { catalogTable, findFiles } from '#shared/catalog/service.ts';
import { getEntries } from '#shared/catalog/store.ts';
import { chunk, forEachLimited } from '#shared/concurrency.ts';
import type { MuonConfig } from '#shared/config/schema.ts';
import { type Deps, queueUrl, tableName } from '#shared/deps.ts';
import { createDispatcher } from '#shared/executors/dispatch.ts';
import { createJobControl } from '#shared/jobs/control.ts';
import { createJobRepository } from '#shared/jobs/repository.ts';
import { jobKey } from '#shared/jobs/store/keys.ts';
import { type CwlSubmission, cwlSubmission } from '#shared/jobs/submission/cwl-request.ts';
import { createIdempotencyPort } from '#shared/jobs/submission/idempotency-port.ts';
import { submitJobs } from '#shared/jobs/submission/submit.ts';
import type { Logger } from '#shared/log.ts';
import { createTaskQueuePort } from '#shared/taskqueues/port.ts';
import type { TableStore } from '#shared/transformations/store/transformations.ts';
import { getWorkflow } from '#shared/workflows/store.ts';

export interface JobState {
  readonly status: string;
  readonly minorStatus: string;
}

export interface EnginePorts {
  readonly store: TableStore;
  readonly config: MuonConfig;
  readonly logger: Logger;
  readonly now: () => Date;
  readonly catalog: {
    find(vo: string, query: MetaQuery, start?: string): Promise<{ lfns: string[]; next?: string }>;
    sizes(lfns: readonly string[]): Promise<Map<string, number>>;
  };
  readonly workflow: (workflowId: string) => Promise<unknown>;
  readonly jobs: {
    states(jobIds: readonly number[]): Promise<Map<number, JobState>>;
    submit(owner: Identity, body: CwlSubmission, idempotencyKey: string): Promise<number>;
    kill(owner: Identity, jobIds: readonly number[]): Promise<void>;
  };
  /** Asks for another cycle of the transformation (more work than one run's budget). */
  readonly requeue: (transformationId: number, delaySeconds?: number) => Promise<void>;
  readonly settings: EngineSettings;
}

export interface EngineSettings {
  /** Longer than the worker's timeout: a holder whose lease ran out is not running. */
  readonly leaseSeconds: number;
  /** A partial group is made once no file joined for this long. */
  readonly flushSeconds: number;
  /** How often a query transformation's catalog is scanned again (the backstop of the events). */
  readonly rescanSeconds: number;
  /** How long one cycle works before it hands the rest to the next. */
  readonly budgetMs: number;
}

export const defaultSettings: EngineSettings = {
  leaseSeconds: 180,
  flushSeconds: 10,
  rescanSeconds: 600,
  budgetMs: 20_000,
};

export function createEnginePorts(deps: Deps, settings: Partial<EngineSettings> = {}): EnginePorts {
  const jobs = createJobRepository(deps);
  const dispatch = createDispatcher(deps.aws.sqs, deps.resources);
  const startChain = (ids: readonly number[]) => dispatch('JobPath', ids);
  const submission = {
    config: deps.config,
    jobs,
    idempotency: createIdempotencyPort(deps),
    startChain,
    now: deps.now,
  };
  const control = () =>
    createJobControl({
      config: deps.config,
      jobs,
      leaveTaskQueue: createTaskQueuePort(deps).remove,
      startChain,
      now: deps.now,
    });
  return {
    store: { dynamo: deps.aws.dynamo, table: tableName(deps.resources, 'transformations') },
    config: deps.config,
    logger: deps.logger,
    now: deps.now,
    catalog: {
      find: (vo, query, start) => findFiles(deps, vo, query, start ? { start } : {}),
      sizes: async (lfns) => {
        const entries = await getEntries(catalogTable(deps), lfns);
        return new Map(
          [...entries].flatMap(([lfn, entry]) => (entry.size !== undefined ? [[lfn, entry.size]] : [])),
        );
      },
    },
    workflow: (workflowId) =>
      getWorkflow(deps.aws.dynamo, tableName(deps.resources, 'workflows'), workflowId),
    jobs: {
      states: (jobIds) => jobStates(deps, jobIds),
      submit: async (owner, body, idempotencyKey) => {
        const [job] = await submitJobs(submission, owner, cwlSubmission(body, idempotencyKey));
        if (!job) throw new Error('The submission of a task made no job.');
        return job.JobID;
      },
      kill: async (owner, jobIds) => {
        await control().kill(owner, jobIds);
      },
    },
    requeue: (transformationId, delaySeconds) => requestCycle(deps, transformationId, delaySeconds),
    settings: { ...defaultSettings, ...settings },
  };
}

/** A message of the transformationWork queue: run a cycle of this transformation. */
export const workMessageSchema = z.strictObject({ transformationId: z.int().positive() });

export async function requestCycle(
  deps: Pick<Deps, 'aws' | 'resources'>,
  transformationId: number,
  delaySeconds = 0,
): Promise<void> {
  await deps.aws.sqs.send(
    new SendMessageCommand({
      QueueUrl: queueUrl(deps.resources, 'transformationWork'),
      MessageBody: JSON.stringify({ transformationId }),
      DelaySeconds: delaySeconds,
    }),
  );
}

/** Status and minor status of each job, a hundred to a BatchGet, nothing else of the job read back. */
async function jobStates(deps: Deps, jobIds: readonly number[]): Promise<Map<number, JobState>> {
  const table = tableName(deps.resources, 'jobs');
  const found = new Map<number, JobState>();
  await forEachLimited(chunk([...new Set(jobIds)], 100), 4, async (batch) => {
    let keys: Record<string, unknown>[] = batch.map(jobKey);
    for (let attempt = 0; keys.length > 0; attempt += 1) {
      if (attempt > 8) throw new Error('DynamoDB left job reads unprocessed after 8 attempts.');
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
      const result = await deps.aws.dynamo.send(
        new BatchGetCommand({
          RequestItems: {
            [table]: {
              Keys: keys,
              ProjectionExpression: '#id, #status, #minor',
              ExpressionAttributeNames: { '#id': 'jobId', '#status': 'status', '#minor': 'minorStatus' },
            },
          },
        }),
      );
      for (const item of result.Responses?.[table] ?? [])
        found.set(item.jobId as number, {
          status: item.status as string,
          minorStatus: item.minorStatus as string,
        });
      keys = (result.UnprocessedKeys?.[table]?.Keys ?? []) as Record<string, unknown>[];
    }
  });
  return found;
}
