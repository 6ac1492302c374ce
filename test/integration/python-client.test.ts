/**
 * The Python client (clients/python/) against the embedded runtime and a real pilot: its unittest
 * suite, run by Debian's /usr/bin/python3, submits JDL and CWL jobs that really run, searches,
 * summarises, kills and downloads outputs. The suite must run every test (none skipped), and
 * the answers it relies on must fit the schemas the OpenAPI document publishes.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { credentialsFile, writeLogin } from '#cli/credentials.ts';
import { writeLocalFile } from '#local/home.ts';
import {
  insertedJobsSchema,
  jobViewSchema,
  searchAnswerSchema,
  summaryAnswerSchema,
} from '#shared/jobs/answers.ts';
import { payloadScratch } from '#test/integration/support/jobs.ts';
import { loginWithDevice } from '#test/integration/support/muon-cli.ts';
import { quickPilotConfig, type TestRuntime } from '#test/integration/support/runtime.ts';
import { type RuntimeWithPilot, startRuntimeWithPilot } from '#test/integration/support/runtime-pilot.ts';

// Debian's python3 in npm test; MUON_TEST_PYTHON runs the same suite with another one (3.9, the oldest supported).
const python = process.env.MUON_TEST_PYTHON ?? '/usr/bin/python3';
const scratch = payloadScratch('muon-python-client-');
let runtime: TestRuntime;
let setup: RuntimeWithPilot | undefined;

beforeAll(async () => {
  setup = await startRuntimeWithPilot(quickPilotConfig(2), { cores: 2, scratch });
  runtime = setup.runtime;
}, 60_000);

afterAll(async () => {
  await setup?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

/** Runs Debian's python3 in clients/python with `env` on top of a muon-free environment. */
function python3(args: string[], env: Record<string, string>): Promise<{ code: number; output: string }> {
  // Nothing of the developer's own muon setup may leak in: the client finds the API by `env` alone.
  const {
    MUON_HOME: _home,
    MUON_TOKEN_FILE: _file,
    MUON_TOKEN: _token,
    MUON_API_URL: _url,
    ...rest
  } = process.env;
  return new Promise((done) => {
    execFile(
      python,
      args,
      {
        cwd: 'clients/python',
        timeout: 400_000,
        env: { ...rest, MUON_HOME: join(scratch, 'no-home'), PYTHONDONTWRITEBYTECODE: '1', ...env },
      },
      (error, stdout, stderr) =>
        done({
          code: error ? (typeof error.code === 'number' ? error.code : 1) : 0,
          output: stdout + stderr,
        }),
    );
  });
}

describe('The Python client (clients/python) with Debian python3', () => {
  it('passes its whole suite against the running WMS, skipping nothing', async () => {
    const { code, output } = await python3(['-m', 'unittest', 'discover', '-v', '-s', 'tests', '-t', '.'], {
      MUON_API_URL: runtime.apiUrl,
      MUON_TOKEN: runtime.tokens.user,
      MUON_CLIENT_API_TESTS: '1',
    });
    expect(code, output).toBe(0);
    expect(output).toMatch(/^OK$/m);
    expect(output).not.toMatch(/skipped/);
    const ran = Number(/Ran (\d+) tests?/.exec(output)?.[1]);
    expect(ran, output).toBeGreaterThanOrEqual(18);
  }, 420_000);

  it('logs in with the token `muon login` cached for the API', async () => {
    const credentials = join(scratch, 'credentials');
    writeLogin(
      {
        apiUrl: runtime.apiUrl,
        issuer: 'https://issuer.invalid',
        clientId: 'muon-cli',
        accessToken: runtime.tokens.user,
        expiresAt: Date.now() + 600_000,
      },
      { MUON_CREDENTIALS_DIR: credentials },
    );
    const { code, output } = await python3(['-m', 'muon_client', 'whoami'], {
      MUON_API_URL: runtime.apiUrl,
      MUON_CREDENTIALS_DIR: credentials,
    });
    expect(code, output).toBe(0);
    expect(JSON.parse(output)).toMatchObject({ vo: 'vo.example.org', dirac_properties: ['NormalUser'] });
  });

  it('refreshes a `muon login` token near its end at the identity provider, and keeps the new one', async () => {
    const home = join(scratch, 'login-home');
    const credentials = join(scratch, 'login-credentials');
    mkdirSync(home, { recursive: true, mode: 0o700 });
    writeLocalFile(home, { apiUrl: runtime.apiUrl, tokens: runtime.tokens });
    const { MUON_TOKEN: _token, MUON_API_URL: _url, ...rest } = process.env;
    const env = { ...rest, MUON_HOME: home, MUON_CREDENTIALS_DIR: credentials, NO_COLOR: '1' };
    // `muon login` through the device flow at the embedded OpenID provider, approved as alice.
    const { code, stderr } = await loginWithDevice('alice', [], env);
    expect(code, stderr).toBe(0);
    const file = credentialsFile(runtime.apiUrl, { MUON_CREDENTIALS_DIR: credentials });
    const cached = JSON.parse(readFileSync(file, 'utf8')) as { accessToken: string; refreshToken?: string };
    expect(cached.refreshToken).toBeTruthy();
    writeFileSync(file, JSON.stringify({ ...cached, expiresAt: Date.now() - 1000 }), { mode: 0o600 });
    const { code: pyCode, output } = await python3(['-m', 'muon_client', 'whoami'], {
      MUON_API_URL: runtime.apiUrl,
      MUON_CREDENTIALS_DIR: credentials,
    });
    expect(pyCode, output).toBe(0);
    expect(JSON.parse(output)).toMatchObject({ vo: 'vo.example.org', preferred_username: 'alice' });
    const refreshed = JSON.parse(readFileSync(file, 'utf8')) as { accessToken: string; expiresAt: number };
    expect(refreshed.accessToken).not.toBe(cached.accessToken);
    expect(refreshed.expiresAt).toBeGreaterThan(Date.now());
  }, 60_000);

  it('reads answers that fit the OpenAPI document’s schemas', async () => {
    const submitted = await runtime.api('/api/jobs/jdl', { method: 'POST', json: ['Executable = "true";'] });
    const [job] = insertedJobsSchema.parse(await submitted.json());
    jobViewSchema.parse(await (await runtime.api(`/api/jobs/${job?.JobID}`)).json());
    const search = await runtime.api('/api/jobs/search', {
      method: 'POST',
      json: { parameters: ['JobID', 'LoggingInfo'] },
    });
    searchAnswerSchema.parse(await search.json());
    const summary = await runtime.api('/api/jobs/summary', {
      method: 'POST',
      json: { grouping: ['Status'] },
    });
    summaryAnswerSchema.parse(await summary.json());
  });
});
