/**
 * The live configuration over HTTP (DiracX's `GET /api/config`; DIRAC's Configuration Service):
 * - `GET /api/config`: the live document, read from its S3 object (the one every function runs
 *   with within its refresh period, so a `muon config show` right after a push shows the push),
 *   for users, and for pilots at start (`muon pilot --config api`), so a Batch pilot never runs
 *   with its image's copy;
 * - `PUT /api/config`: `muon config push`, for a CSAdministrator. The document is validated first;
 *   an invalid one changes nothing and the answer lists every problem with its path. A valid one
 *   replaces the S3 object (shared/config/live.ts) that every function re-reads within a minute.
 */
import { z } from 'zod';
import { properties } from '#shared/auth/identity.ts';
import { configObjectKey, readStoredConfig, writeConfigObject } from '#shared/config/live.ts';
import { validateConfig } from '#shared/config/load.ts';
import type { Deps } from '#shared/deps.ts';
import { lambdaEntry } from '#shared/environment.ts';
import { ConfigurationError, ForbiddenError, MuonError } from '#shared/errors.ts';
import { createHttpHandler } from '#shared/http/handler.ts';
import { respond, route } from '#shared/http/route.ts';

/** An invalid document: 422 with every problem, as `muon config validate` lists them. */
class InvalidConfigurationError extends MuonError {
  constructor(issues: { path: string; message: string }[]) {
    super(
      'config.invalid',
      422,
      `The configuration is invalid (${issues.length} problem(s)); nothing was changed:\n${issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`,
    );
  }
}

export const createHandler = (deps: Deps) =>
  createHttpHandler(deps, {
    'GET /api/config': route({
      caller: ['user', 'registeringPilot'],
      handle: async () => {
        const bucket = deps.resources.bucket;
        if (!bucket) return deps.config;
        // No object yet (a deployment that never wrote one): the function's own document.
        return (await readStoredConfig(deps.aws.s3, { bucket, key: configObjectKey })) ?? deps.config;
      },
    }),
    'PUT /api/config': route({
      caller: ['user'],
      body: z.record(z.string(), z.unknown()),
      handle: async ({ identity, body }) => {
        if (!identity.properties.includes(properties.csAdministrator)) {
          throw new ForbiddenError(
            `Changing the configuration needs the ${properties.csAdministrator} property; group ${identity.group} does not have it.`,
            'config.not_administrator',
          );
        }
        const result = validateConfig(body);
        if (!result.ok) throw new InvalidConfigurationError(result.issues);
        const bucket = deps.resources.bucket;
        if (!bucket)
          throw new ConfigurationError('The config function has no bucket to write the configuration to.');
        await writeConfigObject(deps.aws.s3, { bucket, key: configObjectKey }, result.config);
        deps.logger.info('configuration pushed', { by: identity.username, vo: identity.vo });
        return respond(200, result.config);
      },
    }),
  });

export const handler = lambdaEntry(createHandler);
