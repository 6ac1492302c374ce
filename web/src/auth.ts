/**
 * Login in the browser: OpenID Connect authorization code with PKCE (RFC 7636) against the issuer
 * named in `/config.json`, found through its `/.well-known/openid-configuration` (DIRAC's WebApp
 * logs in through DiracX's `/api/auth/authorize` the same way). The monitor is a public client: no
 * secret, the code verifier proves the code is ours. The access token lives in sessionStorage, one
 * tab's life; the page the user was on (its hash, with the job filter) is kept across the round trip.
 *
 * Written by hand rather than with openid-client: that library targets Node and servers, and the
 * browser side is three requests whose shapes the standards fix.
 */
export interface WebConfig {
  readonly issuer: string;
  readonly clientId: string;
  readonly scope: string;
}

export interface Session {
  readonly accessToken: string;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
  readonly idToken?: string;
}

interface Discovery {
  readonly authorization_endpoint: string;
  readonly token_endpoint: string;
  readonly end_session_endpoint?: string;
}

const sessionKey = 'muon.session';
const pendingKey = 'muon.login';

let configPromise: Promise<WebConfig> | undefined;
export function webConfig(): Promise<WebConfig> {
  configPromise ??= fetch('/config.json').then(async (response) => {
    if (!response.ok) throw new Error(`/config.json answered ${response.status}`);
    return (await response.json()) as WebConfig;
  });
  return configPromise;
}

export async function discover(config: WebConfig): Promise<Discovery> {
  const url = `${config.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new Error(
      `The identity provider ${config.issuer} cannot be reached (${(error as Error).message}).`,
    );
  }
  if (!response.ok) throw new Error(`${url} answered ${response.status}.`);
  return (await response.json()) as Discovery;
}

/** The current session, or nothing when there is none or it has expired. */
export function currentSession(): Session | undefined {
  const stored = sessionStorage.getItem(sessionKey);
  if (!stored) return undefined;
  try {
    const session = JSON.parse(stored) as Session;
    return session.expiresAt > Date.now() ? session : undefined;
  } catch {
    return undefined;
  }
}

export function storeSession(session: Session): void {
  sessionStorage.setItem(sessionKey, JSON.stringify(session));
}

export function forgetSession(): void {
  sessionStorage.removeItem(sessionKey);
}

/** A token pasted by hand (`muon` prints development tokens; an operator may have one): its own expiry. */
export function sessionFromToken(token: string): Session {
  const payload = token.split('.')[1];
  let expiresAt = Date.now() + 3600_000;
  try {
    const claims = JSON.parse(atob((payload ?? '').replace(/-/g, '+').replace(/_/g, '/'))) as {
      exp?: number;
    };
    if (typeof claims.exp === 'number') expiresAt = claims.exp * 1000;
  } catch {
    throw new Error('That is not a JSON Web Token (three base64url parts separated by dots).');
  }
  return { accessToken: token, expiresAt };
}

let loginUnderway: Promise<void> | undefined;
// Back from the provider to this page kept in the back-forward cache: that login is not going on.
addEventListener('pageshow', (event) => {
  if (event.persisted) loginUnderway = undefined;
});

/**
 * Sends the browser to the provider; `returnTo` (a hash) is where it comes back to. One login per
 * page: a page whose session ended gets a 401 on each of its calls at once (the table, the charts,
 * the user's name), and each used to start a login of its own. Their pending logins overwrote each
 * other while their navigations raced, so the browser could come back with one login's state while
 * another's was kept, and the answer was refused as "not started here". The later calls now join
 * the first, and the pending login is written in the same turn as the navigation it belongs to.
 */
export function startLogin(returnTo: string): Promise<void> {
  loginUnderway ??= sendToProvider(returnTo).catch((error: unknown) => {
    // Nothing left the page: a later click or 401 may try again.
    loginUnderway = undefined;
    throw error;
  });
  return loginUnderway;
}

async function sendToProvider(returnTo: string): Promise<void> {
  const config = await webConfig();
  const discovery = await discover(config);
  const verifier = randomString(48);
  const state = randomString(24);
  const url = new URL(discovery.authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: config.clientId,
    redirect_uri: redirectUri(),
    scope: config.scope,
    state,
    code_challenge: await challenge(verifier),
    code_challenge_method: 'S256',
  }).toString();
  sessionStorage.setItem(pendingKey, JSON.stringify({ verifier, state, returnTo }));
  location.assign(url.toString());
}

/**
 * Finishes a login when the provider sent the browser back (`?code=...&state=...`): the code is
 * exchanged for tokens and the page returns to where the user was. False when this is no callback.
 */
export async function completeLogin(): Promise<boolean> {
  const params = new URLSearchParams(location.search);
  const code = params.get('code');
  const error = params.get('error');
  if (!code && !error) return false;
  const pending = JSON.parse(sessionStorage.getItem(pendingKey) ?? 'null') as {
    verifier: string;
    state: string;
    returnTo: string;
  } | null;
  sessionStorage.removeItem(pendingKey);
  history.replaceState(null, '', `/${pending?.returnTo ?? ''}`);
  if (error)
    throw new Error(`The identity provider refused the login: ${params.get('error_description') ?? error}.`);
  if (!pending || pending.state !== params.get('state'))
    throw new Error('This login answer does not belong to a login started here; log in again.');
  const config = await webConfig();
  const discovery = await discover(config);
  const response = await fetch(discovery.token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: code as string,
      redirect_uri: redirectUri(),
      client_id: config.clientId,
      code_verifier: pending.verifier,
    }),
  });
  const tokens = (await response.json().catch(() => ({}))) as {
    access_token?: string;
    expires_in?: number;
    id_token?: string;
    error_description?: string;
    error?: string;
  };
  if (!response.ok || !tokens.access_token)
    throw new Error(
      `The token exchange failed: ${tokens.error_description ?? tokens.error ?? response.status}.`,
    );
  storeSession({
    accessToken: tokens.access_token,
    expiresAt: Date.now() + (tokens.expires_in ?? 3600) * 1000,
    ...(tokens.id_token ? { idToken: tokens.id_token } : {}),
  });
  return true;
}

/** Ends the session here and, when the provider offers it, there too. */
export async function logout(): Promise<void> {
  const session = currentSession();
  forgetSession();
  try {
    const discovery = await discover(await webConfig());
    if (discovery.end_session_endpoint && session?.idToken) {
      const url = new URL(discovery.end_session_endpoint);
      url.search = new URLSearchParams({
        id_token_hint: session.idToken,
        post_logout_redirect_uri: redirectUri(),
      }).toString();
      location.assign(url.toString());
      return;
    }
  } catch {
    // No provider to tell: the session is gone from this tab, which is what matters here.
  }
  location.assign('/');
}

const redirectUri = () => `${location.origin}/`;

function randomString(bytes: number): string {
  return base64Url(crypto.getRandomValues(new Uint8Array(bytes)));
}

async function challenge(verifier: string): Promise<string> {
  return base64Url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
}

function base64Url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}
