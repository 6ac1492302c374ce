/**
 * Development tokens for the embedded runtime. The runtime signs them with its own key (kept in
 * $MUON_HOME so tokens survive a restart) and checks every request the way API Gateway's JWT
 * authorizer does: signature, issuer, audience, expiry. Handlers then see the same claims shape.
 * Tests and `local.json` use them; people log in through the runtime's OpenID provider
 * (local/oidc-provider.ts), whose tokens `developmentVerifier` accepts too.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { exportJWK, generateKeyPair, importJWK, type JWK, jwtVerify, SignJWT } from 'jose';
import { claimNames, properties } from '#shared/auth/identity.ts';
import { createIdentityProviderVerifier } from '#shared/auth/identity-provider.ts';
import { describeTokenError } from '#shared/auth/token-errors.ts';
import { type TokenVerifier, verifierByIssuer } from '#shared/auth/verifier.ts';
import type { MuonConfig } from '#shared/config/schema.ts';

const algorithm = 'ES256';
/**
 * Development pilot tokens live hours, not the 30 days of users' (a pilot that outlives its token
 * renews it through its OAuth2 client against a real identity provider, pilot/token.ts).
 */
export const pilotTokenSeconds = 12 * 3600;

export interface DevIdentity {
  vo: string;
  username: string;
  group: string;
  properties: readonly string[];
}

export interface TokenAuthority {
  sign(identity: DevIdentity, lifetimeSeconds?: number): Promise<string>;
  /** The verified claims, or a reason the token is refused. */
  verify(
    token: string,
  ): Promise<{ ok: true; claims: Record<string, unknown> } | { ok: false; reason: string }>;
}

export async function createTokenAuthority(keyFile: string, config: MuonConfig): Promise<TokenAuthority> {
  const { privateKey, publicKey } = await loadOrCreateKeys(keyFile);
  const { issuer, audience } = config.auth;
  return {
    sign: (identity, lifetimeSeconds = 30 * 86_400) =>
      new SignJWT({
        [claimNames.vo]: identity.vo,
        [claimNames.preferredUsername]: identity.username,
        [claimNames.group]: identity.group,
        [claimNames.properties]: [...identity.properties],
      })
        .setProtectedHeader({ alg: algorithm, kid: 'muon-local' })
        .setSubject(`${identity.vo}:${identity.username}`)
        .setIssuer(issuer)
        .setAudience(audience[0] as string)
        .setIssuedAt()
        .setJti(crypto.randomUUID())
        .setExpirationTime(Math.floor(Date.now() / 1000) + lifetimeSeconds)
        .sign(privateKey),
    verify: async (token) => {
      try {
        const { payload } = await jwtVerify(token, publicKey, { issuer, audience, algorithms: [algorithm] });
        return { ok: true, claims: payload };
      } catch (error) {
        return { ok: false, reason: describeTokenError(error) };
      }
    },
  };
}

/** The development identities of the first VO: a normal user, an administrator and a pilot. */
export function devIdentities(config: MuonConfig): Record<'user' | 'admin' | 'pilot', DevIdentity> {
  const [vo, voConfig] = Object.entries(config.virtualOrganizations)[0] ?? [];
  if (!vo || !voConfig) throw new Error('The configuration declares no virtual organisation.');
  const groups = Object.entries(voConfig.groups);
  const pick = (want: string, avoid?: string) =>
    groups.find(([, g]) => g.properties.includes(want) && (!avoid || !g.properties.includes(avoid))) ??
    groups.find(([, g]) => g.properties.includes(want));
  const identity = (username: string, found: ReturnType<typeof pick>, fallback: string[]): DevIdentity => ({
    vo,
    username,
    group: found?.[0] ?? voConfig.defaultGroup,
    properties: found?.[1].properties ?? fallback,
  });
  return {
    user: identity('alice', pick(properties.normalUser, properties.jobAdministrator), [
      properties.normalUser,
    ]),
    admin: identity('admin', pick(properties.jobAdministrator), [properties.jobAdministrator]),
    pilot: identity('pilot', pick(properties.genericPilot), [properties.genericPilot]),
  };
}

async function loadOrCreateKeys(keyFile: string) {
  if (existsSync(keyFile)) {
    const jwk = JSON.parse(readFileSync(keyFile, 'utf8')) as JWK;
    const { d: _d, ...publicJwk } = jwk;
    return { privateKey: await importJWK(jwk, algorithm), publicKey: await importJWK(publicJwk, algorithm) };
  }
  const { privateKey, publicKey } = await generateKeyPair(algorithm, { extractable: true });
  writeFileSync(keyFile, JSON.stringify(await exportJWK(privateKey)), { mode: 0o600 });
  return { privateKey, publicKey };
}

/**
 * The embedded runtime's identity provider check: development tokens (signed by `authority` with
 * the configuration's issuer) and the local OpenID provider's (its own issuer, discovered like any
 * identity provider's). The token's unverified `iss` only picks the check.
 */
export function developmentVerifier(
  authority: TokenAuthority,
  oidc: { readonly issuer: string },
  config: MuonConfig,
): TokenVerifier {
  const provider = createIdentityProviderVerifier({ issuer: oidc.issuer, audience: config.auth.audience });
  return verifierByIssuer({ [oidc.issuer]: provider }, (token) => authority.verify(token));
}

/** The configuration the runtime's functions see: `muon login` is sent to the local provider. */
export const withLocalLogin = (config: MuonConfig, issuer: string): MuonConfig => ({
  ...config,
  auth: { ...config.auth, login: { ...config.auth.login, issuer } },
});
