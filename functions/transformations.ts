/**
 * The transformation manager's routes (DIRAC's TransformationManager): submit, status, files,
 * tasks, start, stop, extend, clean. Users only; the policy is shared/transformations/access.ts.
 */
import { z } from 'zod';
import type { Deps } from '#shared/deps.ts';
import { lambdaEntry } from '#shared/environment.ts';
import { createHttpHandler } from '#shared/http/handler.ts';
import { pathId } from '#shared/http/path-ids.ts';
import { respond, route } from '#shared/http/route.ts';
import {
  fileStatuses,
  maxGenerationTasks,
  type TransformationSpecInput,
} from '#shared/transformations/model.ts';
import { createTransformationService } from '#shared/transformations/service.ts';

const idOf = (parameters: Readonly<Record<string, string>>): number =>
  pathId(parameters.transformationId, 'transformation');
const limit = z.coerce.number().int().min(1).max(1000).optional();

export function createHandler(deps: Deps) {
  const transformations = createTransformationService(deps);
  const byId = '/api/transformations/{transformationId}';
  return createHttpHandler(deps, {
    'POST /api/transformations': route({
      caller: ['user'],
      // The service validates the spec, so that every problem reads the same way (a 400).
      body: z.record(z.string(), z.unknown()),
      handle: async ({ identity, body }) =>
        respond(201, await transformations.submit(identity, body as TransformationSpecInput)),
    }),
    [`GET ${byId}`]: route({
      caller: ['user'],
      handle: ({ identity, pathParameters }) => transformations.status(identity, idOf(pathParameters)),
    }),
    [`GET ${byId}/files`]: route({
      caller: ['user'],
      query: z.object({
        status: z.enum(fileStatuses).optional(),
        limit,
        next: z.string().max(4096).optional(),
      }),
      handle: ({ identity, pathParameters, query }) =>
        transformations.files(identity, idOf(pathParameters), {
          ...(query.status ? { status: query.status } : {}),
          ...(query.limit ? { limit: query.limit } : {}),
          ...(query.next ? { next: query.next } : {}),
        }),
    }),
    [`GET ${byId}/tasks`]: route({
      caller: ['user'],
      query: z.object({ after: z.coerce.number().int().min(0).optional(), limit }),
      handle: ({ identity, pathParameters, query }) =>
        transformations.tasks(identity, idOf(pathParameters), {
          ...(query.after !== undefined ? { after: query.after } : {}),
          ...(query.limit ? { limit: query.limit } : {}),
        }),
    }),
    [`POST ${byId}/start`]: route({
      caller: ['user'],
      handle: ({ identity, pathParameters }) => transformations.start(identity, idOf(pathParameters)),
    }),
    [`POST ${byId}/stop`]: route({
      caller: ['user'],
      handle: ({ identity, pathParameters }) => transformations.stop(identity, idOf(pathParameters)),
    }),
    [`POST ${byId}/extend`]: route({
      caller: ['user'],
      body: z.strictObject({ tasks: z.int().min(1).max(maxGenerationTasks) }),
      handle: ({ identity, pathParameters, body }) =>
        transformations.extend(identity, idOf(pathParameters), body.tasks),
    }),
    [`POST ${byId}/clean`]: route({
      caller: ['user'],
      handle: ({ identity, pathParameters }) => transformations.clean(identity, idOf(pathParameters)),
    }),
  });
}

export const handler = lambdaEntry(createHandler);
