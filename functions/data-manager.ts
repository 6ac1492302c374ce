/**
 * The data manager's routes (docs/pilots.md, API, Data): upload targets on storage
 * elements, replica registration, replicas, downloads and directory listings. A job wrapper calls
 * them with its job's payload token, so it writes only for that job; users for themselves.
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

export function createHandler(deps: Deps) {
  const data = createDataManager(deps);
  return createHttpHandler(deps, {
    'POST /api/data/upload': route({
      caller: ['user', 'payload'],
      body: uploadRequestSchema,
      handle: ({ identity, body }) => data.upload(identity, body),
    }),
    'POST /api/data/register': route({
      caller: ['user', 'payload'],
      body: registerRequestSchema,
      handle: async ({ identity, body }) => {
        await data.register(identity, body);
        return respond(204);
      },
    }),
    'GET /api/data/replicas': route({
      caller: ['user', 'payload'],
      query: replicasQuerySchema,
      handle: ({ identity, query }) => data.replicas(identity, query.lfn),
    }),
    'GET /api/data/download': route({
      caller: ['user', 'payload'],
      query: downloadQuerySchema,
      handle: ({ identity, query }) => data.download(identity, query.lfn, query.se),
    }),
    'GET /api/data/list': route({
      caller: ['user'],
      query: listQuerySchema,
      handle: ({ identity, query }) => data.list(identity, query.path, query.next),
    }),
  });
}

export const handler = lambdaEntry(createHandler);
