/**
 * The data manager's routes (docs/pilots.md, API, Data): upload targets on storage
 * elements, replica registration, replicas, downloads and directory listings. Writes bind the
 * pilot credential first, so a pilot writes only for the jobs it runs.
 */

import {
  downloadQuerySchema,
  listQuerySchema,
  registerRequestSchema,
  replicasQuerySchema,
  uploadRequestSchema,
} from '#shared/data/model.ts';
import { createDataManager } from '#shared/data/service.ts';
import type { Deps } from '#shared/deps.ts';
import { lambdaEntry } from '#shared/environment.ts';
import { createHttpHandler } from '#shared/http/handler.ts';
import { respond, route } from '#shared/http/route.ts';
import { createPilotBinding } from '#shared/pilots/binding.ts';

export function createHandler(deps: Deps) {
  const data = createDataManager(deps);
  const bind = createPilotBinding(deps);
  return createHttpHandler(deps, {
    'POST /api/data/upload': route({
      body: uploadRequestSchema,
      handle: async ({ identity, headers, body }) => data.upload(await bind(identity, headers), body),
    }),
    'POST /api/data/register': route({
      body: registerRequestSchema,
      handle: async ({ identity, headers, body }) => {
        await data.register(await bind(identity, headers), body);
        return respond(204);
      },
    }),
    'GET /api/data/replicas': route({
      query: replicasQuerySchema,
      handle: ({ identity, query }) => data.replicas(identity, query.lfn),
    }),
    'GET /api/data/download': route({
      query: downloadQuerySchema,
      handle: ({ identity, query }) => data.download(identity, query.lfn, query.se),
    }),
    'GET /api/data/list': route({
      query: listQuerySchema,
      handle: ({ identity, query }) => data.list(identity, query.path, query.next),
    }),
  });
}

export const handler = lambdaEntry(createHandler);
