/**
 * Where the pilot's bearer token comes from. Either a fixed token (`--token`, `MUON_TOKEN`, the
 * local runtime's), or OAuth2 client credentials (RFC 6749 section 4.4): the pilot asks the identity
 * provider's token endpoint for a token, keeps it, and asks again before it expires or when the API
 * refuses it. A pilot runs for hours and an identity provider's tokens often last one, so a pilot
 * in the cloud is given a client, not a token (docs/pilots.md, "Tokens").
 */
import { ApiCallError, fetchOrUnreachable, parseBody, type RetryPolicy, withRetries } from '#pilot/retry.ts';
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
  let endpoint: Promise<string> | undefined;

  const tokenEndpoint = (): Promise<string> => {
    if (credentials.tokenUrl) return Promise.resolve(credentials.tokenUrl);
    endpoint ??= discover(credentials.issuer ?? '', options.retry, timeoutMs, options.logger).catch(
      (error) => {
        endpoint = undefined;
        throw error;
      },
    );
    return endpoint;
  };

  const obtain = async (): Promise<HeldToken> => {
    const url = await tokenEndpoint();
    const asked = now();
    const answer = await withRetries(options.retry, 'POST token endpoint', options.logger, () =>
      requestToken(url, credentials, timeoutMs),
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

async function discover(issuer: string, retry: RetryPolicy, timeoutMs: number, logger?: Logger) {
  const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  const document = await withRetries(retry, 'GET OpenID configuration', logger, async () => {
    const response = await fetchOrUnreachable(`GET ${url}`, url, { signal: AbortSignal.timeout(timeoutMs) });
    const body = parseBody(await response.text());
    if (!response.ok) throw ApiCallError.answered(`GET ${url}`, response.status, body);
    return body;
  });
  const found = (document as { token_endpoint?: unknown } | undefined)?.token_endpoint;
  if (typeof found !== 'string' || !URL.canParse(found)) {
    throw new ApiCallError(`${url} names no token_endpoint: set MUON_TOKEN_URL`, 502, false);
  }
  return found;
}

async function requestToken(url: string, credentials: ClientCredentials, timeoutMs: number) {
  const form = new URLSearchParams({ grant_type: 'client_credentials' });
  if (credentials.scope) form.set('scope', credentials.scope);
  // RFC 6749 section 2.3.1: the client authenticates with HTTP Basic, each part form-encoded.
  const basic = Buffer.from(
    `${encodeURIComponent(credentials.clientId)}:${encodeURIComponent(credentials.clientSecret)}`,
  ).toString('base64');
  const response = await fetchOrUnreachable('POST token endpoint', url, {
    method: 'POST',
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const body = parseBody(await response.text()) as
    | { access_token?: unknown; expires_in?: unknown; error?: unknown; error_description?: unknown }
    | undefined;
  if (!response.ok) {
    const reason =
      typeof body?.error === 'string'
        ? `${body.error}${typeof body.error_description === 'string' ? `: ${body.error_description}` : ''}`
        : body;
    const refused = response.status === 400 || response.status === 401;
    throw ApiCallError.answered(
      refused ? "the identity provider refused the pilot's client credentials" : 'POST token endpoint',
      response.status,
      reason,
    );
  }
  if (typeof body?.access_token !== 'string' || body.access_token.length === 0) {
    throw new ApiCallError('the token endpoint answered without an access_token', 502, false);
  }
  return { token: body.access_token, expiresIn: body.expires_in };
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
