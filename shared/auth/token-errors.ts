/**
 * Why a token was refused, in words a person can act on: one table for every verifier (the
 * identity provider's, payload tokens, the embedded runtime's development tokens).
 */

/** A reason a person can act on, from jose's error codes. */
export function describeTokenError(error: unknown, what = 'token'): string {
  const code = (error as { code?: string }).code;
  const claim = (error as { claim?: string }).claim;
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return `The ${what} has expired.`;
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      return claim === 'aud'
        ? `The ${what} was not issued for this API (wrong audience).`
        : claim === 'iss'
          ? `The ${what} was not issued by the issuer this API trusts.`
          : `The ${what} was not issued for this API: ${(error as Error).message}.`;
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return `The ${what} signature is not valid.`;
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return `The ${what} is signed with an algorithm this API does not accept.`;
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return `The ${what} is signed with a key the identity provider does not publish.`;
    default:
      return `The ${what} is not a valid JWT.`;
  }
}
