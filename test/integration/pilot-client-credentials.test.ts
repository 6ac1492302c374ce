/**
 * A pilot that authenticates with OAuth2 client credentials runs a job to the end on the embedded
 * runtime although each of its tokens expires within three seconds: the API refuses the expired
 * token (401) and the pilot gets a new one from the identity provider and goes on.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devIdentities } from '#local/dev-auth.ts';
import { type RunningPilot, startPilot } from '#pilot/pilot.ts';
import { hasStatus, jobIdsOf, submitJdl, waitForJob } from '#test/integration/support/jobs.ts';
import { quickPilotConfig, startTestRuntime, type TestRuntime } from '#test/integration/support/runtime.ts';

const scratch = mkdtempSync(join(tmpdir(), 'muon-pilot-client-'));
const settings = quickPilotConfig(2);
const client = { id: 'muon-pilots', secret: 'pilot-client-secret' };

let runtime: TestRuntime;
let idp: Server;
let tokenUrl: string;
const asked: string[] = [];

beforeAll(async () => {
  runtime = await startTestRuntime({ config: settings, scheduleEveryMs: 500 });
  const pilotIdentity = devIdentities(settings).pilot;
  idp = createServer((request, response) => {
    request.resume();
    request.on('end', async () => {
      const basic = Buffer.from((request.headers.authorization ?? '').replace(/^Basic /, ''), 'base64');
      // RFC 6749 section 2.3.1: each part is form-encoded, as a real identity provider decodes it.
      const [id, secret] = basic
        .toString()
        .split(':')
        .map((part) => decodeURIComponent(part.replaceAll('+', ' ')));
      asked.push(`${id}:${secret}`);
      if (id !== client.id || secret !== client.secret) {
        response.writeHead(401, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: 'invalid_client' }));
        return;
      }
      // The token lives 2 to 3 s (exp is in whole seconds) but the answer claims an hour: only the
      // API's 401 makes the pilot renew it.
      const token = await runtime.authority.sign(pilotIdentity, 3);
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ access_token: token, token_type: 'Bearer', expires_in: 3600 }));
    });
  });
  await new Promise<void>((done) => idp.listen(0, '127.0.0.1', done));
  tokenUrl = `http://127.0.0.1:${(idp.address() as AddressInfo).port}/token`;
}, 60_000);

afterAll(async () => {
  await runtime?.stop();
  await new Promise((done) => idp?.close(done));
  rmSync(scratch, { recursive: true, force: true });
});

const pilotWith = (clientSecret: string, name: string): RunningPilot =>
  startPilot({
    config: settings,
    configDir: resolve('config'),
    apiUrl: runtime.apiUrl,
    token: { clientId: client.id, clientSecret, tokenUrl },
    resources: { cores: 1 },
    workDir: join(scratch, name),
    idleStopSeconds: 3600,
  });

describe('a pilot with client credentials', () => {
  it('renews its expired tokens and runs a job longer than one of them to Done', async () => {
    const pilot = pilotWith(client.secret, 'good');
    try {
      const reference = await pilot.reference;
      const [jobId] = await jobIdsOf(
        await submitJdl(runtime, ['[ Executable = "/bin/sleep"; Arguments = "5"; CPUTime = 1000; ]']),
      );
      if (jobId === undefined) throw new Error('no job');
      const job = await waitForJob(runtime, jobId, hasStatus('Done', 'Failed'), 60_000);
      expect(job.Status, JSON.stringify(job)).toBe('Done');
      const info = await runtime.api(`/api/pilots/info?reference=${encodeURIComponent(reference)}`, {
        as: 'admin',
      });
      expect(((await info.json()) as { jobIds?: number[] }).jobIds).toContain(jobId);
      // One token at registration and at least one after: a 5 s job outlives 3 s tokens. How many
      // more depends on how the pilot's calls fall against the expiries (two on a loaded machine).
      expect(asked.length).toBeGreaterThanOrEqual(2);
    } finally {
      await pilot.stop({ force: true });
    }
  }, 90_000);

  it('fails at registration, saying so, when the identity provider refuses the client', async () => {
    const pilot = pilotWith('wrong', 'refused');
    await expect(pilot.reference).rejects.toThrow(/refused the pilot's client credentials .*invalid_client/);
    await expect(pilot.done).rejects.toThrow();
  }, 30_000);
});
