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
import { insertJobs } from '#shared/jobs/store/write-jobs.ts';
import { newJobRecord } from '#shared/jobs/submission/submit.ts';
import { createSandboxPort } from '#shared/sandboxes/port.ts';
import { sandboxReferenceRegex } from '#shared/sandboxes/reference.ts';
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
  });

  it("refuses another user's sandbox with 403", async () => {
    const response = await download(pfn, { as: 'none', headers: { authorization: `Bearer ${bobToken}` } });
    expect(response.status).toBe(403);
    expect((await bodyOf(response)).detail).toMatch(/belongs to alice/);
  });

  it('lets an administrator and a pilot of the VO download it', async () => {
    expect((await download(pfn, { as: 'admin' })).status).toBe(200);
    expect((await download(pfn, { as: 'pilot' })).status).toBe(200);
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
    let output: string;
    let pilot: RegisteredPilot;

    beforeAll(async () => {
      const description = jobDescriptionSchema.parse({
        kind: 'jdl',
        jobName: 'with sandboxes',
        jobType: 'User',
        priority: 1,
        cpuTime: 100,
        inputSandbox: [pfn],
      });
      pilot = await registerPilot(runtime);
      // As the matcher leaves it: handed to this pilot.
      const job = {
        ...newJobRecord(alice, jobId, description, new Date().toISOString()),
        pilotReference: pilot.reference,
      };
      await insertJobs(runtime.aws.dynamo, runtime.resources.tables.jobs as string, [job]);
      output = (await uploadText('stdout.txt', 'job output\n')).pfn;
    });

    type Caller = 'user' | 'admin' | 'pilot' | RegisteredPilot;
    /** `'pilot'` is the job's pilot, with its credential. */
    const by = (as: Caller) =>
      typeof as !== 'string' ? asPilot(as) : as === 'pilot' ? asPilot(pilot) : { as };
    const sandboxesOf = (id: number, as: Caller = 'user') => runtime.api(`/api/jobs/${id}/sandbox`, by(as));
    const assignOutput = (reference: string, as: Caller = 'pilot', id = jobId) =>
      runtime.api(`/api/jobs/${id}/sandbox/output`, { method: 'PATCH', json: reference, ...by(as) });

    it('lists nothing before anything is assigned', async () => {
      expect(await bodyOf(await sandboxesOf(jobId))).toEqual({ Input: [], Output: [] });
    });

    it('lists input sandboxes JobSanity assigned and the output sandbox the pilot assigned', async () => {
      await port.assign(pfn, jobId, 'Input');
      await port.assign(pfn, jobId, 'Input');
      const patched = await assignOutput(output);
      expect(patched.status).toBe(200);
      expect(await patched.json()).toBeNull();
      expect((await assignOutput(output)).status).toBe(200);

      for (const as of ['user', 'admin', 'pilot'] as const) {
        const response = await sandboxesOf(jobId, as);
        expect(response.status, as).toBe(200);
        expect(await bodyOf(response)).toEqual({ Input: [pfn], Output: [output] });
      }
    });

    it("refuses another user's view of the job's sandboxes with 403 and an unknown job with 404", async () => {
      const bob = await runtime.api(`/api/jobs/${jobId}/sandbox`, {
        as: 'none',
        headers: { authorization: `Bearer ${bobToken}` },
      });
      expect(bob.status).toBe(403);
      expect((await sandboxesOf(jobId + 1)).status).toBe(404);
      expect((await sandboxesOf(Number.NaN)).status).toBe(422);
    });

    it('refuses to assign a sandbox that was never uploaded, or a malformed reference, with 400', async () => {
      const content = Buffer.from('never uploaded output');
      const registered = await bodyOf(await register(sha256(content), content.length));
      const response = await assignOutput(registered.pfn as string);
      expect(response.status).toBe(400);
      expect((await bodyOf(response)).detail).toMatch(/Sandbox not found/);
      expect((await assignOutput('SB:nothing')).status).toBe(400);
      expect((await assignOutput(output, 'pilot', jobId + 1)).status).toBe(404);
    });

    it('refuses the sandboxes of a job to a pilot it was not handed to, and to an unregistered one', async () => {
      const other = await registerPilot(runtime);
      expect((await sandboxesOf(jobId, other)).status).toBe(403);
      expect((await assignOutput(output, other)).status).toBe(403);
      const unbound = await runtime.api(`/api/jobs/${jobId}/sandbox`, { as: 'pilot' });
      expect(unbound.status).toBe(403);
      expect((await bodyOf(unbound)).detail).toMatch(/register with POST \/api\/pilots/);
    });

    it("refuses to assign a sandbox to another user's job with 403", async () => {
      const response = await runtime.api(`/api/jobs/${jobId}/sandbox/output`, {
        method: 'PATCH',
        as: 'none',
        headers: { authorization: `Bearer ${bobToken}` },
        json: output,
      });
      expect(response.status).toBe(403);
    });
  });
});
