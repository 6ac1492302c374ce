/**
 * The Cognito user pool's pre-token-generation trigger (V2 event, `-c identity=cognito`): adds
 * `vo`, `dirac_group`, `dirac_properties` and `preferred_username` to the ID and access tokens
 * from the user's Cognito groups and the live configuration (shared/auth/cognito-claims.ts).
 * A thrown error makes Cognito refuse the sign-in with its message. DIRAC counterpart: DiracX's
 * token issuer writing the group and properties into the token.
 */
import type { PreTokenGenerationV2TriggerEvent } from 'aws-lambda';
import { muonClaims } from '#shared/auth/cognito-claims.ts';
import type { Deps } from '#shared/deps.ts';
import { lambdaEntry } from '#shared/environment.ts';

export const createHandler =
  (deps: Deps) =>
  async (event: PreTokenGenerationV2TriggerEvent): Promise<PreTokenGenerationV2TriggerEvent> => {
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
