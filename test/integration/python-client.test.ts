/**
 * The Python client (clients/python/) against the embedded runtime and a real pilot: its unittest
 * suite, run by Debian's /usr/bin/python3, submits JDL and CWL jobs that really run, searches,
 * summarises, kills and downloads outputs. The suite must run every test (none skipped), and
 * the answers it relies on must fit the schemas the OpenAPI document publishes.
 */
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeLogin } from '#cli/credentials.ts';
import { type RunningPilot, startPilot } from '#pilot/pilot.ts';
import {
  insertedJobsSchema,
  jobViewSchema,
  searchAnswerSchema,
  summaryAnswerSchema,
} from '#shared/jobs/answers.ts';
import { payloadScratch } from '#test/integration/support/jobs.ts';
import { quickPilotConfig, startTestRuntime, type TestRuntime } from '#test/integration/support/runtime.ts';

const python = '/usr/bin/python3';
const scratch = payloadScratch('muon-python-client-');
let runtime: TestRuntime;
let pilot: RunningPilot;

beforeAll(async () => {
  const settings = quickPilotConfig(2);
  runtime = await startTestRuntime({ config: settings, scheduleEveryMs: 500 });
  pilot = startPilot({
    config: settings,
    configDir: resolve('config'),
    apiUrl: runtime.apiUrl,
    token: runtime.tokens.pilot,
    resources: { cores: 2 },
    workDir: join(scratch, 'pilot'),
    idleStopSeconds: 3600,
  });
  await pilot.reference;
}, 60_000);

afterAll(async () => {
  await pilot?.stop({ force: true });
  await runtime?.stop();
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
