/**
 * Every HTTP route's documentation, keyed by API Gateway route key as shared/resources.ts lists
 * them; test/unit/http/openapi.test.ts fails when a route of shared/resources.ts is missing here or
 * a documented route no longer exists.
 */
import { z } from 'zod';
import { configRouteDocs } from '#shared/http/openapi-config.ts';
import { ok, type RouteDocs } from '#shared/http/openapi-contract.ts';
import { dataRouteDocs } from '#shared/http/openapi-data.ts';
import { jobRouteDocs } from '#shared/http/openapi-jobs.ts';
import { pilotRouteDocs } from '#shared/http/openapi-pilots.ts';
import { productionRouteDocs } from '#shared/http/openapi-productions.ts';
import { sandboxRouteDocs } from '#shared/http/openapi-sandboxes.ts';

/** The document's own routes (functions/openapi.ts): public, as DiracX's are. */
const documentRouteDocs: RouteDocs = {
  'GET /api/openapi.json': {
    tag: 'service',
    summary: 'This document (OpenAPI 3.1)',
    caller: 'public',
    answers: [
      ok(
        'The OpenAPI document of this deployment.',
        z.looseObject({ openapi: z.literal('3.1.0'), paths: z.record(z.string(), z.unknown()) }),
      ),
    ],
    errors: [],
  },
  'GET /api/docs': {
    tag: 'service',
    summary: 'This document as a page to read',
    caller: 'public',
    answers: [{ status: 200, description: 'An HTML page.', schema: z.string(), contentType: 'text/html' }],
    errors: [],
  },
};

export const routeDocs: RouteDocs = {
  ...pilotRouteDocs,
  ...jobRouteDocs,
  ...sandboxRouteDocs,
  ...dataRouteDocs,
  ...productionRouteDocs,
  ...configRouteDocs,
  ...documentRouteDocs,
};
