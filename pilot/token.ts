/**
 * Where the pilot's bearer token comes from. Either a fixed token (`--token`, `MUON_TOKEN`, the
 * local runtime's), or OAuth2 client credentials (RFC 6749 section 4.4): the pilot asks the identity
 * provider's token endpoint for a token, keeps it, and asks again before it expires or when the API
 * refuses it. A pilot runs for hours and an identity provider's tokens often last one, so a pilot
 * in the cloud is given a client, not a token (docs/pilots.md, "Tokens"). The OAuth2 exchange itself
 * is openid-client's (discovery, client authentication, response validation), as `muon login`'s is.
 */
import * as oidc from 'openid-client';
import { ApiCallError, type RetryPolicy, withRetries } from '#pilot/retry.ts';
import { isLoopback } from '#shared/auth/loopback.ts';
import type { ClientCredentials } from '#shared/ce/credentials.ts';
import { ConfigurationError } from '#shared/errors.ts';
import type { Logger } from '#shared/log.ts';

export interface TokenSource {
  /** The token to send now. */
  token(): Promise<string>;
  /** Whether a new token can be had when the API refuses this one (401). */
  readonly renewable: boolean;
  /** The API refused `token`: the next `token()` gets a new one. */
  refused(token: string): void;
}

/** What a pilot authenticates with: a fixed token, or a client to get tokens with. */
export type PilotToken = string | ClientCredentials;

export const fixedToken = (token: string): TokenSource => ({
  token: async () => token,
  renewable: false,
  refused: () => undefined,
});

/** A token, and the time (ms since the epoch) from which it should be renewed. */
export interface HeldToken {
  readonly token: string;
  readonly renewAt: number;
}

/**
 * A token source that asks `obtain` for a token when it has none, when the one it has reached its
 * renewal time, or after the API refused it; callers asking at the same time share one request.
 * The pilot's own token (client credentials) and each job's payload token renew this way.
 */
export function renewingToken(
  obtain: () => Promise<HeldToken>,
  options: { readonly now: () => number; readonly first?: HeldToken },
): TokenSource {
  let current = options.first;
  let pending: Promise<string> | undefined;
  const renew = async (): Promise<string> => {
    current = await obtain();
    return current.token;
  };
  return {
    renewable: true,
    async token() {
      if (current && options.now() < current.renewAt) return current.token;
      pending ??= renew().finally(() => {
        pending = undefined;
      });
      return pending;
    },
    refused(token) {
      if (current?.token === token) current = undefined;
    },
  };
}

export interface ClientCredentialsOptions {
  readonly retry: RetryPolicy;
  readonly logger?: Logger;
  readonly timeoutMs?: number;
  /** Milliseconds since the epoch (tests). */
  readonly now?: () => number;
}

/** A token is renewed a minute before it ends, or when 80% of a shorter lifetime has passed. */
const renewBeforeMs = 60_000;
/** The share of its lifetime left when a token is renewed (a payload token's too). */
export const renewBeforeShare = 0.2;

export function clientCredentialsToken(
  credentials: ClientCredentials,
  options: ClientCredentialsOptions,
): TokenSource {
  const now = options.now ?? Date.now;
  const timeoutMs = options.timeoutMs ?? 30_000;
  let configuration: Promise<oidc.Configuration> | undefined;

  const obtain = async (): Promise<HeldToken> => {
    configuration ??= clientConfiguration(credentials, options.retry, timeoutMs, options.logger).catch(
      (error: unknown) => {
        configuration = undefined;
        throw error;
      },
    );
    const client = await configuration;
    const asked = now();
    const answer = await withRetries(options.retry, 'POST token endpoint', options.logger, () =>
      requestToken(client, credentials),
    );
    const lifetimeMs = lifetimeSeconds(answer.expiresIn, answer.token, asked) * 1000;
    options.logger?.debug('got a pilot token from the identity provider', {
      expiresInSeconds: lifetimeMs / 1000,
    });
    return {
      token: answer.token,
      renewAt: asked + lifetimeMs - Math.min(renewBeforeMs, lifetimeMs * renewBeforeShare),
    };
  };

  return renewingToken(obtain, { now });
}

/**
 * The pilot's token source from its environment: `MUON_CLIENT_ID` and `MUON_CLIENT_SECRET`, with
 * `MUON_TOKEN_URL` or `MUON_AUTH_ISSUER`, and `MUON_TOKEN_SCOPE`. Undefined when no client is set.
 */
export function clientCredentialsFromEnvironment(
  env: Readonly<Record<string, string | undefined>>,
): ClientCredentials | undefined {
  const clientId = env.MUON_CLIENT_ID;
  const clientSecret = env.MUON_CLIENT_SECRET;
  if (clientId === undefined && clientSecret === undefined) return undefined;
  if (!clientId || !clientSecret) {
    throw new ConfigurationError('Set both MUON_CLIENT_ID and MUON_CLIENT_SECRET, or neither.');
  }
  return completeClientCredentials({ clientId, clientSecret }, env, {
    placeholder: "MUON_CLIENT_ID is still the stack's placeholder",
    where: 'With MUON_CLIENT_ID,',
  });
}

/**
 * A client as the pilot uses it: the token endpoint or issuer and the scope it does not name come
 * from `MUON_TOKEN_URL`, `MUON_AUTH_ISSUER` and `MUON_TOKEN_SCOPE`. Refuses the stack's placeholder
 * client (`unset`) and a client with no way to find its token endpoint; `names` say where the
 * client came from in those errors.
 */
export function completeClientCredentials(
  client: ClientCredentials,
  env: Readonly<Record<string, string | undefined>>,
  names: { readonly placeholder: string; readonly where: string },
): ClientCredentials {
  if (client.clientId === 'unset') {
    throw new ConfigurationError(
      `${names.placeholder}: put your identity provider's client_id and client_secret into the pilot client secret (the stack's PilotClientSecretArn output).`,
    );
  }
  const tokenUrl = client.tokenUrl ?? (env.MUON_TOKEN_URL || undefined);
  const issuer = client.issuer ?? (env.MUON_AUTH_ISSUER || undefined);
  if (!tokenUrl && !issuer) {
    throw new ConfigurationError(
      `${names.where} set MUON_TOKEN_URL (the token endpoint) or MUON_AUTH_ISSUER (to discover it).`,
    );
  }
  for (const [name, value] of [
    ['MUON_TOKEN_URL', tokenUrl],
    ['MUON_AUTH_ISSUER', issuer],
  ] as const) {
    if (value !== undefined && !URL.canParse(value)) {
      throw new ConfigurationError(`${name} is not a URL: "${value}".`);
    }
  }
  const scope = client.scope ?? (env.MUON_TOKEN_SCOPE || undefined);
  return {
    clientId: client.clientId,
    clientSecret: client.clientSecret,
    ...(tokenUrl ? { tokenUrl } : {}),
    ...(issuer ? { issuer } : {}),
    ...(scope ? { scope } : {}),
  };
}

/** Plain HTTP is allowed to an identity provider on this machine only (tests, the local runtime). */
const insecureAllowed = (url: URL) => url.protocol === 'http:' && isLoopback(url);

/**
 * The client's openid-client configuration: from the token endpoint when it is given, else from
 * the issuer's discovery document (which must name its token endpoint).
 */
async function clientConfiguration(
  credentials: ClientCredentials,
  retry: RetryPolicy,
  timeoutMs: number,
  logger?: Logger,
): Promise<oidc.Configuration> {
  const auth = oidc.ClientSecretBasic(credentials.clientSecret);
  let configuration: oidc.Configuration;
  if (credentials.tokenUrl) {
    const tokenUrl = new URL(credentials.tokenUrl);
    const issuer = credentials.issuer ?? tokenUrl.origin;
    configuration = new oidc.Configuration(
      { issuer, token_endpoint: tokenUrl.href },
      credentials.clientId,
      undefined,
      auth,
    );
    if (insecureAllowed(tokenUrl)) oidc.allowInsecureRequests(configuration);
  } else {
    const issuer = new URL(credentials.issuer ?? '');
    const url = `${issuer.href.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    configuration = await withRetries(retry, 'GET OpenID configuration', logger, () =>
      oidc
        .discovery(issuer, credentials.clientId, undefined, auth, {
          ...(insecureAllowed(issuer) ? { execute: [oidc.allowInsecureRequests] } : {}),
          timeout: timeoutMs / 1000,
        })
        .catch((error: unknown) => {
          throw asApiCallError(`GET ${url}`, error);
        }),
    );
    if (!configuration.serverMetadata().token_endpoint) {
      throw new ApiCallError(`${url} names no token_endpoint: set MUON_TOKEN_URL`, 502, false);
    }
  }
  configuration.timeout = timeoutMs / 1000;
  return configuration;
}

async function requestToken(configuration: oidc.Configuration, credentials: ClientCredentials) {
  try {
    const answer = await oidc.clientCredentialsGrant(
      configuration,
      credentials.scope ? { scope: credentials.scope } : {},
    );
    return { token: answer.access_token, expiresIn: answer.expires_in };
  } catch (error) {
    if (error instanceof oidc.ResponseBodyError && (error.status === 400 || error.status === 401)) {
      const reason = `${error.error}${error.error_description ? `: ${error.error_description}` : ''}`;
      throw ApiCallError.answered(
        "the identity provider refused the pilot's client credentials",
        error.status,
        reason,
      );
    }
    const detail = `${(error as Error).message ?? ''} ${String((error as { cause?: { message?: unknown } }).cause?.message ?? '')}`;
    if (/access_token/.test(detail)) {
      throw new ApiCallError('the token endpoint answered without an access_token', 502, false, error);
    }
    if ((error as { code?: unknown }).code === 'OAUTH_INVALID_RESPONSE') {
      throw new ApiCallError(
        `the token endpoint answered with an invalid response (${detail.trim()})`,
        502,
        false,
        error,
      );
    }
    throw asApiCallError('POST token endpoint', error);
  }
}

/** openid-client's failures as the pilot's retry policy knows them: retried when the server may recover. */
function asApiCallError(what: string, error: unknown): ApiCallError {
  if (error instanceof ApiCallError) return error;
  if (error instanceof oidc.ResponseBodyError) {
    return ApiCallError.answered(
      what,
      error.status,
      `${error.error}${error.error_description ? `: ${error.error_description}` : ''}`,
    );
  }
  const response = (error as { cause?: unknown }).cause;
  if (response instanceof Response)
    return ApiCallError.answered(what, response.status, (error as Error).message);
  if (
    error instanceof TypeError ||
    (error as Error).name === 'TimeoutError' ||
    (error as Error).name === 'AbortError'
  ) {
    return ApiCallError.unreachable(what, error);
  }
  return new ApiCallError(`${what}: ${(error as Error).message}`, 502, false, error);
}

/** `expires_in`, else the JWT's own `exp`, else an hour (OAuth2 servers' usual lifetime). */
function lifetimeSeconds(expiresIn: unknown, token: string, nowMs: number): number {
  const given = Number(expiresIn);
  if (Number.isFinite(given) && given > 0) return given;
  try {
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
    const left = Number(claims.exp) - nowMs / 1000;
    if (Number.isFinite(left) && left > 0) return left;
  } catch {
    // Not a JWT: fall through.
  }
  return 3600;
}
