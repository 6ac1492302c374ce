/**
 * The data manager over HTTP on the embedded runtime: upload targets on an `s3` and a `file`
 * storage element, replica registration, replicas, downloads and directory listings, and who may
 * write where (a job wrapper, with its job's payload token, only for that job and where its outputs
 * may go; never the pilot with its own credential).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, type HeldJob, submitAndWait, takeJob } from '#test/integration/support/identities.ts';
import { asPilot, type RegisteredPilot, registerPilot } from '#test/integration/support/pilots.ts';
import {
  asOtherUser,
  bodyOf,
  startTestRuntime,
  type TestRuntime,
  testConfig,
} from '#test/integration/support/runtime.ts';

const vo = 'vo.example.org';
const home = `/${vo}/user/a/alice`;

describe('Data manager', () => {
  let runtime: TestRuntime;
  let fileRoot: string;
  let pilot: RegisteredPilot;
  let otherPilot: RegisteredPilot;
  /** alice's job with an OutputPath, held by `pilot`, and its payload token. */
  let job: HeldJob;
  let jobId: number;
  /** Another job of alice's held by the same pilot: only the job differs from `job`. */
  let otherJob: HeldJob;
  let bob: Awaited<ReturnType<typeof asOtherUser>>;
  const asBob = () => bob;

  type Init = Parameters<TestRuntime['api']>[1];
  /** `runtime.api` options of a call made by `held`'s job wrapper, with its payload token. */
  const asPayload = (held: HeldJob) => ({ as: 'none' as const, headers: bearer(held.payloadToken) });
  const upload = (json: Record<string, unknown>, init: Init = asPayload(job)) =>
    runtime.api('/api/data/upload', { method: 'POST', json, ...init });
  const register = (json: Record<string, unknown>, init: Init = asPayload(job)) =>
    runtime.api('/api/data/register', { method: 'POST', json, ...init });
  const get = (path: string, init: Init = {}) => runtime.api(path, init);
  const query = (path: string, params: Record<string, string>) => `${path}?${new URLSearchParams(params)}`;

  /** Uploads `text` as `lfn` to an SE through the target the API hands out, and registers it. */
  async function store(lfn: string, se: string, text: string, init: Init = asPayload(job), forJob = jobId) {
    const size = Buffer.byteLength(text);
    const target = await bodyOf(await upload({ LFN: lfn, SE: se, Size: size, JobID: forJob }, init));
    if (target.backend === 's3') {
      const put = await fetch(target.url as string, {
        method: 'PUT',
        headers: target.headers as Record<string, string>,
        body: text,
      });
      expect(put.status).toBe(200);
    } else {
      mkdirSync(dirname(target.path as string), { recursive: true });
      writeFileSync(target.path as string, text);
    }
    const registered = await register(
      { LFN: lfn, SE: se, PFN: target.pfn, Size: size, Checksum: 'adler32:0a1b2c3d', JobID: forJob },
      init,
    );
    expect(registered.status, JSON.stringify(await registered.clone().text())).toBe(204);
    return target;
  }

  beforeAll(async () => {
    fileRoot = mkdtempSync(join(tmpdir(), 'muon-file-se-'));
    const config = testConfig();
    config.storageElements['LOCAL-FILE'] = { kind: 'disk', backend: 'file', path: fileRoot };
    runtime = await startTestRuntime({ config });
    bob = await asOtherUser(runtime, 'bob');
    pilot = await registerPilot(runtime);
    otherPilot = await registerPilot(runtime);
    const [first, second] = (await submitAndWait(runtime, [
      `Executable = "echo"; OutputPath = "/${vo}/data/run1";`,
      'Executable = "echo";',
    ])) as [number, number];
    job = await takeJob(runtime, pilot, first);
    jobId = job.jobId;
    otherJob = await takeJob(runtime, pilot, second);
  });
  afterAll(async () => {
    await runtime?.stop();
    if (fileRoot) rmSync(fileRoot, { recursive: true, force: true });
  });

  it("hands a job's payload token a presigned PUT on an s3 SE, and serves the registered replica back", async () => {
    const lfn = `${home}/${jobId}/out.txt`;
    const target = await store(lfn, 'LOCAL-DISK', 'hello s3');
    expect(target).toMatchObject({ backend: 's3', method: 'PUT', pfn: `output-data${lfn}` });

    const replicas = await get(query('/api/data/replicas', { lfn }));
    expect(await bodyOf(replicas)).toEqual({
      LFN: lfn,
      Replicas: [{ SE: 'LOCAL-DISK', PFN: `output-data${lfn}`, Size: 8, Checksum: 'adler32:0a1b2c3d' }],
    });
    const source = await bodyOf(await get(query('/api/data/download', { lfn })));
    expect(source).toMatchObject({ backend: 's3', url: expect.any(String), checksum: 'adler32:0a1b2c3d' });
    expect(await (await fetch(source.url as string)).text()).toBe('hello s3');
  });

  it('gives a path under the root of a file SE, and the same path to download', async () => {
    const lfn = `${home}/${jobId}/local.txt`;
    const target = await store(lfn, 'LOCAL-FILE', 'hello file');
    const path = join(fileRoot, vo, 'user', 'a', 'alice', String(jobId), 'local.txt');
    expect(target).toEqual({ backend: 'file', path, pfn: path });
    expect(await bodyOf(await get(query('/api/data/download', { lfn, se: 'LOCAL-FILE' })))).toEqual({
      backend: 'file',
      path,
      checksum: 'adler32:0a1b2c3d',
    });
  });

  it('keeps one replica per LFN and SE, and prefers the SE asked for', async () => {
    const lfn = `${home}/${jobId}/both.txt`;
    await store(lfn, 'LOCAL-DISK', 'one');
    await store(lfn, 'LOCAL-FILE', 'one');
    await store(lfn, 'LOCAL-FILE', 'two');
    const { Replicas } = (await bodyOf(await get(query('/api/data/replicas', { lfn })))) as {
      Replicas: { SE: string; Size: number }[];
    };
    expect(Replicas.map((r) => [r.SE, r.Size]).sort()).toEqual([
      ['LOCAL-DISK', 3],
      ['LOCAL-FILE', 3],
    ]);
    expect((await bodyOf(await get(query('/api/data/download', { lfn, se: 'LOCAL-FILE' })))).backend).toBe(
      'file',
    );
  });

  it("lets a job's payload token write where the job's OutputPath says", async () => {
    await store(`/${vo}/data/run1/${jobId}.dat`, 'LOCAL-DISK', 'data');
  });

  it("refuses a job's payload token writing outside the owner's directory and the job's output path", async () => {
    const response = await upload({
      LFN: `/${vo}/user/b/bob/stolen.txt`,
      SE: 'LOCAL-DISK',
      Size: 1,
      JobID: jobId,
    });
    expect(response.status).toBe(403);
    expect((await bodyOf(response)).detail).toMatch(
      `Job ${jobId} may write only under ${home}, /${vo}/data/run1`,
    );
    // A sibling directory whose name starts like the allowed one is elsewhere too.
    const sibling = await upload({ LFN: `/${vo}/data/run10/x`, SE: 'LOCAL-DISK', Size: 1, JobID: jobId });
    expect(sibling.status).toBe(403);
  });

  it("refuses another job's payload token, and a payload token naming no job", async () => {
    const lfn = `${home}/${jobId}/other.txt`;
    const body = { LFN: lfn, SE: 'LOCAL-DISK', Size: 1, JobID: jobId };
    const registration = { ...body, PFN: `output-data${lfn}`, Checksum: 'adler32:1' };
    const foreign = await upload(body, asPayload(otherJob));
    expect(foreign.status).toBe(403);
    expect((await bodyOf(foreign)).detail).toMatch(`You may not write data for job ${jobId}`);
    const foreignRegistration = await register(registration, asPayload(otherJob));
    expect(foreignRegistration.status).toBe(403);
    expect((await bodyOf(foreignRegistration)).detail).toMatch(`You may not write data for job ${jobId}`);
    const { JobID: _, ...noJob } = body;
    const noJobAnswer = await upload(noJob);
    expect(noJobAnswer.status).toBe(403);
    expect((await bodyOf(noJobAnswer)).detail).toMatch(/JobID/);
    expect((await upload(body)).status).toBe(200);
  });

  it("refuses the pilot credential, the job's pilot's, another's or an unbound one", async () => {
    const lfn = `${home}/${jobId}/other.txt`;
    const body = { LFN: lfn, SE: 'LOCAL-DISK', Size: 1, JobID: jobId };
    const registration = { ...body, PFN: `output-data${lfn}`, Checksum: 'adler32:1' };
    for (const init of [asPilot(pilot), asPilot(otherPilot), { as: 'pilot' as const }]) {
      const target = await upload(body, init);
      expect(target.status).toBe(403);
      expect((await bodyOf(target)).detail).toMatch('A pilot token may not call POST /api/data/upload');
      const registered = await register(registration, init);
      expect(registered.status).toBe(403);
      expect((await bodyOf(registered)).detail).toMatch('A pilot token may not call POST /api/data/register');
    }
  });

  it('answers an unknown SE with 400 naming the known ones', async () => {
    const response = await upload({ LFN: `${home}/${jobId}/x`, SE: 'NOWHERE', Size: 1, JobID: jobId });
    expect(response.status).toBe(400);
    expect((await bodyOf(response)).detail).toBe(
      'Unknown storage element "NOWHERE"; known ones: LOCAL-DISK, LOCAL-FILE.',
    );
  });

  it('registers only the PFN it handed out, once the object is there with that size', async () => {
    const lfn = `${home}/${jobId}/never.txt`;
    const body = { LFN: lfn, SE: 'LOCAL-DISK', Size: 4, Checksum: 'adler32:1', JobID: jobId };
    const wrongPfn = await register({ ...body, PFN: 'output-data/elsewhere' });
    expect(wrongPfn.status).toBe(400);
    expect((await bodyOf(wrongPfn)).detail).toMatch(`is at output-data${lfn}`);
    const missing = await register({ ...body, PFN: `output-data${lfn}` });
    expect(missing.status).toBe(400);
    expect((await bodyOf(missing)).detail).toMatch(/upload the file first/);
    await store(`${home}/${jobId}/sized.txt`, 'LOCAL-DISK', 'four');
    const wrongSize = await register({
      ...body,
      LFN: `${home}/${jobId}/sized.txt`,
      PFN: `output-data${home}/${jobId}/sized.txt`,
      Size: 5,
    });
    expect(wrongSize.status).toBe(400);
    expect((await bodyOf(wrongSize)).detail).toMatch(/holds 4 bytes, not the 5/);
  });

  it('lets a user write under their own directory only', async () => {
    const mine = await upload({ LFN: `${home}/mine.txt`, SE: 'LOCAL-DISK', Size: 1 }, { as: 'user' });
    expect(mine.status).toBe(200);
    const theirs = await upload({ LFN: `${home}/mine.txt`, SE: 'LOCAL-DISK', Size: 1 }, asBob());
    expect(theirs.status).toBe(403);
    expect((await bodyOf(theirs)).detail).toMatch('You may write only under /vo.example.org/user/b/bob');
  });

  it('refuses malformed LFNs and LFNs of another VO', async () => {
    const dots = await upload({ LFN: `${home}/../bob/x`, SE: 'LOCAL-DISK', Size: 1, JobID: jobId });
    expect(dots.status).toBe(422);
    const foreign = await get(query('/api/data/replicas', { lfn: '/other.vo/user/a/alice/x' }));
    expect(foreign.status).toBe(403);
    expect((await get(query('/api/data/replicas', { lfn: `${home}/nothing` }))).status).toBe(404);
    expect(
      (await get(query('/api/data/download', { lfn: `${home}/${jobId}/out.txt`, se: 'LOCAL-FILE' }))).status,
    ).toBe(404);
  });

  it("lists a directory's files, for its owner and administrators only", async () => {
    const directory = `${home}/${jobId}`;
    const listing = await get(query('/api/data/list', { path: `${directory}/` }));
    expect(listing.status).toBe(200);
    const { Files, next } = (await bodyOf(listing)) as {
      Files: { LFN: string; SE: string }[];
      next?: string;
    };
    expect(next).toBeUndefined();
    expect(Files).toEqual(
      expect.arrayContaining([
        { LFN: `${directory}/out.txt`, SE: 'LOCAL-DISK', Size: 8 },
        { LFN: `${directory}/local.txt`, SE: 'LOCAL-FILE', Size: 10 },
      ]),
    );
    expect(Files.every((f) => f.LFN.startsWith(`${directory}/`))).toBe(true);
    expect((await get(query('/api/data/list', { path: directory }), asBob())).status).toBe(403);
    expect((await get(query('/api/data/list', { path: directory }), { as: 'admin' })).status).toBe(200);
    expect((await get(query('/api/data/list', { path: directory, next: 'bogus' }))).status).toBe(400);
  });
});
