/**
 * Checking a bearer token the way the API's authorizer does, for both kinds of token the API
 * accepts: the identity provider's (users and pilots) and muon's own payload tokens
 * (shared/auth/payload-token.ts). The token's unverified `iss` only picks which check runs; the
 * check itself verifies signature, issuer, audience and expiry. The cloud's Lambda authorizer
 * (functions/authorizer.ts) and the embedded runtime's API Gateway (local/api-gateway.ts) both
 * call this, so a token is judged the same way everywhere.
 */
import { decodeJwt } from 'jose';
import { payloadTokenIssuer } from '#shared/auth/identity.ts';
import type { PayloadTokens, TokenCheck } from '#shared/auth/payload-token.ts';

export type TokenVerifier = (token: string) => Promise<TokenCheck>;

export function createBearerVerifier(options: {
  readonly identityProvider: TokenVerifier;
  readonly payloadTokens: PayloadTokens;
}): TokenVerifier {
  return verifierByIssuer(
    { [payloadTokenIssuer]: (token) => options.payloadTokens.verify(token) },
    options.identityProvider,
  );
}

/**
 * The check named for the token's unverified `iss` in `byIssuer`, or `otherwise`; the chosen check
 * verifies the token, the issuer only routes it.
 */
export function verifierByIssuer(
  byIssuer: Readonly<Record<string, TokenVerifier>>,
  otherwise: TokenVerifier,
): TokenVerifier {
  return async (token) => {
    let issuer: unknown;
    try {
      issuer = decodeJwt(token).iss;
    } catch {
      return { ok: false, reason: 'The token is not a valid JWT.' };
    }
    const check =
      typeof issuer === 'string' && Object.hasOwn(byIssuer, issuer) ? byIssuer[issuer] : undefined;
    return (check ?? otherwise)(token);
  };
}

/** The bearer token of an `Authorization` header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/**
 * The authorizer context key that carries a refusal's reason to the function, which answers 401
 * with it (functions/authorizer.ts).
 */
export const rejectedContextKey = 'rejected';
