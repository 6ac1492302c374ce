/**
 * The sandbox store's routes (DiracX's `routers/jobs/sandboxes.py`): register an upload and get a
 * presigned PUT, get a presigned download, list a job's sandboxes, assign a job's output sandbox.
 * A job's output sandbox is registered for the job's owner by the pilot that runs the job.
 */
import { z } from 'zod';
import type { Deps } from '#shared/deps.ts';
import { lambdaEntry } from '#shared/environment.ts';
import { createHttpHandler } from '#shared/http/handler.ts';
import { route } from '#shared/http/route.ts';
import { jobIdParameter } from '#shared/jobs/http.ts';
import { sandboxInfoSchema } from '#shared/sandboxes/model.ts';
import { createSandboxStore } from '#shared/sandboxes/service.ts';

const downloadQuerySchema = z.object({ pfn: z.string().min(1) });
/** The PATCH body is the reference itself, as a JSON string (DiracX). */
const referenceBodySchema = z.string().min(1);

export const createHandler = (deps: Deps) => {
  const store = createSandboxStore(deps);
  return createHttpHandler(deps, {
    'POST /api/jobs/sandbox': route({
      caller: ['user'],
      body: sandboxInfoSchema,
      handle: ({ identity, body }) => store.initiateUpload(identity, body),
    }),
    // A job wrapper downloads its job's input sandboxes with the job's payload token.
    'GET /api/jobs/sandbox': route({
      caller: ['user', 'payload'],
      query: downloadQuerySchema,
      handle: ({ identity, query }) => store.downloadUrl(identity, query.pfn),
    }),
    'GET /api/jobs/{jobId}/sandbox': route({
      caller: ['user', 'payload'],
      handle: ({ identity, pathParameters }) =>
        store.jobSandboxes(identity, jobIdParameter(pathParameters.jobId)),
    }),
    'POST /api/jobs/{jobId}/sandbox/output': route({
      caller: ['payload'],
      // The route reads the job (readableJob) and checks the payload token's holding on it.
      payloadHolding: 'route',
      body: sandboxInfoSchema,
      handle: ({ identity, pathParameters, body }) =>
        store.initiateOutputUpload(identity, jobIdParameter(pathParameters.jobId), body),
    }),
    'PATCH /api/jobs/{jobId}/sandbox/output': route({
      caller: ['payload'],
      payloadHolding: 'route',
      body: referenceBodySchema,
      handle: async ({ identity, pathParameters, body }) => {
        await store.assignOutput(identity, jobIdParameter(pathParameters.jobId), body);
        return null;
      },
    }),
  });
};

export const handler = lambdaEntry(createHandler);
