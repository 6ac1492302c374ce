/**
 * The production manager's routes (DIRAC's ProductionManager): submit a multi-step Workflow with
 * its steps metadata, list and read productions with their per-step progress, start, stop, clean.
 * Users only; a production's transformations are made and read through the transformation service.
 */
import { z } from 'zod';
import type { Deps } from '#shared/deps.ts';
import { lambdaEntry } from '#shared/environment.ts';
import { createHttpHandler } from '#shared/http/handler.ts';
import { pathId } from '#shared/http/path-ids.ts';
import { respond, route } from '#shared/http/route.ts';
import { submitProductionSchema } from '#shared/productions/model.ts';
import { createProductionPorts } from '#shared/productions/ports.ts';
import { createProductionService, type ProductionAction } from '#shared/productions/service.ts';
import { createTransformationService } from '#shared/transformations/service.ts';

const productionIdParameter = (value: string | undefined): number => pathId(value, 'production');

const listQuerySchema = z.strictObject({ limit: z.coerce.number().int().min(1).max(1000).optional() });

export function createHandler(deps: Deps) {
  const productions = createProductionService(createProductionPorts(deps, createTransformationService(deps)));
  const action = (name: ProductionAction) =>
    route({
      caller: ['user'],
      handle: ({ identity, pathParameters }) =>
        productions.act(identity, productionIdParameter(pathParameters.productionId), name),
    });
  return createHttpHandler(deps, {
    'POST /api/productions': route({
      caller: ['user'],
      body: submitProductionSchema,
      handle: async ({ identity, body, headers }) =>
        respond(201, await productions.submit(identity, body, headers['idempotency-key'])),
    }),
    'GET /api/productions': route({
      caller: ['user'],
      query: listQuerySchema,
      handle: async ({ identity, query }) => ({ productions: await productions.list(identity, query.limit) }),
    }),
    'GET /api/productions/{productionId}': route({
      caller: ['user'],
      handle: ({ identity, pathParameters }) =>
        productions.status(identity, productionIdParameter(pathParameters.productionId)),
    }),
    'POST /api/productions/{productionId}/start': action('start'),
    'POST /api/productions/{productionId}/stop': action('stop'),
    'POST /api/productions/{productionId}/clean': action('clean'),
  });
}

export const handler = lambdaEntry(createHandler);
