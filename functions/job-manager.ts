/**
 * The job manager: submission (JDL and CWL), status updates, kill, delete and reschedule.
 * DIRAC's JobManager and JobStateUpdate services; DiracX's jobs router shapes.
 */
import { z } from 'zod';
import type { Deps } from '#shared/deps.ts';
import { tableName } from '#shared/deps.ts';
import { lambdaEntry } from '#shared/environment.ts';
import { createDispatcher } from '#shared/executors/dispatch.ts';
import { createHttpHandler } from '#shared/http/handler.ts';
import { respond, route } from '#shared/http/route.ts';
import { createJobControl } from '#shared/jobs/control.ts';
import { heartbeatsSchema, recordHeartbeats } from '#shared/jobs/heartbeat.ts';
import { bulkAnswer, jobIdParameter, jobIdsSchema } from '#shared/jobs/http.ts';
import { createJobOutputs, jobOutputsSchema } from '#shared/jobs/outputs.ts';
import { createJobRepository } from '#shared/jobs/repository.ts';
import { forceAllowed, statusUpdatesSchema, toUpdateMap } from '#shared/jobs/status-request.ts';
import { cwlSubmission, cwlSubmissionSchema } from '#shared/jobs/submission/cwl-request.ts';
import { createIdempotencyPort } from '#shared/jobs/submission/idempotency-port.ts';
import { jdlSubmission, jdlSubmissionSchema } from '#shared/jobs/submission/jdl-request.ts';
import { submitJobs } from '#shared/jobs/submission/submit.ts';
import { createTaskQueuePort } from '#shared/taskqueues/port.ts';
import { putWorkflow } from '#shared/workflows/store.ts';

export function createHandler(deps: Deps) {
  const jobs = createJobRepository(deps);
  const dispatch = createDispatcher(deps.aws.sqs, deps.resources);
  const startChain = (ids: readonly number[]) => dispatch('JobPath', ids);
  const taskQueues = createTaskQueuePort(deps);
  const control = createJobControl({
    config: deps.config,
    jobs,
    leaveTaskQueue: taskQueues.remove,
    startChain,
    now: deps.now,
  });
  const submission = {
    config: deps.config,
    jobs,
    idempotency: createIdempotencyPort(deps),
    startChain,
    now: deps.now,
  };
  const outputs = createJobOutputs(jobs);

  return createHttpHandler(deps, {
    'POST /api/jobs': route({
      caller: ['user'],
      body: cwlSubmissionSchema,
      handle: async ({ body, identity, headers }) => {
        const request = cwlSubmission(body, headers['idempotency-key']);
        const storeWorkflow = () =>
          putWorkflow(
            deps.aws.dynamo,
            tableName(deps.resources, 'workflows'),
            request.workflow,
            deps.now().toISOString(),
          );
        return respond(
          201,
          await submitJobs(submission, identity, { ...request, beforeWrite: storeWorkflow }),
        );
      },
    }),
    'POST /api/jobs/jdl': route({
      caller: ['user'],
      body: jdlSubmissionSchema,
      handle: async ({ body, identity, headers }) =>
        respond(
          201,
          await submitJobs(
            submission,
            identity,
            jdlSubmission(body, identity, deps.config, headers['idempotency-key']),
          ),
        ),
    }),
    'PATCH /api/jobs/status': route({
      caller: ['user', 'pilot', 'payload'],
      body: statusUpdatesSchema,
      query: z.object({ force: z.enum(['true', 'false']).optional() }),
      handle: async ({ body, query, identity }) =>
        bulkAnswer(
          await control.setStatuses(
            identity,
            toUpdateMap(body),
            forceAllowed(identity, query.force === 'true'),
          ),
        ),
    }),
    'PATCH /api/jobs/heartbeat': route({
      caller: ['pilot', 'payload'],
      body: heartbeatsSchema,
      handle: async ({ body, identity }) => {
        // DiracX answers the commands alone; a request none of whose jobs could beat is an error.
        const result = bulkAnswer(await recordHeartbeats(jobs, identity, body, deps.now));
        return Object.values(result.success).flat();
      },
    }),
    'POST /api/jobs/kill': route({
      caller: ['user'],
      body: jobIdsSchema,
      handle: async ({ body, identity }) => bulkAnswer(await control.kill(identity, body.job_ids)),
    }),
    'POST /api/jobs/delete': route({
      caller: ['user'],
      body: jobIdsSchema,
      handle: async ({ body, identity }) => bulkAnswer(await control.delete(identity, body.job_ids)),
    }),
    'POST /api/jobs/reschedule': route({
      caller: ['user', 'pilot', 'payload'],
      body: jobIdsSchema,
      handle: async ({ body, identity }) => bulkAnswer(await control.reschedule(identity, body.job_ids)),
    }),
    'PUT /api/jobs/{jobId}/outputs': route({
      caller: ['payload'],
      body: jobOutputsSchema,
      handle: async ({ body, identity, pathParameters }) => {
        await outputs.put(identity, jobIdParameter(pathParameters.jobId), body);
        return respond(204);
      },
    }),
  });
}

export const handler = lambdaEntry(createHandler);
