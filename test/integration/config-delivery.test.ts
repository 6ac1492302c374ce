/**
 * The live configuration on the embedded runtime: `muon config push` (validated first; an invalid
 * document changes nothing and every problem is listed), `muon config show`, the functions
 * re-reading the pushed document, and a pilot loading it through `GET /api/config`.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { writeLocalFile } from '#local/home.ts';
import { downloadLiveConfig } from '#pilot/live-config.ts';
import { startTestRuntime, type TestRuntime, testConfig } from '#test/integration/support/runtime.ts';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const { MUON_API_URL: _url, MUON_TOKEN: _token, ...baseEnv } = process.env;

describe('the live configuration', () => {
  let runtime: TestRuntime;
  let scratch: string;
  const muon = (args: string[], token?: string) =>
    new Promise<Run>((resolve) => {
      const env = {
        ...baseEnv,
        MUON_HOME: runtime.home,
        MUON_CREDENTIALS_DIR: scratch,
        ...(token ? { MUON_TOKEN: token } : {}),
      };
      execFile(process.execPath, ['bin/muon.mjs', ...args], { env }, (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
      });
    });
  const write = (name: string, value: unknown) => {
    const file = join(scratch, name);
    writeFileSync(file, typeof value === 'string' ? value : stringify(value));
    return file;
  };

  beforeAll(async () => {
    runtime = await startTestRuntime();
    scratch = mkdtempSync(join(tmpdir(), 'muon-config-'));
    writeLocalFile(runtime.home, { apiUrl: runtime.apiUrl, tokens: runtime.tokens });
  }, 60_000);
  afterAll(async () => {
    await runtime?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('shows the configuration the API runs with', async () => {
    const run = await muon(['config', 'show', '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).virtualOrganizations['vo.example.org'].defaultGroup).toBe('user');
  }, 30_000);

  it('pushes a valid document, which every function then reads', async () => {
    const next = testConfig();
    next.auth.login.scope = 'profile';
    next.limits.maxJobsPerSubmission = 7;
    const run = await muon(['config', 'push', write('next.yaml', next)], runtime.tokens.admin);
    expect(run.code, run.stderr).toBe(0);
    const shown = JSON.parse((await muon(['config', 'show', '--json'])).stdout);
    expect(shown.limits.maxJobsPerSubmission).toBe(7);
    // Another function (auth) re-reads the object within its refresh period (1 s locally).
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const client = (await (await fetch(`${runtime.apiUrl}/api/auth/client`)).json()) as { scope: string };
    expect(client.scope).toBe('openid offline_access profile');
  }, 30_000);

  it('refuses an invalid document, listing every problem, and changes nothing', async () => {
    const before = (await muon(['config', 'show', '--json'])).stdout;
    const bad = testConfig() as unknown as Record<string, Record<string, unknown>>;
    (bad.limits as Record<string, unknown>).maxJobsPerSubmission = -1;
    (bad.pilot as Record<string, unknown>).pollSeconds = 'soon';
    const local = await muon(['config', 'push', write('bad.yaml', bad)], runtime.tokens.admin);
    expect(local.code).not.toBe(0);
    expect(local.stderr).toContain('2 error(s); nothing was pushed');
    expect(local.stderr).toContain('limits.maxJobsPerSubmission');
    expect(local.stderr).toContain('pilot.pollSeconds');
    // The API checks too, whoever sends the document.
    const response = await runtime.api('/api/config', { method: 'PUT', as: 'admin', json: bad });
    expect(response.status).toBe(422);
    const detail = JSON.stringify(await response.json());
    expect(detail).toContain('limits.maxJobsPerSubmission');
    expect(detail).toContain('pilot.pollSeconds');
    expect((await muon(['config', 'show', '--json'])).stdout).toBe(before);
  }, 30_000);

  it('lets only a CSAdministrator push', async () => {
    const response = await runtime.api('/api/config', { method: 'PUT', as: 'user', json: testConfig() });
    expect(response.status).toBe(403);
    expect(JSON.stringify(await response.json())).toContain('CSAdministrator');
  }, 30_000);

  it('gives a pilot the live configuration at start', async () => {
    const file = await downloadLiveConfig({ apiUrl: runtime.apiUrl, token: runtime.tokens.pilot });
    expect(JSON.parse(readFileSync(file, 'utf8')).limits.maxJobsPerSubmission).toBe(7);
  }, 30_000);
});
