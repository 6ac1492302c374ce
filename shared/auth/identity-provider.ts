/**
 * Verifying the identity provider's tokens in the cloud: OpenID Connect discovery of the issuer's
 * `jwks_uri`, then signature, issuer, audience and expiry with jose's remote key set (which caches
 * keys and refetches on an unknown `kid`). API Gateway's JWT authorizer did this before payload
 * tokens needed a second issuer; a Lambda authorizer cannot use it, so this does the same checks.
 * A token it cannot verify is a verdict (`ok: false`); an identity provider it cannot reach throws.
 * A token without `aud` is for this API when its `client_id` is one of the audiences: Cognito's
 * access tokens carry only `client_id`, and API Gateway's JWT authorizer accepts them the same way.
 */
import { createRemoteJWKSet, customFetch, decodeJwt, jwtVerify } from 'jose';
import { describeTokenError } from '#shared/auth/token-errors.ts';
import type { TokenVerifier } from '#shared/auth/verifier.ts';

export function createIdentityProviderVerifier(options: {
  readonly issuer: string;
  readonly audience: readonly string[];
  readonly fetch?: typeof fetch;
}): TokenVerifier {
  let keys: Promise<ReturnType<typeof createRemoteJWKSet>> | undefined;
  const fetchImpl = options.fetch ?? fetch;
  const discover = async () => {
    const url = `${options.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
    const response = await fetchImpl(url);
    if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}`);
    const document = (await response.json()) as { jwks_uri?: unknown };
    if (typeof document.jwks_uri !== 'string') throw new Error(`${url} names no jwks_uri`);
    return createRemoteJWKSet(new URL(document.jwks_uri), { [customFetch]: fetchImpl });
  };
  return async (token) => {
    keys ??= discover().catch((error) => {
      keys = undefined;
      throw error;
    });
    // Outside the try: an identity provider that cannot be reached says nothing about the token.
    const keySet = await keys;
    try {
      const withAudience = decodeJwt(token).aud !== undefined;
      const { payload } = await jwtVerify(token, keySet, {
        issuer: options.issuer,
        ...(withAudience ? { audience: [...options.audience] } : {}),
      });
      if (!withAudience && !options.audience.includes(String(payload.client_id))) {
        return {
          ok: false,
          reason: `The token was not issued for this API: it has no audience (aud) and its client_id is not one of ${options.audience.join(', ')}.`,
        };
      }
      return { ok: true, claims: payload };
    } catch (error) {
      if (isOutage(error)) throw error;
      return { ok: false, reason: describeTokenError(error) };
    }
  };
}

/**
 * Failures to fetch the key set (timeout, HTTP error, network), which the authorizer turns into
 * a 500 that is not cached, rather than a verdict on the token.
 */
function isOutage(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return (
    code === 'ERR_JWKS_TIMEOUT' ||
    code === 'ERR_JWKS_INVALID' ||
    code === 'ERR_JOSE_GENERIC' ||
    error instanceof TypeError
  );
}
