/**
 * `muon login --flow pkce --port <n>`: the browser comes back to http://127.0.0.1:<n>/callback, the
 * exact URL a provider that needs registered callbacks (Cognito, infra/constructs/identity.ts)
 * has; a port in use is named. A stub OpenID provider on 127.0.0.1 plays the identity provider.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login } from '#cli/credentials-oidc.ts';

let provider: Server;
let issuer: string;
const codes = new Set<string>();

beforeAll(async () => {
  provider = createServer((req, res) => {
    const url = new URL(req.url ?? '/', issuer);
    if (url.pathname === '/.well-known/openid-configuration') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          issuer,
          authorization_endpoint: `${issuer}/authorize`,
          token_endpoint: `${issuer}/token`,
          jwks_uri: `${issuer}/jwks`,
          response_types_supported: ['code'],
          code_challenge_methods_supported: ['S256'],
          // As Cognito: no offline_access.
          scopes_supported: ['openid', 'email', 'phone', 'profile'],
        }),
      );
      return;
    }
    if (url.pathname === '/token' && req.method === 'POST') {
      let body = '';
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => {
        const form = new URLSearchParams(body);
        const ok = codes.has(form.get('code') ?? '') && form.get('code_verifier');
        res.writeHead(ok ? 200 : 400, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify(
            ok
              ? { access_token: 'opaque-token', token_type: 'Bearer', expires_in: 3600 }
              : { error: 'invalid_grant' },
          ),
        );
      });
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => provider.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(provider.address() as AddressInfo).port}`;
});
afterAll(() => provider.close());

/** A free port, found by binding 0 and letting it go. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

const client = () => ({
  issuer,
  client_id: 'cli-client',
  scope: 'openid offline_access profile',
  audience: ['cli-client'],
});

describe('muon login --port', () => {
  it('comes back to http://127.0.0.1:<port>/callback and exchanges the code there', async () => {
    const port = await freePort();
    const stored = await login({
      client: client(),
      apiUrl: 'https://api.example',
      flow: 'pkce',
      port,
      prompt: (text) => {
        // The "browser": the provider redirects to the registered callback with a code.
        const authorize = new URL(text.replace(/^To log in, open /, ''));
        const redirect = new URL(authorize.searchParams.get('redirect_uri') ?? '');
        expect(redirect.href).toBe(`http://127.0.0.1:${port}/callback`);
        // A scope the provider does not list is not asked for (Cognito would refuse it).
        expect(authorize.searchParams.get('scope')).toBe('openid profile');
        codes.add('code-1');
        redirect.search = new URLSearchParams({
          code: 'code-1',
          state: authorize.searchParams.get('state') ?? '',
        }).toString();
        void fetch(redirect);
      },
    });
    expect(stored.accessToken).toBe('opaque-token');
  });

  it('names a port that is in use', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const { port } = holder.address() as AddressInfo;
    try {
      await expect(
        login({ client: client(), apiUrl: 'https://api.example', flow: 'pkce', port, prompt: () => {} }),
      ).rejects.toThrow(`Port ${port} on 127.0.0.1 is in use`);
    } finally {
      holder.close();
    }
  });
});
