/**
 * Who the caller is, and how to become one:
 * - `GET /api/auth/userinfo`: who the token says the caller is (DiracX's userinfo route);
 * - `GET /api/auth/client` (public): where `muon login` signs in (issuer, the CLI's public client,
 *   scopes, audience), so that a user needs only the API's URL, as DiracX's `dirac login` does.
 */
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
    'GET /api/auth/client': route({
      caller: 'public',
      handle: () => {
        const { login, issuer, audience } = deps.config.auth;
        return {
          issuer: login.issuer ?? issuer,
          client_id: login.clientId,
          scope: ['openid', 'offline_access', ...login.scope.split(/\s+/).filter(Boolean)].join(' '),
          audience,
          ...(login.resource ? { resource: login.resource } : {}),
        };
      },
    }),
  });

export const handler = lambdaEntry(createHandler);
