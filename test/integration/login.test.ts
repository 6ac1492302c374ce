/**
 * `muon login` through the device authorization grant against the embedded runtime's OpenID
 * provider, approved by a scripted browser; then whoami, refresh, MUON_TOKEN winning, logout, and
 * the messages for a wrong issuer, audience or group scope.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { credentialsFile } from '#cli/credentials.ts';
import { discoverProvider, login } from '#cli/credentials-oidc.ts';
import { writeLocalFile } from '#local/home.ts';
import { loginWithDevice, runMuon } from '#test/integration/support/muon-cli.ts';
import { approveDevice } from '#test/integration/support/oidc-browser.ts';
import { startTestRuntime, type TestRuntime } from '#test/integration/support/runtime.ts';

const { MUON_API_URL: _url, MUON_TOKEN: _token, ...baseEnv } = process.env;

describe('muon login (device flow at the embedded OpenID provider)', () => {
  let runtime: TestRuntime;
  let home: string;
  let credentials: string;
  const env = (extra: Record<string, string> = {}) => ({
    ...baseEnv,
    MUON_HOME: home,
    MUON_CREDENTIALS_DIR: credentials,
    NO_COLOR: '1',
    ...extra,
  });
  const muon = (args: string[], extra?: Record<string, string>) => runMuon(args, env(extra));
  const loginAs = (username: string, args: string[] = []) => loginWithDevice(username, args, env());

  beforeAll(async () => {
    runtime = await startTestRuntime();
    home = runtime.home;
    credentials = mkdtempSync(join(tmpdir(), 'muon-credentials-'));
    writeLocalFile(home, { apiUrl: runtime.apiUrl, tokens: runtime.tokens });
  }, 60_000);
  afterAll(async () => {
    await runtime?.stop();
    rmSync(credentials, { recursive: true, force: true });
  });

  it('logs in with the device flow and keeps the tokens 0600 for that API', async () => {
    const run = await loginAs('admin', ['--group', 'admin']);
    expect(run.stderr).toContain('To log in, open');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('as admin (group admin)');
    const file = credentialsFile(runtime.apiUrl, env());
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(credentials).mode & 0o777).toBe(0o700);
    const stored = JSON.parse(readFileSync(file, 'utf8'));
    expect(stored.issuer).toBe(runtime.oidc.issuer);
    expect(stored.refreshToken).toBeTruthy();
  }, 60_000);

  it('whoami shows the identity the API reads from the login token', async () => {
    const run = await muon(['whoami', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const who = JSON.parse(run.stdout);
    expect(who).toMatchObject({
      preferred_username: 'admin',
      vo: 'vo.example.org',
      dirac_group: 'admin',
      dirac_properties: ['NormalUser', 'JobAdministrator', 'CSAdministrator'],
      token_source: 'muon login',
    });
  }, 30_000);

  it('refreshes a token near its end and writes the new one back', async () => {
    const file = credentialsFile(runtime.apiUrl, env());
    const before = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(file, JSON.stringify({ ...before, expiresAt: Date.now() - 1000 }), { mode: 0o600 });
    const run = await muon(['whoami']);
    expect(run.code, run.stderr).toBe(0);
    const after = JSON.parse(readFileSync(file, 'utf8'));
    expect(after.accessToken).not.toBe(before.accessToken);
    expect(after.expiresAt).toBeGreaterThan(Date.now());
  }, 30_000);

  it('lets MUON_TOKEN win over the login', async () => {
    const run = await muon(['whoami', '--json'], { MUON_TOKEN: runtime.tokens.user });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ preferred_username: 'alice', token_source: 'MUON_TOKEN' });
  }, 30_000);

  it('refuses a group the user is not in, naming the scope', async () => {
    const run = await loginAs('alice', ['--group', 'admin']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('group:admin');
  }, 60_000);

  it('logs out: the tokens are forgotten and the development token is used again', async () => {
    const out = await muon(['logout']);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain('Logged out');
    expect(() => statSync(credentialsFile(runtime.apiUrl, env()))).toThrow();
    const who = await muon(['whoami', '--json']);
    expect(JSON.parse(who.stdout)).toMatchObject({ preferred_username: 'alice', token_source: 'local.json' });
  }, 30_000);

  it('names a wrong issuer', async () => {
    await expect(discoverProvider('http://127.0.0.1:9/not-an-issuer', 'muon-cli')).rejects.toThrow(
      /issuer http:\/\/127\.0\.0\.1:9\/not-an-issuer did not answer/,
    );
  });

  it('names the audience a token was issued for when the API expects another', async () => {
    const attempt = login({
      client: {
        issuer: runtime.oidc.issuer,
        client_id: 'muon-cli',
        scope: 'openid offline_access',
        audience: ['another-api'],
      },
      apiUrl: runtime.apiUrl,
      prompt: (text) => {
        const address = /open (http\S+user_code=\S+)/.exec(text)?.[1];
        if (address) void approveDevice(address, 'alice');
      },
    });
    await expect(attempt).rejects.toThrow(/audience "muon", but this API accepts "another-api"/);
  }, 60_000);
});
