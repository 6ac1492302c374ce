/**
 * The Cognito pre-token-generation trigger: from a user's Cognito groups and the configuration it
 * writes the claims muon reads (vo, dirac_group, dirac_properties, preferred_username) into both
 * tokens, and the API's verifier accepts Cognito's access tokens (client_id, no aud) for the CLI
 * client only.
 */
import type { PreTokenGenerationV2TriggerEvent, PreTokenGenerationV3TriggerEvent } from 'aws-lambda';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createHandler } from '#functions/cognito-pre-token.ts';
import { cognitoGroupName, cognitoGroups, muonClaims, pilotClaims } from '#shared/auth/cognito-claims.ts';
import { flattenClaims, identityFromClaims } from '#shared/auth/identity.ts';
import { createIdentityProviderVerifier } from '#shared/auth/identity-provider.ts';
import { loadConfigFile } from '#shared/config/load.ts';
import type { Deps } from '#shared/deps.ts';

const config = loadConfigFile('config/muon.yaml');
const vo = 'vo.example.org';

const event = (groups: string[]): PreTokenGenerationV2TriggerEvent =>
  ({
    version: '2',
    triggerSource: 'TokenGeneration_HostedAuth',
    region: 'eu-west-1',
    userPoolId: 'eu-west-1_abc',
    userName: 'alice',
    callerContext: { awsSdkVersion: '3', clientId: 'cli-client' },
    request: {
      userAttributes: { sub: 'a1b2' },
      groupConfiguration: { groupsToOverride: groups, iamRolesToOverride: [] },
      scopes: ['openid', 'profile'],
    },
    response: { claimsAndScopeOverrideDetails: {} },
  }) as unknown as PreTokenGenerationV2TriggerEvent;

describe('Cognito claims', () => {
  it('name one Cognito group per DIRAC group, the VO default group first', () => {
    const groups = cognitoGroups(config);
    expect(groups[0]).toMatchObject({ name: `${vo}:user`, vo, group: 'user', precedence: 0 });
    expect(groups.map((group) => group.name)).toEqual(expect.arrayContaining([`${vo}:admin`, `${vo}:pilot`]));
  });

  it('act in the default group when the user is in it, with its properties', () => {
    expect(
      muonClaims(config, { username: 'alice', groups: [cognitoGroupName(vo, 'admin'), `${vo}:user`] }),
    ).toEqual({ vo, dirac_group: 'user', dirac_properties: 'NormalUser', preferred_username: 'alice' });
  });

  it("act in another group when it is the user's only muon group, ignoring groups that are not muon's", () => {
    expect(muonClaims(config, { username: 'bob', groups: ['staff', `${vo}:admin`] })).toMatchObject({
      dirac_group: 'admin',
      dirac_properties: 'NormalUser JobAdministrator CSAdministrator',
    });
  });

  it('refuse a user in no muon group, saying which groups exist', () => {
    expect(() => muonClaims(config, { username: 'eve', groups: ['staff'] })).toThrow(
      /eve.*no muon group.*vo\.example\.org:user/,
    );
  });

  it('go into both tokens through the trigger, in a form muon reads back', async () => {
    const handler = createHandler({ config } as unknown as Deps);
    const answered = await handler(event([`${vo}:admin`]));
    const details = answered.response.claimsAndScopeOverrideDetails;
    const access = details?.accessTokenGeneration?.claimsToAddOrOverride ?? {};
    expect(details?.idTokenGeneration?.claimsToAddOrOverride).toEqual(access);
    const identity = identityFromClaims(flattenClaims({ ...access, sub: 'a1b2' }));
    expect(identity).toMatchObject({ vo, group: 'admin', username: 'alice' });
    expect(identity.properties).toEqual(['NormalUser', 'JobAdministrator', 'CSAdministrator']);
  });

  it('make the trigger fail (Cognito refuses the sign-in) for a user in no muon group', async () => {
    const handler = createHandler({ config } as unknown as Deps);
    await expect(handler(event([]))).rejects.toThrow(/no muon group/);
  });
});

describe("Cognito claims of a pilot's client-credentials token", () => {
  it('give the GenericPilot group, in the access token only', async () => {
    const handler = createHandler({ config } as unknown as Deps);
    const answered = await handler({
      ...event([]),
      version: '3',
      triggerSource: 'TokenGeneration_ClientCredentials',
      callerContext: { awsSdkVersion: '3', clientId: 'pilot-client' },
    } as unknown as PreTokenGenerationV3TriggerEvent);
    const details = answered.response.claimsAndScopeOverrideDetails;
    expect(details?.idTokenGeneration).toBeUndefined();
    const access = details?.accessTokenGeneration?.claimsToAddOrOverride ?? {};
    const identity = identityFromClaims(flattenClaims({ ...access, sub: 'pilot-client' }));
    expect(identity).toMatchObject({
      vo,
      group: 'pilot',
      properties: ['GenericPilot'],
      username: 'pilot-client',
    });
  });

  it('are refused, naming what to add, when no group holds GenericPilot', () => {
    const noPilots = structuredClone(config);
    const groups = noPilots.virtualOrganizations[vo]?.groups;
    if (!groups) throw new Error('no VO');
    delete groups.pilot;
    expect(() => pilotClaims(noPilots, 'pilot-client')).toThrow(/No group .* holds GenericPilot/);
  });
});

describe("the verifier and Cognito's access tokens", () => {
  const issuer = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc';
  const setup = async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256' };
    const fetchImpl = (async (url: string | URL | Request) =>
      String(url).endsWith('/.well-known/openid-configuration')
        ? Response.json({ jwks_uri: `${issuer}/.well-known/jwks.json` })
        : Response.json({ keys: [jwk] })) as typeof fetch;
    const sign = (claims: Record<string, unknown>) =>
      new SignJWT({ token_use: 'access', ...claims })
        .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
        .setIssuer(issuer)
        .setSubject('a1b2')
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(privateKey);
    const verify = createIdentityProviderVerifier({ issuer, audience: ['cli-client'], fetch: fetchImpl });
    return { sign, verify };
  };

  it('accepts a token without aud whose client_id is an audience', async () => {
    const { sign, verify } = await setup();
    expect(await verify(await sign({ client_id: 'cli-client' }))).toMatchObject({ ok: true });
  });

  it('refuses one from another client, naming the audiences', async () => {
    const { sign, verify } = await setup();
    expect(await verify(await sign({ client_id: 'other' }))).toEqual({
      ok: false,
      reason: expect.stringMatching(/no audience \(aud\).*client_id is not one of cli-client/),
    });
  });

  it('still checks aud when the token has one', async () => {
    const { sign, verify } = await setup();
    expect(await verify(await sign({ aud: 'other', client_id: 'cli-client' }))).toMatchObject({
      ok: false,
      reason: expect.stringContaining('wrong audience'),
    });
  });
});
