/**
 * Pilot management (DIRAC's PilotManager, DiracX's pilots router): registration and the pilot
 * credential, pilot status, pilot info and pilot logs, and the pilot monitor's search and summary.
 * Every pilot's route but registration binds the pilot credential (see docs/pilots.md).
 */
import { type Deps, tableName } from '#shared/deps.ts';
import { lambdaEntry } from '#shared/environment.ts';
import { createHttpHandler } from '#shared/http/handler.ts';
import { respond, route } from '#shared/http/route.ts';
import { createPilotBinding } from '#shared/pilots/binding.ts';
import { createPilotLogs, logUploadSchema } from '#shared/pilots/logs.ts';
import { metadataSchema, referenceQuerySchema, registrationSchema } from '#shared/pilots/model.ts';
import { createPilotRegistry } from '#shared/pilots/registry.ts';
import {
  pilotPageQuerySchema,
  pilotSearchSchema,
  pilotSummarySchema,
  searchPilots,
  summarizePilots,
} from '#shared/pilots/search.ts';

export function createHandler(deps: Deps) {
  const bind = createPilotBinding(deps);
  const registry = createPilotRegistry(deps);
  const logs = createPilotLogs(deps, registry);
  const tables = { dynamo: deps.aws.dynamo, pilotsTable: tableName(deps.resources, 'pilots') };
  return createHttpHandler(
    deps,
    {
      'POST /api/pilots': route({
        caller: ['registeringPilot'],
        body: registrationSchema,
        handle: async ({ body, identity }) => respond(201, await registry.register(identity, body)),
      }),
      'PATCH /api/pilots/metadata': route({
        caller: ['pilot', 'user'],
        body: metadataSchema,
        handle: async ({ body, identity }) => {
          await registry.setMetadata(identity, body);
          // This instance must see the new status at once (an ended pilot's credential stops working).
          bind.forget(body.PilotReference);
          return respond(204);
        },
      }),
      'GET /api/pilots/info': route({
        caller: ['user', 'pilot'],
        query: referenceQuerySchema,
        handle: ({ query, identity }) => registry.info(identity, query.reference),
      }),
      'POST /api/pilots/search': route({
        caller: ['user'],
        body: pilotSearchSchema.optional(),
        query: pilotPageQuerySchema,
        handle: ({ body, query, identity }) =>
          searchPilots(tables, identity, pilotSearchSchema.parse(body ?? {}), query.page, query.per_page),
      }),
      'POST /api/pilots/summary': route({
        caller: ['user'],
        body: pilotSummarySchema,
        handle: ({ body, identity }) => summarizePilots(tables, identity, body),
      }),
      'POST /api/pilots/logs': route({
        caller: ['pilot'],
        body: logUploadSchema,
        handle: ({ body, identity }) => logs.uploadUrl(identity, body),
      }),
      'GET /api/pilots/logs': route({
        caller: ['user', 'pilot'],
        query: referenceQuerySchema,
        handle: ({ query, identity }) => logs.downloadUrl(identity, query.reference),
      }),
    },
    { bindPilot: bind },
  );
}

export const handler = lambdaEntry(createHandler);
