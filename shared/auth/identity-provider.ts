/**
 * Verifying the identity provider's tokens in the cloud: OpenID Connect discovery of the issuer's
 * `jwks_uri`, then signature, issuer, audience and expiry with jose's remote key set (which caches
 * keys and refetches on an unknown `kid`). API Gateway's JWT authorizer did this before payload
 * tokens needed a second issuer; a Lambda authorizer cannot use it, so this does the same checks.
 */
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { describeTokenError } from '#shared/auth/payload-token.ts';
import type { TokenVerifier } from '#shared/auth/verifier.ts';

export function createIdentityProviderVerifier(options: {
  readonly issuer: string;
  readonly audience: readonly string[];
  readonly fetch?: typeof fetch;
}): TokenVerifier {
  let keys: Promise<ReturnType<typeof createRemoteJWKSet>> | undefined;
  const discover = async () => {
    const url = `${options.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
    const response = await (options.fetch ?? fetch)(url);
    if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}`);
    const document = (await response.json()) as { jwks_uri?: unknown };
    if (typeof document.jwks_uri !== 'string') throw new Error(`${url} names no jwks_uri`);
    return createRemoteJWKSet(new URL(document.jwks_uri));
  };
  return async (token) => {
    keys ??= discover().catch((error) => {
      keys = undefined;
      throw error;
    });
    try {
      const { payload } = await jwtVerify(token, await keys, {
        issuer: options.issuer,
        audience: [...options.audience],
      });
      return { ok: true, claims: payload };
    } catch (error) {
      return { ok: false, reason: describeTokenError(error) };
    }
  };
}
