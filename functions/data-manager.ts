/**
 * The data manager's routes (docs/pilots.md, API, Data; docs/catalog.md): upload targets on
 * storage elements, replica registration, replicas, downloads, directory listings, metadata,
 * metadata queries and removal. A job wrapper calls them with its job's payload token, so it
 * writes only for that job; users for themselves.
 */

import {
  downloadQuerySchema,
  findRequestSchema,
  listQuerySchema,
  metadataQuerySchema,
  registerRequestSchema,
  removeRequestSchema,
  replicasQuerySchema,
  setMetadataRequestSchema,
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
    'POST /api/data/metadata': route({
      caller: ['user', 'payload'],
      body: setMetadataRequestSchema,
      handle: ({ identity, body }) => data.setMetadata(identity, body),
    }),
    'GET /api/data/metadata': route({
      caller: ['user', 'payload'],
      query: metadataQuerySchema,
      handle: ({ identity, query }) => data.metadata(identity, query.path),
    }),
    'POST /api/data/find': route({
      caller: ['user', 'payload'],
      body: findRequestSchema,
      handle: ({ identity, body }) => data.find(identity, body),
    }),
    'POST /api/data/remove': route({
      caller: ['user'],
      body: removeRequestSchema,
      handle: ({ identity, body }) => data.remove(identity, body.LFN, body.SE),
    }),
  });
}

export const handler = lambdaEntry(createHandler);
