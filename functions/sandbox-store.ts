/**
 * The sandbox store's routes (DiracX's `routers/jobs/sandboxes.py`): register an upload and get a
 * presigned PUT, get a presigned download, list a job's sandboxes, assign a job's output sandbox.
 * A job's output sandbox is registered for the job's owner by the pilot that runs the job.
 */
import { z } from 'zod';
import type { Deps } from '#shared/deps.ts';
import { lambdaEntry } from '#shared/environment.ts';
import { ValidationError } from '#shared/errors.ts';
import { createHttpHandler } from '#shared/http/handler.ts';
import { route } from '#shared/http/route.ts';
import { createPilotBinding } from '#shared/pilots/binding.ts';
import { sandboxInfoSchema } from '#shared/sandboxes/model.ts';
import { createSandboxStore } from '#shared/sandboxes/service.ts';

const downloadQuerySchema = z.object({ pfn: z.string().min(1) });
/** The PATCH body is the reference itself, as a JSON string (DiracX). */
const referenceBodySchema = z.string().min(1);
const jobIdSchema = z.coerce.number().int().positive();

function jobIdOf(pathParameters: Readonly<Record<string, string>>): number {
  const parsed = jobIdSchema.safeParse(pathParameters.jobId);
  if (!parsed.success) throw new ValidationError(`"${pathParameters.jobId}" is not a job id.`);
  return parsed.data;
}

export const createHandler = (deps: Deps) => {
  const store = createSandboxStore(deps);
  // A pilot sees and assigns the sandboxes of its own jobs only, so those routes bind it.
  const bindPilot = createPilotBinding(deps);
  return createHttpHandler(deps, {
    'POST /api/jobs/sandbox': route({
      body: sandboxInfoSchema,
      handle: ({ identity, body }) => store.initiateUpload(identity, body),
    }),
    'GET /api/jobs/sandbox': route({
      query: downloadQuerySchema,
      handle: ({ identity, query }) => store.downloadUrl(identity, query.pfn),
    }),
    'GET /api/jobs/{jobId}/sandbox': route({
      handle: async ({ identity, headers, pathParameters }) =>
        store.jobSandboxes(await bindPilot(identity, headers), jobIdOf(pathParameters)),
    }),
    'POST /api/jobs/{jobId}/sandbox/output': route({
      body: sandboxInfoSchema,
      handle: async ({ identity, headers, pathParameters, body }) =>
        store.initiateOutputUpload(await bindPilot(identity, headers), jobIdOf(pathParameters), body),
    }),
    'PATCH /api/jobs/{jobId}/sandbox/output': route({
      body: referenceBodySchema,
      handle: async ({ identity, headers, pathParameters, body }) => {
        await store.assignOutput(await bindPilot(identity, headers), jobIdOf(pathParameters), body);
        return null;
      },
    }),
  });
};

export const handler = lambdaEntry(createHandler);
