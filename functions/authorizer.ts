/**
 * The HTTP API's Lambda authorizer: every route but `/api/health` goes through it. It accepts the
 * identity provider's tokens (OpenID Connect discovery, signature, issuer, audience, expiry) and
 * muon's payload tokens, and hands the verified claims to the function as the authorizer context.
 *
 * A token it cannot verify is still let through, with the reason in `rejected`: the function then
 * answers 401 with that reason (shared/http/handler.ts), where an HTTP API authorizer that says
 * no could only answer a bare 403. A request without an Authorization header never gets here: API
 * Gateway answers it 401 itself. An identity provider that cannot be reached is an error, not a
 * refusal: the authorizer throws, and API Gateway (or local/api-gateway.ts) answers 500.
 */
import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { flattenClaims } from '#shared/auth/identity.ts';
import { createIdentityProviderVerifier } from '#shared/auth/identity-provider.ts';
import {
  bearerToken,
  createBearerVerifier,
  rejectedContextKey,
  type TokenVerifier,
} from '#shared/auth/verifier.ts';
import { type Deps, payloadTokensOf } from '#shared/deps.ts';
import { lambdaEntry } from '#shared/environment.ts';

export interface AuthorizerResult {
  readonly isAuthorized: true;
  readonly context: Record<string, string>;
}

export function createHandler(deps: Deps, identityProvider?: TokenVerifier) {
  const verify = createBearerVerifier({
    identityProvider:
      identityProvider ??
      createIdentityProviderVerifier({
        issuer: deps.config.auth.issuer,
        audience: deps.config.auth.audience,
      }),
    payloadTokens: payloadTokensOf(deps),
  });
  return async (event: APIGatewayRequestAuthorizerEventV2): Promise<AuthorizerResult> => {
    const token = bearerToken(event.headers?.authorization ?? event.identitySource?.[0]);
    if (!token) return rejected('A bearer token is required (Authorization: Bearer <token>).');
    try {
      const checked = await verify(token);
      if (!checked.ok) return rejected(checked.reason);
      // A claim that happens to be named like the refusal key must not turn a valid token into a 401.
      const { [rejectedContextKey]: _dropped, ...claims } = checked.claims;
      return { isAuthorized: true, context: flattenClaims(claims) };
    } catch (error) {
      // Thrown, not refused: API Gateway answers 500 and, unlike a refusal, does not cache it.
      deps.logger.error('token verification failed (identity provider unreachable)', { error });
      throw error;
    }
  };
}

const rejected = (reason: string): AuthorizerResult => ({
  isAuthorized: true,
  context: { [rejectedContextKey]: reason },
});

export const handler = lambdaEntry(createHandler);
