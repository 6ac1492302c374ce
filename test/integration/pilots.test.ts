/**
 * Pilots over HTTP on the embedded runtime: registration and the pilot credential, which binds a
 * pilot token to one registered pilot so that it reports only on its own jobs; pilot status, info
 * and logs, readable by administrators, the pilot itself and the owners of the jobs it ran.
 */
import { createHash } from 'node:crypto';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pilotKey } from '#shared/pilots/records.ts';
import { hasStatus, jobIdsOf, submitJdl, waitForJob } from '#test/integration/support/jobs.ts';
import {
  asPilot,
  type RegisteredPilot,
  registerPilot,
  reportRunning,
} from '#test/integration/support/pilots.ts';
import { bodyOf, startTestRuntime, type TestRuntime } from '#test/integration/support/runtime.ts';

const vo = 'vo.example.org';
const site = 'LOCAL.localhost.local';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const credentialMessage = /register with POST \/api\/pilots and send X-Muon-Pilot and X-Muon-Pilot-Secret/;

describe('Pilots', () => {
  let runtime: TestRuntime;
  let bobToken: string;
  const asBob = () => ({ as: 'none' as const, headers: { authorization: `Bearer ${bobToken}` } });
  const register = (json: Record<string, unknown>, as: 'pilot' | 'user' | 'admin' = 'pilot') =>
    runtime.api('/api/pilots', { method: 'POST', as, json: { Site: site, GridCE: 'localhost', ...json } });
  const storedPilot = async (reference: string) =>
    (
      await runtime.aws.dynamo.send(
        new GetCommand({ TableName: runtime.resources.tables.pilots, Key: pilotKey(reference) }),
      )
    ).Item;
  const info = (reference: string, init: Parameters<TestRuntime['api']>[1] = { as: 'admin' }) =>
    runtime.api(`/api/pilots/info?reference=${encodeURIComponent(reference)}`, init);
  /** A job of alice's that the matcher has handed to `pilot`. */
  const jobOf = async (pilot: RegisteredPilot) => {
    const [jobId] = await jobIdsOf(await submitJdl(runtime, ['Executable = "echo"; JobName = "p";']));
    await waitForJob(runtime, jobId as number, hasStatus('Waiting'));
    const answer = await runtime.api('/api/matcher/request', {
      method: 'POST',
      ...asPilot(pilot),
      json: { Site: site, CPUTime: 1_000_000, JobID: jobId },
    });
    expect(await bodyOf(answer)).toMatchObject({ match: true, job: { PilotReference: pilot.reference } });
    return jobId as number;
  };
  const beat = (jobId: number, init: Parameters<TestRuntime['api']>[1]) =>
    runtime.api('/api/jobs/heartbeat', { method: 'PATCH', json: { [jobId]: { CPUConsumed: 1 } }, ...init });
  const start = (pilot: RegisteredPilot, jobIds: readonly number[]) => reportRunning(runtime, pilot, jobIds);
  const setStatus = (json: Record<string, unknown>, init: Parameters<TestRuntime['api']>[1]) =>
    runtime.api('/api/pilots/metadata', { method: 'PATCH', json, ...init });

  beforeAll(async () => {
    runtime = await startTestRuntime();
    bobToken = await runtime.authority.sign({
      vo,
      username: 'bob',
      group: 'user',
      properties: ['NormalUser'],
    });
  });
  afterAll(() => runtime?.stop());

  describe('registration', () => {
    it('registers a pilot at a declared computing element and hands it its credential once', async () => {
      const response = await register({
        PilotReference: 'local://host/1234',
        BatchJobID: '1234',
        Resources: { Cores: 2, MemoryMB: 4096 },
        Version: '0.1.0',
      });
      expect(response.status).toBe(201);
      const body = await bodyOf(response);
      expect(body).toEqual({
        PilotReference: 'local://host/1234',
        PilotStamp: expect.stringMatching(/^[0-9a-f]{32}$/),
        Secret: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
      const stored = await storedPilot('local://host/1234');
      expect(stored).toMatchObject({
        vo,
        site,
        gridCE: 'localhost',
        ceType: 'Local',
        batchJobId: '1234',
        status: 'Running',
        statusKey: `${vo}#Running`,
        secretHash: sha256(body.Secret as string),
        resources: { cores: 2, memoryMb: 4096 },
        version: '0.1.0',
      });
      const shown = await bodyOf(await info('local://host/1234'));
      expect(shown).toMatchObject({ pilotReference: 'local://host/1234', status: 'Running', jobIds: [] });
      expect(shown).not.toHaveProperty('secretHash');
    });

    it('makes up a reference when the pilot has none', async () => {
      const body = await bodyOf(await register({}));
      expect(body.PilotReference).toMatch(/^pilot-[0-9a-f-]{36}$/);
    });

    it('refuses an undeclared site or computing element with 400 naming what to fix', async () => {
      const nowhere = await register({ Site: 'LCG.Nowhere.org' });
      expect(nowhere.status).toBe(400);
      expect((await bodyOf(nowhere)).detail).toMatch(
        /Site "LCG.Nowhere.org" is not declared.*LOCAL.localhost.local/,
      );
      const noCE = await register({ GridCE: 'ce.elsewhere.org' });
      expect(noCE.status).toBe(400);
      expect((await bodyOf(noCE)).detail).toMatch(/computing elements: localhost/);
    });

    it('refuses a reference registered already with 409, unless a site director only submitted it', async () => {
      expect((await register({ PilotReference: 'twice' })).status).toBe(201);
      const again = await register({ PilotReference: 'twice' });
      expect(again.status).toBe(409);

      const submittedAt = new Date(Date.now() - 60_000).toISOString();
      await runtime.aws.dynamo.send(
        new PutCommand({
          TableName: runtime.resources.tables.pilots,
          Item: {
            ...pilotKey('submitted-1'),
            pilotReference: 'submitted-1',
            vo,
            site,
            gridCE: 'localhost',
            status: 'Submitted',
            statusKey: `${vo}#Submitted`,
            submittedAt,
            updatedAt: submittedAt,
          },
        }),
      );
      expect((await register({ PilotReference: 'submitted-1' })).status).toBe(201);
      expect(await storedPilot('submitted-1')).toMatchObject({ status: 'Running', submittedAt });
      expect((await register({ PilotReference: 'submitted-1' })).status).toBe(409);
    });

    it('lets only pilots register', async () => {
      expect((await register({}, 'user')).status).toBe(403);
      expect((await register({}, 'admin')).status).toBe(403);
    });
  });

  describe('the pilot credential', () => {
    it('refuses a pilot call without the credential, with a wrong secret, or from an unknown pilot', async () => {
      const pilot = await registerPilot(runtime);
      const jobId = await jobOf(pilot);
      const bare = await beat(jobId, { as: 'pilot' });
      expect(bare.status).toBe(403);
      expect((await bodyOf(bare)).detail).toMatch(credentialMessage);
      const wrong = { ...pilot.headers, 'x-muon-pilot-secret': 'f'.repeat(64) };
      expect((await beat(jobId, { as: 'pilot', headers: wrong })).status).toBe(403);
      const unknown = { ...pilot.headers, 'x-muon-pilot': 'never-registered' };
      const refused = await beat(jobId, { as: 'pilot', headers: unknown });
      expect(refused.status).toBe(403);
      expect((await bodyOf(refused)).detail).toMatch(credentialMessage);
      expect((await beat(jobId, asPilot(pilot))).status).toBe(200);
    });

    it('refuses an ended pilot', async () => {
      const pilot = await registerPilot(runtime);
      const jobId = await jobOf(pilot);
      // The job manager has not seen this pilot yet, so no cached record hides its end.
      expect(
        (await setStatus({ PilotReference: pilot.reference, Status: 'Done' }, asPilot(pilot))).status,
      ).toBe(204);
      const response = await beat(jobId, asPilot(pilot));
      expect(response.status).toBe(403);
      expect((await bodyOf(response)).detail).toMatch(/is Done/);
      expect((await info(pilot.reference, asPilot(pilot))).status).toBe(403);
    });

    it("lets a pilot report on the jobs it was handed, and not on another pilot's", async () => {
      const [mine, other] = [await registerPilot(runtime), await registerPilot(runtime)];
      const jobId = await jobOf(mine);
      const running = {
        [jobId]: { [new Date().toISOString()]: { Status: 'Running', Source: 'JobWrapper' } },
      };
      const report = (pilot: RegisteredPilot) =>
        runtime.api('/api/jobs/status', { method: 'PATCH', json: running, ...asPilot(pilot) });
      const reschedule = (pilot: RegisteredPilot) =>
        runtime.api('/api/jobs/reschedule', {
          method: 'POST',
          json: { job_ids: [jobId] },
          ...asPilot(pilot),
        });

      expect((await report(other)).status).toBe(403);
      expect((await beat(jobId, asPilot(other))).status).toBe(403);
      expect((await reschedule(other)).status).toBe(403);
      expect((await report(mine)).status).toBe(200);
      expect((await beat(jobId, asPilot(mine))).status).toBe(200);
    });
  });

  describe('matching', () => {
    it("refuses a request under another pilot's reference, and records each job and owner a pilot starts", async () => {
      const pilot = await registerPilot(runtime);
      const foreign = await runtime.api('/api/matcher/request', {
        method: 'POST',
        ...asPilot(pilot),
        json: { Site: site, CPUTime: 1_000_000, PilotReference: 'someone-else' },
      });
      expect(foreign.status).toBe(403);
      expect((await bodyOf(foreign)).detail).toMatch(/PilotReference someone-else is not the pilot/);

      const first = await jobOf(pilot);
      const second = await jobOf(pilot);
      const third = await jobOf(pilot);
      // The match writes the job alone; the pilot's first report on a job adds it to the record.
      expect(await bodyOf(await info(pilot.reference))).toMatchObject({ jobIds: [], owners: [] });
      await start(pilot, [first, second]);
      expect((await beat(third, asPilot(pilot))).status).toBe(200);
      const shown = await bodyOf(await info(pilot.reference));
      expect(shown).toMatchObject({ jobIds: [first, second, third], owners: [`${vo}/alice`] });
      expect((shown.lastSeenAt as string) >= (shown.registeredAt as string)).toBe(true);
      // A later report on a started job adds nothing.
      await start(pilot, [first]);
      expect((await bodyOf(await info(pilot.reference))).jobIds).toEqual([first, second, third]);
    });
  });

  describe('status and info', () => {
    it("lets a pilot set its own status, an administrator any pilot's, and no one else", async () => {
      const [pilot, other] = [await registerPilot(runtime), await registerPilot(runtime)];
      const waiting = { PilotReference: pilot.reference, Status: 'Waiting', StatusReason: 'no work yet' };
      expect((await setStatus(waiting, asPilot(pilot))).status).toBe(204);
      expect(await storedPilot(pilot.reference)).toMatchObject({
        status: 'Waiting',
        statusReason: 'no work yet',
        statusKey: `${vo}#Waiting`,
      });
      expect((await setStatus({ ...waiting, PilotReference: other.reference }, asPilot(pilot))).status).toBe(
        403,
      );
      expect((await setStatus({ ...waiting, Status: 'Aborted' }, { as: 'user' })).status).toBe(403);
      const aborted = { PilotReference: other.reference, Status: 'Aborted', StatusReason: 'by hand' };
      expect((await setStatus(aborted, { as: 'admin' })).status).toBe(204);
      expect((await bodyOf(await info(other.reference))).status).toBe('Aborted');
      expect((await setStatus({ ...aborted, PilotReference: 'nobody' }, { as: 'admin' })).status).toBe(404);
      expect((await setStatus({ ...waiting, Status: 'Lost' }, asPilot(pilot))).status).toBe(422);
    });

    it('shows a pilot to administrators, to itself and to the owners of its jobs only', async () => {
      const [pilot, other] = [await registerPilot(runtime), await registerPilot(runtime)];
      expect((await info(pilot.reference, asPilot(pilot))).status).toBe(200);
      expect((await info(pilot.reference, { as: 'user' })).status).toBe(403);
      await start(pilot, [await jobOf(pilot)]);
      expect((await info(pilot.reference, { as: 'user' })).status).toBe(200);
      expect((await info(pilot.reference, asBob())).status).toBe(403);
      expect((await info(pilot.reference, asPilot(other))).status).toBe(403);
      expect((await info('nobody')).status).toBe(404);
    });
  });

  describe('logs', () => {
    const uploadUrl = (pilot: RegisteredPilot, json: Record<string, unknown>) =>
      runtime.api('/api/pilots/logs', { method: 'POST', json, ...asPilot(pilot) });
    const logUrl = (reference: string, init: Parameters<TestRuntime['api']>[1] = { as: 'admin' }) =>
      runtime.api(`/api/pilots/logs?reference=${encodeURIComponent(reference)}`, init);

    it('takes a pilot log through a presigned PUT, overwritten whole, and reads it back through a presigned GET', async () => {
      const pilot = await registerPilot(runtime);
      expect((await logUrl(pilot.reference)).status).toBe(404);
      for (const text of ['pilot started\n', 'pilot started\npilot ended\n']) {
        const content = Buffer.from(text);
        const response = await uploadUrl(pilot, { PilotReference: pilot.reference, Size: content.length });
        expect(response.status).toBe(200);
        const target = (await response.json()) as {
          url: string;
          method: string;
          headers: Record<string, string>;
        };
        expect(target.method).toBe('PUT');
        const put = await fetch(target.url, { method: 'PUT', headers: target.headers, body: content });
        expect(put.status).toBe(200);
      }
      const stored = await storedPilot(pilot.reference);
      expect(stored?.logKey).toBe(`pilot-logs/${vo}/${sha256(pilot.reference)}.log`);

      const answer = await bodyOf(await logUrl(pilot.reference));
      expect(answer.expires_in).toEqual(expect.any(Number));
      const log = await fetch(answer.url as string);
      expect(await log.text()).toBe('pilot started\npilot ended\n');
    });

    it('refuses a log larger than 50 MiB and a log upload for another pilot', async () => {
      const [pilot, other] = [await registerPilot(runtime), await registerPilot(runtime)];
      const big = await uploadUrl(pilot, { PilotReference: pilot.reference, Size: 50 * 1024 * 1024 + 1 });
      expect(big.status).toBe(400);
      expect((await bodyOf(big)).detail).toMatch(/at most 52428800 bytes/);
      expect((await uploadUrl(pilot, { PilotReference: other.reference, Size: 10 })).status).toBe(403);
    });

    it('lets administrators, the pilot and the owners of its jobs read the log, and no one else', async () => {
      const pilot = await registerPilot(runtime);
      await start(pilot, [await jobOf(pilot)]);
      const target = (await (
        await uploadUrl(pilot, { PilotReference: pilot.reference, Size: 3 })
      ).json()) as { url: string; headers: Record<string, string> };
      await fetch(target.url, { method: 'PUT', headers: target.headers, body: 'log' });

      expect((await logUrl(pilot.reference)).status).toBe(200);
      expect((await logUrl(pilot.reference, asPilot(pilot))).status).toBe(200);
      expect((await logUrl(pilot.reference, { as: 'user' })).status).toBe(200);
      expect((await logUrl(pilot.reference, asBob())).status).toBe(403);
      expect((await logUrl('nobody')).status).toBe(404);
    });
  });
});
