/**
 * `muon login`'s conversations with the identity provider, through openid-client (a certified
 * OpenID Connect relying party): discovery, the device authorization grant (RFC 8628), the
 * authorization code grant with PKCE on a loopback redirect (RFC 8252) for providers without a
 * device endpoint, refresh and revocation. DIRAC counterpart: DiracX's `dirac login`.
 * Every failure names what to fix: the issuer that does not answer or answers as another, the
 * scope refused, the audience the token was not issued for.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import type { StoredLogin } from '#cli/credentials.ts';
import { CliError } from '#cli/errors.ts';
import { isLoopback } from '#shared/auth/loopback.ts';

/** What `GET /api/auth/client` says about logging in to an API. */
export interface LoginClient {
  readonly issuer: string;
  readonly client_id: string;
  readonly scope: string;
  readonly audience: readonly string[];
  readonly resource?: string;
}

export type Flow = 'device' | 'pkce';

export async function discoverProvider(issuer: string, clientId: string): Promise<oidc.Configuration> {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw new CliError(`The issuer "${issuer}" is not a URL.`);
  }
  try {
    return await oidc.discovery(
      url,
      clientId,
      undefined,
      oidc.None(),
      isLoopback(url) ? { execute: [oidc.allowInsecureRequests] } : {},
    );
  } catch (error) {
    throw new CliError(
      `The issuer ${issuer} did not answer as an OpenID provider (${describe(error)}): check auth.issuer (or auth.login.issuer) in the configuration.`,
    );
  }
}

export interface LoginOptions {
  readonly client: LoginClient;
  readonly apiUrl: string;
  readonly flow?: Flow;
  readonly group?: string;
  /**
   * The loopback port of the PKCE redirect; default any free port (RFC 8252). Providers that
   * need exact callback URLs (Cognito: the stack registers 8400) need a fixed one.
   */
  readonly port?: number;
  /** Told what the user must do: open this address (and enter this code). */
  readonly prompt: (text: string) => void;
  readonly signal?: AbortSignal;
}

/** Logs in with the device flow when the provider has a device endpoint, else with PKCE. */
export async function login(options: LoginOptions): Promise<StoredLogin> {
  const { client } = options;
  const config = await discoverProvider(client.issuer, client.client_id);
  const scope = supportedScope(
    [client.scope, options.group ? `group:${options.group}` : ''].filter(Boolean).join(' '),
    config.serverMetadata().scopes_supported,
  );
  const extra: Record<string, string> = client.resource ? { resource: client.resource } : {};
  const hasDevice = config.serverMetadata().device_authorization_endpoint !== undefined;
  const flow = options.flow ?? (hasDevice ? 'device' : 'pkce');
  if (flow === 'device' && !hasDevice) {
    throw new CliError(
      `The identity provider ${client.issuer} has no device authorization endpoint: use --flow pkce.`,
    );
  }
  let tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;
  try {
    tokens =
      flow === 'device'
        ? await deviceFlow(config, scope, extra, options)
        : await pkceFlow(config, scope, extra, options);
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`Login at ${client.issuer} failed: ${describe(error, scope)}`);
  }
  return checked(tokens, options);
}

async function deviceFlow(
  config: oidc.Configuration,
  scope: string,
  extra: Record<string, string>,
  options: LoginOptions,
) {
  const device = await oidc.initiateDeviceAuthorization(config, { scope, ...extra });
  options.prompt(
    device.verification_uri_complete
      ? `To log in, open ${device.verification_uri_complete}\n(or open ${device.verification_uri} and enter the code ${device.user_code})`
      : `To log in, open ${device.verification_uri} and enter the code ${device.user_code}`,
  );
  return oidc.pollDeviceAuthorizationGrant(
    config,
    device,
    extra,
    options.signal ? { signal: options.signal } : {},
  );
}

/**
 * `offline_access` is left out where the provider says it does not support it (Cognito lists
 * `openid email phone profile` and refuses scopes it does not know; it gives refresh tokens anyway).
 */
function supportedScope(scope: string, supported: readonly string[] | undefined): string {
  if (!supported || supported.includes('offline_access')) return scope;
  return scope
    .split(/\s+/)
    .filter((item) => item !== 'offline_access')
    .join(' ');
}

/** Authorization code with PKCE: the browser comes back to a one-shot server on 127.0.0.1. */
async function pkceFlow(
  config: oidc.Configuration,
  scope: string,
  extra: Record<string, string>,
  options: LoginOptions,
) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new CliError(
              `Port ${options.port} on 127.0.0.1 is in use: close what holds it or pick another --port.`,
            )
          : error,
      ),
    );
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const redirectUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`;
  try {
    const callback = new Promise<URL>((resolve, reject) => {
      options.signal?.addEventListener('abort', () => reject(new CliError('Login interrupted.')));
      server.on('request', (req, res) => {
        const url = new URL(req.url ?? '/', redirectUri);
        if (url.pathname !== '/callback') {
          res.writeHead(404).end();
          return;
        }
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('muon: you may close this window and go back to the terminal.\n');
        resolve(url);
      });
    });
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      // Some providers give a refresh token (offline_access) only after an explicit consent.
      prompt: 'consent',
      ...extra,
    });
    options.prompt(`To log in, open ${url.href}`);
    return await oidc.authorizationCodeGrant(
      config,
      await callback,
      { pkceCodeVerifier: verifier, expectedState: state },
      extra,
    );
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

/** The tokens as cached, once the access token is for this API and the group the one asked. */
function checked(
  tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers,
  options: LoginOptions,
): StoredLogin {
  const { client } = options;
  let claims: Record<string, unknown> = {};
  try {
    claims = decodeJwt(tokens.access_token);
  } catch {
    // An opaque token: only the API can judge it (`muon whoami`).
  }
  if (claims.aud !== undefined) {
    const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!audiences.some((a) => client.audience.includes(String(a)))) {
      throw new CliError(
        `The identity provider issued a token for audience ${audiences.map((a) => `"${a}"`).join(', ')}, but this API accepts ${client.audience.map((a) => `"${a}"`).join(', ')}: configure the client ${client.client_id} at ${client.issuer} to issue tokens for that audience, or set auth.audience.`,
      );
    }
  }
  if (
    options.group !== undefined &&
    claims.dirac_group !== undefined &&
    claims.dirac_group !== options.group
  ) {
    throw new CliError(
      `The scope "group:${options.group}" was not granted: the token is for group "${String(claims.dirac_group)}". Is the user a member of ${options.group}?`,
    );
  }
  return {
    apiUrl: options.apiUrl.replace(/\/+$/, ''),
    issuer: client.issuer,
    clientId: client.client_id,
    ...(client.resource ? { resource: client.resource } : {}),
    accessToken: tokens.access_token,
    ...(tokens.refresh_token ? { refreshToken: tokens.refresh_token } : {}),
    expiresAt: Date.now() + (tokens.expiresIn() ?? 3600) * 1000,
    ...(typeof claims.preferred_username === 'string' ? { username: claims.preferred_username } : {}),
    ...(typeof claims.dirac_group === 'string' ? { group: claims.dirac_group } : {}),
  };
}

/** New tokens for a cached login, with its refresh token (providers may rotate it). */
export async function refreshLogin(login: StoredLogin): Promise<StoredLogin> {
  const config = await discoverProvider(login.issuer, login.clientId);
  const extra = login.resource ? { resource: login.resource } : undefined;
  const tokens = await oidc.refreshTokenGrant(config, login.refreshToken ?? '', extra);
  return {
    ...login,
    accessToken: tokens.access_token,
    refreshToken: tokens.refresh_token ?? login.refreshToken,
    expiresAt: Date.now() + (tokens.expiresIn() ?? 3600) * 1000,
  };
}

/** Revokes the refresh token at the provider, when it has a revocation endpoint; best effort. */
export async function revokeLogin(login: StoredLogin): Promise<boolean> {
  if (!login.refreshToken) return false;
  const config = await discoverProvider(login.issuer, login.clientId);
  if (!config.serverMetadata().revocation_endpoint) return false;
  await oidc.tokenRevocation(config, login.refreshToken, { token_type_hint: 'refresh_token' });
  return true;
}

/** An OAuth error as `error: description`, naming the scope when the scope is what was refused. */
function describe(error: unknown, scope?: string): string {
  if (error instanceof oidc.ResponseBodyError) {
    const text = `${error.error}${error.error_description ? `: ${error.error_description}` : ''}`;
    return error.error === 'invalid_scope' && scope !== undefined
      ? `the identity provider refused the scope "${scope}" (${text})`
      : text;
  }
  const cause = (error as { cause?: unknown }).cause;
  const message = (error as Error).message ?? String(error);
  return cause instanceof Error ? `${message}: ${cause.message}` : message;
}
