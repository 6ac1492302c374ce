/**
 * The embedded runtime's OpenID provider: `oidc-provider` (a certified OpenID Connect server) on
 * 127.0.0.1, so that `muon login` runs locally exactly as against INDIGO IAM, Keycloak or Cognito,
 * the provider DIRAC's and DiracX's users log in with. It has the two clients muon uses:
 * - `muon-cli` (public, `auth.login.clientId`): device authorization grant and authorization code
 *   with PKCE on a loopback redirect, with refresh tokens (`offline_access`);
 * - `muon-pilot` (confidential): client credentials, for a pilot's GenericPilot token;
 * - `muon-web` (public): the web monitor (local/web.ts), authorization code with PKCE from the
 *   browser, redirected back to the runtime's own page on 127.0.0.1 (any port).
 * Its users are `auth.developmentUsers` (by default alice and admin of the first VO). A user picks
 * a group with the scope `group:<name>` (`muon login --group`), as DiracX's scopes do; without one,
 * the VO's default group, else the user's first. Access tokens are JWTs for the audience
 * `auth.audience[0]` carrying the claims muon reads (vo, dirac_group, dirac_properties).
 *
 * The sign-in page asks for a user name only: it is a development provider, reached from this
 * machine alone. Its keys persist in the home (0600); its grants live in memory, so refresh tokens
 * end with the runtime. The port is kept in the home too, so the issuer survives a restart.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import Provider, { type Configuration, errors, type KoaContextWithOIDC } from 'oidc-provider';
import { writePrivateFile } from '#local/home.ts';
import { signIn } from '#local/oidc-sign-in.ts';
import { claimNames, pilotGroupOf, properties } from '#shared/auth/identity.ts';
import type { MuonConfig } from '#shared/config/schema.ts';
import type { Logger } from '#shared/log.ts';

/** The pilot client's id; its secret is made per home (`oidc-pilot-client.json`). */
export const pilotClientId = 'muon-pilot';
/** The web monitor's client: public, its token requests come from the monitor's page (CORS). */
export const webClientId = 'muon-web';
/** The resource indicator of the muon API: the provider issues JWT access tokens for it. */
export const apiResource = 'urn:muon:api';
const groupScope = 'group:';

export interface DevelopmentUser {
  readonly vo: string;
  readonly groups: readonly string[];
}

export interface LocalOidcProvider {
  readonly issuer: string;
  readonly users: Readonly<Record<string, DevelopmentUser>>;
  readonly pilotClient: { readonly clientId: string; readonly clientSecret: string };
  close(): Promise<void>;
}

/** `auth.developmentUsers`, or alice (the first VO's groups without JobAdministrator) and admin. */
export function developmentUsers(config: MuonConfig): Record<string, DevelopmentUser> {
  if (Object.keys(config.auth.developmentUsers).length > 0) return config.auth.developmentUsers;
  const [vo, voConfig] = Object.entries(config.virtualOrganizations)[0] ?? [];
  if (!vo || !voConfig) return {};
  const people = Object.entries(voConfig.groups).filter(
    ([, g]) => !g.properties.includes(properties.genericPilot),
  );
  const plain = people.filter(([, g]) => !g.properties.includes(properties.jobAdministrator));
  const first = (list: typeof people) => list.map(([name]) => name);
  return {
    alice: { vo, groups: first(plain.length > 0 ? plain : people) },
    admin: { vo, groups: first(people) },
  };
}

/** The group a token is for: the one its scopes ask for, else the VO's default, else the first. */
export function chosenGroup(config: MuonConfig, user: DevelopmentUser, scopes: Iterable<string>) {
  const asked = [...scopes].find((s) => s.startsWith(groupScope))?.slice(groupScope.length);
  const defaultGroup = config.virtualOrganizations[user.vo]?.defaultGroup;
  if (asked !== undefined) return user.groups.includes(asked) ? asked : undefined;
  return defaultGroup && user.groups.includes(defaultGroup) ? defaultGroup : user.groups[0];
}

export async function startOidcProvider(options: {
  readonly config: MuonConfig;
  readonly home: string;
  readonly logger: Logger;
  /** Default: the port this home used last, else a free one. */
  readonly port?: number;
}): Promise<LocalOidcProvider> {
  const { config, home } = options;
  const users = developmentUsers(config);
  const server = createServer();
  const port = await listen(server, options.port ?? remembered(`${home}/oidc-port`));
  writePrivateFile(`${home}/oidc-port`, `${port}\n`);
  const issuer = `http://127.0.0.1:${port}`;
  const pilotClient = loadOrCreate(`${home}/oidc-pilot-client.json`, () => ({
    clientId: pilotClientId,
    clientSecret: crypto.randomUUID(),
  }));
  const pilotGroup = pilotGroupOf(config);

  const claimsOf = (accountId: string | undefined, scopes: Set<string>) => {
    if (accountId === undefined) {
      if (!pilotGroup) return undefined;
      return {
        [claimNames.vo]: pilotGroup.vo,
        [claimNames.preferredUsername]: 'pilot',
        [claimNames.group]: pilotGroup.group,
        [claimNames.properties]: pilotGroup.properties,
      };
    }
    const user = users[accountId];
    if (!user) return undefined;
    const group = chosenGroup(config, user, scopes) ?? '';
    return {
      [claimNames.vo]: user.vo,
      [claimNames.preferredUsername]: accountId,
      [claimNames.group]: group,
      [claimNames.properties]: config.virtualOrganizations[user.vo]?.groups[group]?.properties ?? [],
    };
  };

  const groupScopes = [
    ...new Set(Object.values(config.virtualOrganizations).flatMap((vo) => Object.keys(vo.groups))),
  ].map((g) => `${groupScope}${g}`);
  const providerConfig: Configuration = {
    clients: [
      {
        client_id: config.auth.login.clientId,
        application_type: 'native',
        token_endpoint_auth_method: 'none',
        grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'authorization_code', 'refresh_token'],
        response_types: ['code'],
        // Any port: RFC 8252 section 7.3 (oidc-provider ignores a native client's loopback port).
        redirect_uris: ['http://127.0.0.1/callback'],
      },
      {
        client_id: webClientId,
        // A browser on this machine: "native" lets the loopback redirect take the runtime's port.
        application_type: 'native',
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code'],
        response_types: ['code'],
        redirect_uris: ['http://127.0.0.1/'],
      },
      {
        client_id: pilotClient.clientId,
        client_secret: pilotClient.clientSecret,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
      },
    ],
    // The one signing key is an EC key; ID tokens default to RS256.
    clientDefaults: { id_token_signed_response_alg: 'ES256' },
    jwks: { keys: [await loadOrCreateKey(`${home}/oidc-signing-key.json`)] },
    cookies: { keys: [crypto.randomUUID()] },
    scopes: ['openid', 'offline_access', ...groupScopes],
    claims: { openid: ['sub'] },
    findAccount: (_ctx, id) => (users[id] ? { accountId: id, claims: () => ({ sub: id }) } : undefined),
    features: {
      devInteractions: { enabled: false },
      deviceFlow: {
        enabled: true,
        successSource: (ctx) => {
          ctx.body = '<!DOCTYPE html><p>muon: signed in. Go back to the terminal.</p>';
        },
      },
      clientCredentials: { enabled: true },
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => apiResource,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resource) => {
          if (resource !== apiResource) throw new errors.InvalidTarget(`unknown resource ${resource}`);
          return {
            scope: groupScopes.join(' '),
            audience: config.auth.audience[0] as string,
            accessTokenFormat: 'jwt',
            accessTokenTTL: 3600,
            jwt: { sign: { alg: 'ES256' } },
          };
        },
      },
    },
    extraTokenClaims: (_ctx, token) =>
      claimsOf('accountId' in token ? token.accountId : undefined, token.scopes),
    ttl: {
      AccessToken: 3600,
      ClientCredentials: 3600,
      IdToken: 3600,
      RefreshToken: 14 * 86_400,
      DeviceCode: 600,
      Interaction: 600,
      Session: 14 * 86_400,
      Grant: 14 * 86_400,
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    pkce: { required: () => true },
    // The monitor's page (the API's origin, a loopback one) exchanges its code from the browser.
    clientBasedCORS: (_ctx, origin, client) =>
      client.clientId === webClientId && /^http:\/\/127\.0\.0\.1(:\d+)?$/.test(origin),
  };
  const provider = new Provider(issuer, providerConfig);
  provider.on('server_error', (_ctx: KoaContextWithOIDC, error: Error) =>
    options.logger.error('OpenID provider error', { error }),
  );
  const callback = provider.callback();
  server.on('request', (req, res) => {
    if (req.url?.startsWith('/interaction/')) {
      signIn(provider, users, req, res).catch((error: unknown) => {
        options.logger.warn('OpenID provider sign-in failed', { error });
        if (!res.headersSent) res.writeHead(400, { 'content-type': 'text/plain' });
        res.end(`Sign-in failed: ${(error as Error).message}\n`);
      });
      return;
    }
    callback(req, res);
  });
  return {
    issuer,
    users,
    pilotClient,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Listens on 127.0.0.1:`port`, or on a free port when that one is taken or not given. */
async function listen(server: Server, port: number | undefined): Promise<number> {
  const attempt = (p: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(p, '127.0.0.1', () => {
        server.off('error', reject);
        resolve((server.address() as AddressInfo).port);
      });
    });
  if (port) {
    try {
      return await attempt(port);
    } catch {
      // Taken: any free port will do; tokens issued before simply no longer verify.
    }
  }
  return attempt(0);
}

function remembered(file: string): number | undefined {
  try {
    const port = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(port) && port > 0 ? port : undefined;
  } catch {
    return undefined;
  }
}

function loadOrCreate<T>(file: string, create: () => T): T {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    const value = create();
    writePrivateFile(file, JSON.stringify(value));
    return value;
  }
}

async function loadOrCreateKey(file: string): Promise<JWK> {
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as JWK;
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const key = { ...(await exportJWK(privateKey)), alg: 'ES256', use: 'sig', kid: crypto.randomUUID() };
  writePrivateFile(file, JSON.stringify(key));
  return key;
}
