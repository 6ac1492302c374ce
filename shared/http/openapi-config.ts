/**
 * The OpenAPI description of the configuration routes (functions/config.ts): DiracX's
 * `GET /api/config`, DIRAC's Configuration Service. See shared/http/openapi-contract.ts.
 */
import { z } from 'zod';
import { configSchema, type MuonConfig } from '#shared/config/schema.ts';
import type { RouteDocs } from '#shared/http/openapi-contract.ts';
import { fits, ok } from '#shared/http/openapi-contract.ts';

const document = fits<MuonConfig>()(configSchema);

export const configRouteDocs: RouteDocs = {
  'GET /api/config': {
    tag: 'config',
    summary: 'The configuration the API runs with now',
    description: 'For users, and for pilots at start (`muon pilot --config api`).',
    caller: ['user', 'registeringPilot'],
    answers: [ok('The configuration document (docs/configuration.md).', document)],
    errors: [],
  },
  'PUT /api/config': {
    tag: 'config',
    summary: 'Replace the configuration (`muon config push`, a CSAdministrator)',
    description:
      'Any JSON object is accepted here; it is validated as the schema shown, and an invalid one changes nothing. Every function reads the new one within a minute.',
    caller: ['user'],
    body: z.record(z.string(), z.unknown()),
    bodyShape: configSchema,
    answers: [ok('The configuration now in force, with its defaults.', document)],
    errors: [
      { status: 403, when: 'The caller lacks the CSAdministrator property.' },
      { status: 422, when: 'The document is invalid; the detail lists every problem with its path.' },
    ],
  },
};
