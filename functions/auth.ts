/** `GET /api/auth/userinfo`: who the token says the caller is (DiracX's userinfo route). */
import type { Deps } from '#shared/deps.ts';
import { lambdaEntry } from '#shared/environment.ts';
import { createHttpHandler } from '#shared/http/handler.ts';
import { route } from '#shared/http/route.ts';

export const createHandler = (deps: Deps) =>
  createHttpHandler(deps, {
    'GET /api/auth/userinfo': route({
      caller: ['user', 'registeringPilot'],
      handle: ({ identity }) => ({
        vo: identity.vo,
        sub: identity.sub,
        preferred_username: identity.username,
        dirac_group: identity.group,
        dirac_properties: identity.properties,
      }),
    }),
  });

export const handler = lambdaEntry(createHandler);
