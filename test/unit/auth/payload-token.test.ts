import { generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createHandler as createAuthorizer } from '#functions/authorizer.ts';
import { callerKind, flattenClaims, identityFromClaims, payloadTokenIssuer } from '#shared/auth/identity.ts';
import { createIdentityProviderVerifier } from '#shared/auth/identity-provider.ts';
import { createPayloadTokens } from '#shared/auth/payload-token.ts';
import { createBearerVerifier } from '#shared/auth/verifier.ts';
import { loadConfigFile } from '#shared/config/load.ts';
import type { Deps } from '#shared/deps.ts';
import { createLogger } from '#shared/log.ts';

const key = new TextEncoder().encode('k'.repeat(48));
const otherKey = new TextEncoder().encode('o'.repeat(48));
const subject = {
  vo: 'vo.example.org',
  jobId: 42,
  owner: 'alice',
  ownerGroup: 'user',
  pilotReference: 'local://h/1',
};
const clock = { at: new Date('2026-12-07T10:00:00Z') };
const tokens = createPayloadTokens({ key: async () => key, audience: 'muon', now: () => clock.at });

describe('Payload tokens', () => {
  it('carry their job, owner and pilot, and no properties', async () => {
    const issued = await tokens.issue(subject);
    expect(issued.PayloadTokenExpiresAt).toBe('2026-12-07T11:00:00.000Z');
    const checked = await tokens.verify(issued.PayloadToken);
    if (!checked.ok) throw new Error(checked.reason);
    const identity = identityFromClaims(flattenClaims(checked.claims));
    expect(identity).toMatchObject({
      vo: 'vo.example.org',
      username: 'alice',
      group: 'user',
      properties: [],
      jobId: 42,
      pilotReference: 'local://h/1',
    });
    expect(callerKind(identity)).toBe('payload');
  });

  it('are refused once expired, with a reason that says so', async () => {
    const issued = await tokens.issue(subject);
    const later = createPayloadTokens({
      key: async () => key,
      audience: 'muon',
      now: () => new Date(clock.at.getTime() + 3601_000),
    });
    expect(await later.verify(issued.PayloadToken)).toEqual({
      ok: false,
      reason: 'The payload token has expired.',
    });
  });

  it('are refused when signed with another key (forged)', async () => {
    const forger = createPayloadTokens({ key: async () => otherKey, audience: 'muon', now: () => clock.at });
    const forged = await forger.issue(subject);
    expect(await tokens.verify(forged.PayloadToken)).toEqual({
      ok: false,
      reason: 'The payload token signature is not valid.',
    });
  });

  it('are refused for another API (wrong audience)', async () => {
    const elsewhere = createPayloadTokens({ key: async () => key, audience: 'other', now: () => clock.at });
    const issued = await elsewhere.issue(subject);
    expect(await tokens.verify(issued.PayloadToken)).toEqual({
      ok: false,
      reason: 'The payload token was not issued for this API (wrong audience).',
    });
  });

  it('cannot be made with another algorithm under the payload issuer', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const token = await new SignJWT({ job_id: '42', pilot: 'p', token_use: 'payload' })
      .setProtectedHeader({ alg: 'ES256' })
      .setIssuer(payloadTokenIssuer)
      .setAudience('muon')
      .setExpirationTime('1h')
      .sign(privateKey);
    const checked = await tokens.verify(token);
    expect(checked.ok).toBe(false);
  });
});

describe('Bearer verifier', () => {
  const identityProvider = async (token: string) =>
    token.includes('.')
      ? ({ ok: true, claims: { from: 'idp' } } as const)
      : ({ ok: false, reason: 'idp says no' } as const);
  const verify = createBearerVerifier({ identityProvider, payloadTokens: tokens });

  it("sends muon's payload tokens to the payload check and others to the identity provider", async () => {
    const issued = await tokens.issue(subject);
    const payload = await verify(issued.PayloadToken);
    expect(payload.ok && payload.claims.job_id).toBe('42');
    const idpToken = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('https://idp')
      .sign(key);
    expect(await verify(idpToken)).toEqual({ ok: true, claims: { from: 'idp' } });
  });

  it('refuses what is not a JWT', async () => {
    expect(await verify('not-a-jwt')).toEqual({ ok: false, reason: 'The token is not a valid JWT.' });
  });
});

describe('Authorizer', () => {
  const deps = {
    config: loadConfigFile('config/muon.yaml'),
    logger: createLogger({ level: 'error', write: () => undefined }),
    now: () => clock.at,
    payloadKey: async () => key,
  } as unknown as Deps;
  const authorize = createAuthorizer(deps, async () => ({ ok: false, reason: 'The token has expired.' }));
  const event = (authorization?: string) =>
    ({ headers: authorization ? { authorization } : {}, identitySource: [] }) as never;

  it('hands a payload token’s claims on as strings', async () => {
    const issued = await tokens.issue(subject);
    const result = await authorize(event(`Bearer ${issued.PayloadToken}`));
    expect(result.context).toMatchObject({ job_id: '42', pilot: 'local://h/1', iss: payloadTokenIssuer });
  });

  it('passes a refusal and its reason to the function, which answers 401', async () => {
    const idpToken = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('https://idp')
      .sign(key);
    expect((await authorize(event(`Bearer ${idpToken}`))).context).toEqual({
      rejected: 'The token has expired.',
    });
    expect((await authorize(event())).context.rejected).toMatch(/bearer token is required/);
  });
});

describe('Authorizer and an identity-provider claim named like its refusal key', () => {
  it('drops the claim, so that a valid token is not answered 401', async () => {
    const deps = {
      config: loadConfigFile('config/muon.yaml'),
      logger: createLogger({ level: 'error', write: () => undefined }),
      now: () => clock.at,
      payloadKey: async () => key,
    } as unknown as Deps;
    const authorize = createAuthorizer(deps, async () => ({
      ok: true,
      claims: { vo: 'vo.example.org', preferred_username: 'alice', rejected: 'yes' },
    }));
    const idpToken = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('https://idp')
      .sign(key);
    const { context } = await authorize({
      headers: { authorization: `Bearer ${idpToken}` },
      identitySource: [],
    } as never);
    expect(context).toEqual({ vo: 'vo.example.org', preferred_username: 'alice' });
  });
});

describe('Identity provider verifier', () => {
  const idpToken = () =>
    new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuer('https://idp.example').sign(key);
  const unreachable = (async () => {
    throw new TypeError('fetch failed');
  }) as typeof fetch;

  it('throws, rather than refusing the token, when the identity provider cannot be reached', async () => {
    const verify = createIdentityProviderVerifier({
      issuer: 'https://idp.example',
      audience: ['muon'],
      fetch: unreachable,
    });
    await expect(verify(await idpToken())).rejects.toThrow('fetch failed');
  });

  it('throws when the key set cannot be fetched after discovery', async () => {
    const keySetDown = (async (url: string | URL | Request) =>
      String(url).endsWith('/.well-known/openid-configuration')
        ? Response.json({ jwks_uri: 'https://idp.example/jwks' })
        : new Response('down', { status: 503 })) as typeof fetch;
    const verify = createIdentityProviderVerifier({
      issuer: 'https://idp.example',
      audience: ['muon'],
      fetch: keySetDown,
    });
    await expect(verify(await idpToken())).rejects.toMatchObject({ code: 'ERR_JOSE_GENERIC' });
  });

  it('makes the authorizer throw too, so that API Gateway answers 500 and caches nothing', async () => {
    const deps = {
      config: loadConfigFile('config/muon.yaml'),
      logger: createLogger({ level: 'error', write: () => undefined }),
      now: () => clock.at,
      payloadKey: async () => key,
    } as unknown as Deps;
    const authorize = createAuthorizer(
      deps,
      createIdentityProviderVerifier({
        issuer: 'https://idp.example',
        audience: ['muon'],
        fetch: unreachable,
      }),
    );
    await expect(
      authorize({ headers: { authorization: `Bearer ${await idpToken()}` }, identitySource: [] } as never),
    ).rejects.toThrow('fetch failed');
  });
});
