/**
 * The Cognito user pool's pre-token-generation trigger (V3 event, `-c identity=cognito`): adds
 * `vo`, `dirac_group`, `dirac_properties` and `preferred_username` to a user's ID and access tokens
 * from their Cognito groups and the live configuration, and to a pilot's client-credentials access
 * token the configuration's GenericPilot group (shared/auth/cognito-claims.ts).
 * A thrown error makes Cognito refuse the sign-in with its message. DIRAC counterpart: DiracX's
 * token issuer writing the group and properties into the token.
 */
import type { PreTokenGenerationV2TriggerEvent, PreTokenGenerationV3TriggerEvent } from 'aws-lambda';
import { muonClaims, pilotClaims } from '#shared/auth/cognito-claims.ts';
import type { Deps } from '#shared/deps.ts';
import { lambdaEntry } from '#shared/environment.ts';

/** Users' events (V2 shape, which V3 keeps) and pilots' client-credentials event (V3 only). */
type PreTokenEvent = PreTokenGenerationV2TriggerEvent | PreTokenGenerationV3TriggerEvent;

export const createHandler =
  (deps: Deps) =>
  async <E extends PreTokenEvent>(event: E): Promise<E> => {
    if (event.triggerSource === 'TokenGeneration_ClientCredentials') {
      const claims = pilotClaims(deps.config, event.callerContext.clientId);
      // A client-credentials grant has no ID token.
      event.response = {
        claimsAndScopeOverrideDetails: { accessTokenGeneration: { claimsToAddOrOverride: { ...claims } } },
      };
      return event;
    }
    const claims = muonClaims(deps.config, {
      username: event.userName,
      groups: event.request.groupConfiguration?.groupsToOverride ?? [],
    });
    const claimsToAddOrOverride = { ...claims };
    event.response = {
      claimsAndScopeOverrideDetails: {
        idTokenGeneration: { claimsToAddOrOverride },
        accessTokenGeneration: { claimsToAddOrOverride },
      },
    };
    return event;
  };

export const handler = lambdaEntry(createHandler);
