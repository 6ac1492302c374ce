/**
 * Checking a bearer token the way the API's authorizer does, for both kinds of token the API
 * accepts: the identity provider's (users and pilots) and muon's own payload tokens
 * (shared/auth/payload-token.ts). The token's unverified `iss` only picks which check runs; the
 * check itself verifies signature, issuer, audience and expiry. The cloud's Lambda authorizer
 * (functions/authorizer.ts) and the embedded runtime's API Gateway (local/api-gateway.ts) both
 * call this, so a token is judged the same way everywhere.
 *
 * The bearer verifier keeps the tokens it accepted until they expire (`cachedVerifier`): every
 * request of a pilot carries the same token for its lifetime, and checking its signature again
 * (ECDSA, or a JWKS look-up) on each request was a tenth of the matcher's CPU. Safe because the
 * check depends on the token alone: the signature, issuer and audience cannot change, and expiry
 * is re-tested against `exp` on every use; muon revokes no token before its `exp` (a pilot is
 * stopped through its credential record, which the binding checks on every request). Each
 * instance (each Lambda environment, the embedded runtime's authorizer) keeps its own, at most
 * `cacheLimit` tokens and at most `cacheMaxMs` each; refusals are never kept.
 */
import { decodeJwt } from 'jose';
import { payloadTokenIssuer } from '#shared/auth/identity.ts';
import type { PayloadTokens, TokenCheck } from '#shared/auth/payload-token.ts';

export type TokenVerifier = (token: string) => Promise<TokenCheck>;

export function createBearerVerifier(options: {
  readonly identityProvider: TokenVerifier;
  readonly payloadTokens: PayloadTokens;
  /** The clock expiry is tested against (milliseconds), Date.now unless a test sets it. */
  readonly now?: () => number;
}): TokenVerifier {
  return cachedVerifier(
    verifierByIssuer(
      { [payloadTokenIssuer]: (token) => options.payloadTokens.verify(token) },
      options.identityProvider,
    ),
    options.now ?? Date.now,
  );
}

const cacheLimit = 10_000;
const cacheMaxMs = 10 * 60_000;

/**
 * `verify`, with the tokens it accepted kept until their `exp` (and at most `cacheMaxMs`): a kept
 * token is answered with the claims it was accepted with, without a second check. A token without
 * a numeric `exp`, or not yet valid (`nbf`), is checked every time.
 */
export function cachedVerifier(verify: TokenVerifier, now: () => number = Date.now): TokenVerifier {
  const kept = new Map<string, { check: TokenCheck; until: number }>();
  return async (token) => {
    const at = now();
    const hit = kept.get(token);
    if (hit && hit.until > at) return hit.check;
    if (hit) kept.delete(token);
    const check = await verify(token);
    const { exp, nbf } = check.ok ? check.claims : {};
    if (check.ok && typeof exp === 'number' && !(typeof nbf === 'number' && nbf * 1000 > at)) {
      const until = Math.min(exp * 1000, at + cacheMaxMs);
      if (kept.size >= cacheLimit) {
        for (const [key, entry] of kept) if (entry.until <= at) kept.delete(key);
        if (kept.size >= cacheLimit) kept.delete(kept.keys().next().value as string);
      }
      if (until > at) kept.set(token, { check, until });
    }
    return check;
  };
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
