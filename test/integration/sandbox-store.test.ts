import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiClient, resolveClient } from '#cli/client.ts';
import { downloadSandbox, type PackedSandbox, packSandbox, uploadSandbox } from '#cli/sandbox.ts';
import type { Identity } from '#shared/auth/identity.ts';
import type { SandboxPort } from '#shared/executors/job-sanity.ts';
import { jobDescriptionSchema } from '#shared/jobs/model.ts';
import { newJobRecord } from '#shared/jobs/submission/submit.ts';
import { createSandboxPort } from '#shared/sandboxes/port.ts';
import { sandboxReferenceRegex } from '#shared/sandboxes/reference.ts';
import { bearer, type HeldJob } from '#test/integration/support/identities.ts';
import { insertFixtureJobs } from '#test/integration/support/job-items.ts';
import { asPilot, type RegisteredPilot, registerPilot } from '#test/integration/support/pilots.ts';
import { bodyOf, startTestRuntime, type TestRuntime } from '#test/integration/support/runtime.ts';

const vo = 'vo.example.org';
const alice: Identity = {
  vo,
  sub: `${vo}:alice`,
  username: 'alice',
  group: 'user',
  properties: ['NormalUser'],
};
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('Sandbox store', () => {
  let runtime: TestRuntime;
  let files: string;
  let user: ApiClient;
  let bobToken: string;
  let port: SandboxPort;
  let packed: PackedSandbox;
  let pfn: string;
  const client = (token: string) =>
    resolveClient({ apiUrl: runtime.apiUrl, token }, { MUON_HOME: runtime.home });
  const register = (checksum: string, size: number, as: 'user' | 'admin' | 'pilot' = 'user') =>
    runtime.api('/api/jobs/sandbox', {
      method: 'POST',
      as,
      json: { checksum_algorithm: 'sha256', checksum, size, format: 'tar.gz' },
    });
  const download = (reference: string, init: Parameters<TestRuntime['api']>[1] = {}) =>
    runtime.api(`/api/jobs/sandbox?pfn=${encodeURIComponent(reference)}`, init);
  /** A sandbox of one file with these contents, uploaded by alice. */
  const uploadText = async (name: string, text: string) => {
    writeFileSync(join(files, name), text);
    const sandbox = await packSandbox([name], files);
    return { sandbox, pfn: await uploadSandbox(user, sandbox.buffer, sandbox.checksum, sandbox.size) };
  };

  beforeAll(async () => {
    runtime = await startTestRuntime();
    files = mkdtempSync(join(tmpdir(), 'muon-sandbox-files-'));
    writeFileSync(join(files, 'run.sh'), '#!/bin/sh\necho hello\n');
    mkdirSync(join(files, 'inputs'));
    writeFileSync(
      join(files, 'inputs', 'numbers.bin'),
      Buffer.from(Array.from({ length: 4096 }, (_, i) => i % 251)),
    );
    user = client(runtime.tokens.user);
    bobToken = await runtime.authority.sign({
      vo,
      username: 'bob',
      group: 'user',
      properties: ['NormalUser'],
    });
    port = createSandboxPort(runtime.deps);
    packed = await packSandbox(['run.sh', 'inputs'], files);
    pfn = await uploadSandbox(user, packed.buffer, packed.checksum, packed.size);
  });
  afterAll(async () => {
    await runtime?.stop();
    if (files) rmSync(files, { recursive: true, force: true });
  });

  it("names an upload by its owner and content, in DiracX's reference format", () => {
    expect(pfn).toMatch(sandboxReferenceRegex);
    expect(pfn).toBe(
      `SB:SandboxSE|/S3/${runtime.resources.bucket}/sandboxes/${vo}/user/alice/sha256:${packed.checksum}.tar.gz`,
    );
  });

  it('downloads through a presigned URL the same bytes that were uploaded', async () => {
    const response = await download(pfn);
    expect(response.status).toBe(200);
    const body = await bodyOf(response);
    expect(body.expires_in).toBe(300);
    const object = await fetch(body.url as string);
    expect(object.status).toBe(200);
    expect(Buffer.from(await object.arrayBuffer()).equals(packed.buffer)).toBe(true);
  });

  it('unpacks a downloaded sandbox into the files that were packed', async () => {
    const destination = join(files, 'unpacked');
    const paths = await downloadSandbox(user, pfn, destination);
    expect(paths).toEqual(expect.arrayContaining(['run.sh', 'inputs/', 'inputs/numbers.bin']));
    for (const path of ['run.sh', 'inputs/numbers.bin']) {
      expect(sha256(readFileSync(join(destination, path)))).toBe(sha256(readFileSync(join(files, path))));
    }
  });

  it('hands out a PUT signed for exactly the announced length and sha256', async () => {
    const content = Buffer.from('not uploaded yet');
    const response = await register(sha256(content), content.length);
    expect(response.status).toBe(200);
    const body = await bodyOf(response);
    expect(body).toMatchObject({ method: 'PUT', fields: {} });
    expect(body.headers).toEqual({
      'content-length': String(content.length),
      'x-amz-checksum-sha256': createHash('sha256').update(content).digest('base64'),
    });
    const url = new URL(body.url as string);
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('content-length;host;x-amz-checksum-sha256');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('300');
  });

  it('does not ask the same owner to upload the same content twice', async () => {
    const response = await register(packed.checksum, packed.size);
    expect(response.status).toBe(200);
    expect(await bodyOf(response)).toEqual({ pfn });
    expect(await uploadSandbox(user, packed.buffer, packed.checksum, packed.size)).toBe(pfn);
  });

  it('gives another owner of the same content a sandbox of their own', async () => {
    const body = await bodyOf(await register(packed.checksum, packed.size, 'admin'));
    expect(body.url).toEqual(expect.any(String));
    expect(body.pfn).toContain('/admin/admin/sha256:');
  });

  it('refuses a sandbox over the size limit with 400 and points to storage elements', async () => {
    const response = await register('0'.repeat(64), runtime.deps.config.limits.maxSandboxBytes + 1);
    expect(response.status).toBe(400);
    expect((await bodyOf(response)).detail).toMatch(/too big.*storage element/);
  });

  it('refuses a malformed checksum, another algorithm or an empty sandbox with 422', async () => {
    for (const json of [
      { checksum_algorithm: 'sha256', checksum: 'abc', size: 10, format: 'tar.gz' },
      { checksum_algorithm: 'md5', checksum: '0'.repeat(64), size: 10, format: 'tar.gz' },
      { checksum_algorithm: 'sha256', checksum: '0'.repeat(64), size: 0, format: 'tar.gz' },
      { checksum_algorithm: 'sha256', checksum: '0'.repeat(64), size: 10, format: 'zip' },
    ]) {
      const response = await runtime.api('/api/jobs/sandbox', { method: 'POST', json });
      expect(response.status, JSON.stringify(json)).toBe(422);
    }
  });

  it('lets only normal users upload', async () => {
    const response = await register('1'.repeat(64), 10, 'pilot');
    expect(response.status).toBe(403);
    expect((await bodyOf(response)).detail).toMatch('A pilot token may not call POST /api/jobs/sandbox');
  });

  it("refuses another user's sandbox with 403", async () => {
    const response = await download(pfn, { as: 'none', headers: { authorization: `Bearer ${bobToken}` } });
    expect(response.status).toBe(403);
    expect((await bodyOf(response)).detail).toMatch(/belongs to alice/);
  });

  // A job wrapper downloads its job's sandboxes with the job's payload token ('assigned to a job').
  it("lets an administrator of the VO download it, and not a pilot's own credential", async () => {
    expect((await download(pfn, { as: 'admin' })).status).toBe(200);
    const pilot = await registerPilot(runtime);
    for (const init of [asPilot(pilot), { as: 'pilot' as const }]) {
      const response = await download(pfn, init);
      expect(response.status).toBe(403);
      expect((await bodyOf(response)).detail).toMatch('A pilot token may not call GET /api/jobs/sandbox');
    }
  });

  it('answers a malformed reference with 400 and an unknown one with 404', async () => {
    const malformed = await download('SB:SandboxSE|/S3/bucket/../../etc/passwd');
    expect(malformed.status).toBe(400);
    expect((await bodyOf(malformed)).detail).toMatch(/not a sandbox reference/);
    expect((await download(pfn.replace(packed.checksum, 'f'.repeat(64)))).status).toBe(404);
    expect(
      (await download(pfn.replace(`/S3/${runtime.resources.bucket}/`, '/S3/other-bucket/'))).status,
    ).toBe(404);
    expect((await runtime.api('/api/jobs/sandbox')).status).toBe(422);
  });

  it('answers a registered but never uploaded sandbox with 404', async () => {
    const content = Buffer.from('registered only');
    const body = await bodyOf(await register(sha256(content), content.length));
    expect((await download(body.pfn as string)).status).toBe(404);
  });

  it('tells JobSanity a sandbox is uploaded only once its bytes are in the bucket', async () => {
    const content = Buffer.from('uploaded later');
    const body = await bodyOf(await register(sha256(content), content.length));
    const reference = body.pfn as string;
    expect(await port.lookup(reference)).toEqual({
      vo,
      owner: 'alice',
      size: content.length,
      uploaded: false,
    });

    const put = await fetch(body.url as string, {
      method: 'PUT',
      headers: body.headers as Record<string, string>,
      body: content,
    });
    expect(put.status).toBe(200);
    expect(await port.lookup(reference)).toEqual({
      vo,
      owner: 'alice',
      size: content.length,
      uploaded: true,
    });
    expect(await port.lookup(reference.replace(sha256(content), 'e'.repeat(64)))).toBeUndefined();
    expect(await port.lookup('SB:SandboxSE|not-a-reference')).toBeUndefined();
  });

  describe('assigned to a job', () => {
    const jobId = 990_001;
    /** Another job of alice's, held by the same pilot, with no sandbox: only the job differs. */
    const otherJobId = 990_002;
    const unknownJobId = 990_009;
    let output: string;
    let pilot: RegisteredPilot;
    let job: HeldJob;
    let otherJob: HeldJob;

    /** The payload token of a job the matcher handed out without one, as the pilot gets it. */
    async function payloadTokenOf(id: number): Promise<HeldJob> {
      const response = await runtime.api(`/api/jobs/${id}/token`, { method: 'POST', ...asPilot(pilot) });
      const body = await bodyOf(response);
      expect(response.status, JSON.stringify(body)).toBe(200);
      return { jobId: id, payloadToken: body.PayloadToken as string };
    }

    beforeAll(async () => {
      const describeJob = (jobName: string, inputSandbox: string[]) =>
        jobDescriptionSchema.parse({
          kind: 'jdl',
          jobName,
          jobType: 'User',
          priority: 1,
          cpuTime: 100,
          inputSandbox,
        });
      pilot = await registerPilot(runtime);
      // As the matcher leaves them: handed to this pilot.
      const now = new Date().toISOString();
      const jobs = [
        { id: jobId, description: describeJob('with sandboxes', [pfn]) },
        { id: otherJobId, description: describeJob('without sandboxes', []) },
      ].map(({ id, description }) => ({
        ...newJobRecord(alice, id, description, now),
        pilotReference: pilot.reference,
      }));
      await insertFixtureJobs(runtime.aws.dynamo, runtime.resources.tables.jobs as string, jobs);
      job = await payloadTokenOf(jobId);
      otherJob = await payloadTokenOf(otherJobId);
      output = (await uploadText('stdout.txt', 'job output\n')).pfn;
    });

    /**
     * `'payload'` is the job wrapper, with the job's payload token; `'other-payload'`, another job's
     * payload token; `'pilot'` is the job's pilot, with its own credential; a RegisteredPilot, another
     * pilot with its credential.
     */
    type Caller = 'user' | 'admin' | 'payload' | 'other-payload' | 'pilot' | RegisteredPilot;
    const by = (as: Caller) => {
      if (typeof as !== 'string') return asPilot(as);
      switch (as) {
        case 'payload':
          return { as: 'none' as const, headers: bearer(job.payloadToken) };
        case 'other-payload':
          return { as: 'none' as const, headers: bearer(otherJob.payloadToken) };
        case 'pilot':
          return asPilot(pilot);
        default:
          return { as };
      }
    };
    const sandboxesOf = (id: number, as: Caller = 'user') => runtime.api(`/api/jobs/${id}/sandbox`, by(as));
    const assignOutput = (reference: string, as: Caller = 'payload', id = jobId) =>
      runtime.api(`/api/jobs/${id}/sandbox/output`, { method: 'PATCH', json: reference, ...by(as) });

    it('lists nothing before anything is assigned', async () => {
      expect(await bodyOf(await sandboxesOf(jobId))).toEqual({ Input: [], Output: [] });
    });

    it('lists input sandboxes JobSanity assigned and the output sandbox the job wrapper assigned', async () => {
      await port.assign(pfn, jobId, 'Input');
      await port.assign(pfn, jobId, 'Input');
      const patched = await assignOutput(output);
      expect(patched.status).toBe(200);
      expect(await patched.json()).toBeNull();
      expect((await assignOutput(output)).status).toBe(200);

      for (const as of ['user', 'admin', 'payload'] as const) {
        const response = await sandboxesOf(jobId, as);
        expect(response.status, as).toBe(200);
        expect(await bodyOf(response)).toEqual({ Input: [pfn], Output: [output] });
      }
    });

    it("lets a job's payload token download its job's sandboxes, and no other", async () => {
      for (const reference of [pfn, output]) {
        const response = await download(reference, by('payload'));
        expect(response.status, reference).toBe(200);
        const object = await fetch((await bodyOf(response)).url as string);
        expect(object.status).toBe(200);
      }
      // alice's own sandbox, readable by alice, but not assigned to the token's job.
      const unassigned = (await uploadText('elsewhere.txt', 'not for this job\n')).pfn;
      expect((await download(unassigned, { as: 'user' })).status).toBe(200);
      const notItsJob = await download(unassigned, by('payload'));
      expect(notItsJob.status).toBe(403);
      expect((await bodyOf(notItsJob)).detail).toMatch(`is not a sandbox of job ${jobId}`);
      // Another job's payload token: the same owner and pilot, but not this job's sandboxes.
      const otherJobs = await download(pfn, by('other-payload'));
      expect(otherJobs.status).toBe(403);
      expect((await bodyOf(otherJobs)).detail).toMatch(`is not a sandbox of job ${otherJobId}`);
    });

    it("refuses another user's view of the job's sandboxes with 403 and an unknown job with 404", async () => {
      const bob = await runtime.api(`/api/jobs/${jobId}/sandbox`, {
        as: 'none',
        headers: { authorization: `Bearer ${bobToken}` },
      });
      expect(bob.status).toBe(403);
      expect((await sandboxesOf(unknownJobId)).status).toBe(404);
      expect((await sandboxesOf(Number.NaN)).status).toBe(422);
    });

    it('refuses to assign a sandbox that was never uploaded, or a malformed reference, with 400', async () => {
      const content = Buffer.from('never uploaded output');
      const registered = await bodyOf(await register(sha256(content), content.length));
      const response = await assignOutput(registered.pfn as string);
      expect(response.status).toBe(400);
      expect((await bodyOf(response)).detail).toMatch(/Sandbox not found/);
      expect((await assignOutput('SB:nothing')).status).toBe(400);
      expect((await assignOutput(output, 'payload', unknownJobId)).status).toBe(404);
    });

    it("refuses the sandboxes of a job to another job's payload token", async () => {
      const list = await sandboxesOf(jobId, 'other-payload');
      expect(list.status).toBe(403);
      expect((await bodyOf(list)).detail).toMatch(`You may not see or change the sandboxes of job ${jobId}`);
      const assign = await assignOutput(output, 'other-payload');
      expect(assign.status).toBe(403);
      expect((await bodyOf(assign)).detail).toMatch(
        `You may not see or change the sandboxes of job ${jobId}`,
      );
    });

    it("refuses a job's sandboxes to the pilot credential, the job's pilot's, another's or an unbound one", async () => {
      const other = await registerPilot(runtime);
      const unbound = { as: 'pilot' as const };
      for (const init of [by('pilot'), by(other), unbound]) {
        const list = await runtime.api(`/api/jobs/${jobId}/sandbox`, init);
        expect(list.status).toBe(403);
        expect((await bodyOf(list)).detail).toMatch(
          'A pilot token may not call GET /api/jobs/{jobId}/sandbox',
        );
        const assign = await runtime.api(`/api/jobs/${jobId}/sandbox/output`, {
          method: 'PATCH',
          json: output,
          ...init,
        });
        expect(assign.status).toBe(403);
        expect((await bodyOf(assign)).detail).toMatch(
          'A pilot token may not call PATCH /api/jobs/{jobId}/sandbox/output',
        );
      }
    });

    it("refuses to assign to a job another user's sandbox, and to users and administrators", async () => {
      // bob's own sandbox, which the job wrapper of alice's job may not make that job's output.
      const bobs = await uploadSandbox(client(bobToken), packed.buffer, packed.checksum, packed.size);
      expect(bobs).toContain('/user/bob/sha256:');
      const foreign = await assignOutput(bobs);
      expect(foreign.status).toBe(403);
      expect((await bodyOf(foreign)).detail).toMatch(`You may not assign ${bobs} to job ${jobId}`);

      const bob = await runtime.api(`/api/jobs/${jobId}/sandbox/output`, {
        method: 'PATCH',
        as: 'none',
        headers: { authorization: `Bearer ${bobToken}` },
        json: output,
      });
      expect(bob.status).toBe(403);
      // Output sandboxes are the job wrapper's: not even the owner or an administrator assigns them.
      for (const as of ['user', 'admin'] as const) {
        const response = await assignOutput(output, as);
        expect(response.status, as).toBe(403);
        expect((await bodyOf(response)).detail).toMatch(
          'A user token may not call PATCH /api/jobs/{jobId}/sandbox/output',
        );
      }
      expect(await bodyOf(await sandboxesOf(jobId))).toEqual({ Input: [pfn], Output: [output] });
    });
  });
});
