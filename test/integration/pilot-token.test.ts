/** The pilot's OAuth2 client credentials against a scripted identity provider on 127.0.0.1. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHttpPilotApi } from '#pilot/http-api.ts';
import { clientCredentialsFromEnvironment, clientCredentialsToken } from '#pilot/token.ts';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

const retry = { attempts: 3, baseMs: 1, maxMs: 2 };

describe('Pilot client credentials', () => {
  let server: Server;
  let base: string;
  const seen: Seen[] = [];
  let issued = 0;
  /** How the token endpoint answers; by default a new token `t<n>` for an hour. */
  let tokenReply: (response: ServerResponse) => void;
  /** How the API answers a bearer token. */
  let apiAccepts: (token: string) => boolean;
  let discovery: unknown;

  const send = (response: ServerResponse, status: number, body: unknown) => {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  };
  const issue = (expiresIn?: number) => (response: ServerResponse) => {
    issued += 1;
    send(response, 200, {
      access_token: `t${issued}`,
      token_type: 'Bearer',
      ...(expiresIn === undefined ? {} : { expires_in: expiresIn }),
    });
  };

  beforeAll(async () => {
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      request.on('end', () => {
        seen.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body });
        if (request.url === '/idp/.well-known/openid-configuration') return send(response, 200, discovery);
        if (request.url === '/idp/token') return tokenReply(response);
        const token = (request.headers.authorization ?? '').replace(/^Bearer /, '');
        if (!apiAccepts(token)) return send(response, 401, { detail: 'The token has expired.' });
        return send(response, 200, { ok: token });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    seen.length = 0;
    issued = 0;
    tokenReply = issue(3600);
    apiAccepts = () => true;
    discovery = { issuer: `${base}/idp`, token_endpoint: `${base}/idp/token` };
  });

  const tokenPosts = () => seen.filter((request) => request.url === '/idp/token');

  it('discovers the token endpoint, authenticates with HTTP Basic, and keeps the token', async () => {
    const source = clientCredentialsToken(
      { clientId: 'pilot client', clientSecret: 's3cr:t', issuer: `${base}/idp`, scope: 'muon/pilot' },
      { retry },
    );
    expect(await source.token()).toBe('t1');
    expect(await source.token()).toBe('t1');
    expect(seen.map((request) => `${request.method} ${request.url}`)).toEqual([
      'GET /idp/.well-known/openid-configuration',
      'POST /idp/token',
    ]);
    const [post] = tokenPosts();
    expect(post?.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded\b/);
    expect(Object.fromEntries(new URLSearchParams(post?.body))).toEqual({
      grant_type: 'client_credentials',
      scope: 'muon/pilot',
    });
    const basic = Buffer.from(
      (post?.headers.authorization ?? '').replace(/^Basic /, ''),
      'base64',
    ).toString();
    // RFC 6749 section 2.3.1: each part application/x-www-form-urlencoded (a space is "+").
    expect(basic).toBe('pilot+client:s3cr%3At');
  });

  it('renews a token a minute before it ends, or at 80% of a short lifetime', async () => {
    let now = 1_000_000;
    const source = clientCredentialsToken(
      { clientId: 'c', clientSecret: 's', tokenUrl: `${base}/idp/token` },
      { retry, now: () => now },
    );
    expect(await source.token()).toBe('t1');
    now += 3600_000 - 61_000;
    expect(await source.token()).toBe('t1');
    now += 2_000;
    expect(await source.token()).toBe('t2');

    tokenReply = issue(10);
    now += 3600_000;
    expect(await source.token()).toBe('t3');
    now += 7_900;
    expect(await source.token()).toBe('t3');
    now += 200;
    expect(await source.token()).toBe('t4');
    expect(seen.some((request) => request.url.includes('well-known'))).toBe(false);
  });

  it('asks once for callers that wait together, and again after the API refused the token', async () => {
    const source = clientCredentialsToken(
      { clientId: 'c', clientSecret: 's', tokenUrl: `${base}/idp/token` },
      { retry },
    );
    expect(await Promise.all([source.token(), source.token(), source.token()])).toEqual(['t1', 't1', 't1']);
    expect(tokenPosts()).toHaveLength(1);
    source.refused('an older token');
    expect(await source.token()).toBe('t1');
    source.refused('t1');
    expect(await source.token()).toBe('t2');
  });

  it("takes the lifetime from the JWT's exp when the answer has no expires_in", async () => {
    let now = Date.now();
    const exp = Math.floor(now / 1000) + 20;
    const jwt = ['e30', Buffer.from(JSON.stringify({ exp })).toString('base64url'), 'sig'].join('.');
    tokenReply = (response) => {
      issued += 1;
      send(response, 200, { access_token: issued === 1 ? jwt : 'next', token_type: 'Bearer' });
    };
    const source = clientCredentialsToken(
      { clientId: 'c', clientSecret: 's', tokenUrl: `${base}/idp/token` },
      { retry, now: () => now },
    );
    expect(await source.token()).toBe(jwt);
    now += 10_000;
    expect(await source.token()).toBe(jwt);
    now += 8_000;
    expect(await source.token()).toBe('next');
  });

  it('says what the identity provider refused, and what discovery lacked', async () => {
    tokenReply = (response) =>
      send(response, 401, { error: 'invalid_client', error_description: 'Client authentication failed' });
    const refused = clientCredentialsToken(
      { clientId: 'c', clientSecret: 'wrong', tokenUrl: `${base}/idp/token` },
      { retry },
    );
    await expect(refused.token()).rejects.toThrow(
      "the identity provider refused the pilot's client credentials failed (401): invalid_client: Client authentication failed",
    );
    expect(tokenPosts()).toHaveLength(1);

    discovery = { issuer: `${base}/idp` };
    const undiscoverable = clientCredentialsToken(
      { clientId: 'c', clientSecret: 's', issuer: `${base}/idp` },
      { retry },
    );
    await expect(undiscoverable.token()).rejects.toThrow(/names no token_endpoint: set MUON_TOKEN_URL/);

    tokenReply = (response) => send(response, 200, { token_type: 'Bearer' });
    const empty = clientCredentialsToken(
      { clientId: 'c', clientSecret: 's', tokenUrl: `${base}/idp/token` },
      { retry },
    );
    await expect(empty.token()).rejects.toThrow(/without an access_token/);
  });

  it('retries the token endpoint when it is down for a moment', async () => {
    let failures = 1;
    tokenReply = (response) => {
      if (failures-- > 0) return send(response, 503, { error: 'temporarily_unavailable' });
      return issue(3600)(response);
    };
    const source = clientCredentialsToken(
      { clientId: 'c', clientSecret: 's', tokenUrl: `${base}/idp/token` },
      { retry },
    );
    expect(await source.token()).toBe('t1');
    expect(tokenPosts()).toHaveLength(2);
  });

  it('makes an API call once more with a new token after a 401, and only once', async () => {
    const api = createHttpPilotApi({
      apiUrl: base,
      token: { clientId: 'c', clientSecret: 's', tokenUrl: `${base}/idp/token` },
      retry,
    });
    apiAccepts = (token) => token !== 't1';
    await api.sendStatuses({});
    const calls = seen.filter((request) => request.url === '/api/jobs/status');
    expect(calls.map((request) => request.headers.authorization)).toEqual(['Bearer t1', 'Bearer t2']);

    apiAccepts = () => false;
    seen.length = 0;
    await expect(api.sendStatuses({})).rejects.toThrow(/\(401\): The token has expired/);
    expect(seen.filter((request) => request.url === '/api/jobs/status')).toHaveLength(2);
    expect(tokenPosts()).toHaveLength(1);
  });

  it('does not ask again with a fixed token', async () => {
    const api = createHttpPilotApi({ apiUrl: base, token: 'fixed', retry });
    apiAccepts = () => false;
    await expect(api.sendStatuses({})).rejects.toThrow(/\(401\)/);
    expect(seen).toHaveLength(1);
  });
});

describe('Pilot client credentials from the environment', () => {
  it('reads the client, the endpoint or issuer, and the scope', () => {
    expect(clientCredentialsFromEnvironment({})).toBeUndefined();
    expect(
      clientCredentialsFromEnvironment({
        MUON_CLIENT_ID: 'id',
        MUON_CLIENT_SECRET: 'secret',
        MUON_AUTH_ISSUER: 'https://idp.example.org/realms/vo',
        MUON_TOKEN_SCOPE: 'pilot',
      }),
    ).toEqual({
      clientId: 'id',
      clientSecret: 'secret',
      issuer: 'https://idp.example.org/realms/vo',
      scope: 'pilot',
    });
  });

  it('says which setting is missing or wrong', () => {
    expect(() => clientCredentialsFromEnvironment({ MUON_CLIENT_ID: 'id' })).toThrow(
      /Set both MUON_CLIENT_ID and MUON_CLIENT_SECRET/,
    );
    expect(() => clientCredentialsFromEnvironment({ MUON_CLIENT_ID: 'id', MUON_CLIENT_SECRET: 's' })).toThrow(
      /set MUON_TOKEN_URL .* or MUON_AUTH_ISSUER/,
    );
    expect(() =>
      clientCredentialsFromEnvironment({
        MUON_CLIENT_ID: 'id',
        MUON_CLIENT_SECRET: 's',
        MUON_TOKEN_URL: 'nope',
      }),
    ).toThrow(/MUON_TOKEN_URL is not a URL: "nope"/);
    expect(() =>
      clientCredentialsFromEnvironment({
        MUON_CLIENT_ID: 'unset',
        MUON_CLIENT_SECRET: 'generated',
        MUON_AUTH_ISSUER: 'https://idp.example.org',
      }),
    ).toThrow(/still the stack's placeholder/);
  });
});
