/**
 * The job manager: submission (JDL and CWL), status updates, kill, delete and reschedule.
 * DIRAC's JobManager and JobStateUpdate services; DiracX's jobs router shapes.
 */
import { z } from 'zod';
import type { Identity } from '#shared/auth/identity.ts';
import type { Deps } from '#shared/deps.ts';
import { tableName } from '#shared/deps.ts';
import { lambdaEntry } from '#shared/environment.ts';
import { createDispatcher } from '#shared/executors/dispatch.ts';
import { startBudget } from '#shared/http/budget.ts';
import { createHttpHandler } from '#shared/http/handler.ts';
import { createAnswerStore } from '#shared/http/idempotency/store.ts';
import { respond, route } from '#shared/http/route.ts';
import { idempotentBulk } from '#shared/jobs/bulk-idempotency.ts';
import { createJobControl } from '#shared/jobs/control.ts';
import { heartbeatsSchema, recordHeartbeats } from '#shared/jobs/heartbeat.ts';
import { bulkAnswer, jobIdParameter, jobIdsSchema } from '#shared/jobs/http.ts';
import { createJobOutputs, jobOutputsSchema } from '#shared/jobs/outputs.ts';
import { createJobRepository } from '#shared/jobs/repository.ts';
import { forceAllowed, statusUpdatesSchema, toUpdateMap } from '#shared/jobs/status-request.ts';
import { submissionAnswer } from '#shared/jobs/submission/answer.ts';
import { cwlSubmission, cwlSubmissionSchema } from '#shared/jobs/submission/cwl-request.ts';
import { createIdempotencyPort } from '#shared/jobs/submission/idempotency-port.ts';
import { jdlSubmission, jdlSubmissionSchema } from '#shared/jobs/submission/jdl-request.ts';
import { submitWithin } from '#shared/jobs/submission/submit.ts';
import { createStartedJobsRecorder } from '#shared/pilots/started-jobs.ts';
import { createTaskQueuePort } from '#shared/taskqueues/port.ts';
import { putWorkflow } from '#shared/workflows/store.ts';

export function createHandler(deps: Deps) {
  const jobs = createJobRepository(deps);
  const dispatch = createDispatcher(deps.aws.sqs, deps.resources);
  const startChain = (ids: readonly number[]) => dispatch('JobPath', ids);
  const taskQueues = createTaskQueuePort(deps);
  // A pilot's record lists its jobs from their first report on, not from their match.
  const recordStarted = createStartedJobsRecorder({
    dynamo: deps.aws.dynamo,
    table: () => tableName(deps.resources, 'pilots'),
    now: deps.now,
    logger: deps.logger,
  });
  const control = createJobControl({
    config: deps.config,
    jobs,
    leaveTaskQueue: taskQueues.remove,
    startChain,
    now: deps.now,
    logger: deps.logger,
    recordStarted,
  });
  const submission = {
    config: deps.config,
    jobs,
    idempotency: createIdempotencyPort(deps),
    startChain,
    now: deps.now,
    logger: deps.logger,
  };
  /** Bulk routes stop starting new work when it is spent, and answer with what they did per job. */
  const budget = () => startBudget(deps.config.limits.requestBudgetSeconds);
  const answers = createAnswerStore(deps.aws.dynamo, () => tableName(deps.resources, 'counters'));
  /** Kill, delete, reschedule: a retry with the same Idempotency-Key does only the jobs not done yet. */
  const bulk =
    (action: 'kill' | 'delete' | 'reschedule') =>
    async (request: {
      body: { job_ids: number[] };
      identity: Identity;
      headers: Readonly<Record<string, string>>;
    }) => {
      const spent = budget();
      const { body, identity, headers } = request;
      return bulkAnswer(
        await idempotentBulk(
          answers,
          identity,
          `POST /api/jobs/${action}`,
          headers['idempotency-key'],
          body.job_ids,
          (ids) => control[action](identity, ids, spent),
        ),
      );
    };
  const outputs = createJobOutputs(jobs);

  return createHttpHandler(deps, {
    'POST /api/jobs': route({
      caller: ['user'],
      body: cwlSubmissionSchema,
      handle: async ({ body, identity, headers }) => {
        const spent = budget();
        const request = cwlSubmission(body, headers['idempotency-key']);
        const storeWorkflow = () =>
          putWorkflow(
            deps.aws.dynamo,
            tableName(deps.resources, 'workflows'),
            request.workflow,
            deps.now().toISOString(),
          );
        return submissionAnswer(
          await submitWithin(submission, identity, { ...request, beforeWrite: storeWorkflow }, spent),
        );
      },
    }),
    'POST /api/jobs/jdl': route({
      caller: ['user'],
      body: jdlSubmissionSchema,
      handle: async ({ body, identity, headers }) => {
        const spent = budget();
        return submissionAnswer(
          await submitWithin(
            submission,
            identity,
            jdlSubmission(body, identity, deps.config, headers['idempotency-key']),
            spent,
          ),
        );
      },
    }),
    'PATCH /api/jobs/status': route({
      caller: ['user', 'pilot', 'payload'],
      // Each job is read for its transition; a payload token's job is checked on that read.
      payloadHolding: 'route',
      body: statusUpdatesSchema,
      query: z.object({ force: z.enum(['true', 'false']).optional() }),
      handle: async ({ body, query, identity }) =>
        bulkAnswer(
          await control.setStatuses(
            identity,
            toUpdateMap(body),
            forceAllowed(identity, query.force === 'true'),
            budget(),
          ),
        ),
    }),
    'PATCH /api/jobs/heartbeat': route({
      caller: ['pilot', 'payload'],
      body: heartbeatsSchema,
      handle: async ({ body, identity }) => {
        // DiracX answers the commands alone; a request none of whose jobs could beat is an error.
        const result = bulkAnswer(await recordHeartbeats(jobs, identity, body, deps.now, recordStarted));
        return Object.values(result.success).flat();
      },
    }),
    'POST /api/jobs/kill': route({
      caller: ['user'],
      body: jobIdsSchema,
      handle: bulk('kill'),
    }),
    'POST /api/jobs/delete': route({
      caller: ['user'],
      body: jobIdsSchema,
      handle: bulk('delete'),
    }),
    'POST /api/jobs/reschedule': route({
      caller: ['user', 'pilot', 'payload'],
      body: jobIdsSchema,
      handle: bulk('reschedule'),
    }),
    'PUT /api/jobs/{jobId}/outputs': route({
      caller: ['payload'],
      payloadHolding: 'route',
      body: jobOutputsSchema,
      handle: async ({ body, identity, pathParameters }) => {
        await outputs.put(identity, jobIdParameter(pathParameters.jobId), body);
        return respond(204);
      },
    }),
  });
}

export const handler = lambdaEntry(createHandler);
