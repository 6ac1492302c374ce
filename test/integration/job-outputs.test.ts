/**
 * A job's outputs end to end on the embedded runtime: the job wrapper, with the job's payload token,
 * uploads its output sandbox on the owner's behalf, its output data to a storage element, and
 * reports the CWL output object; the owner reads them back, and `muon job output` puts them on disk
 * with local locations. Neither the pilot's own credential nor an administrator writes them.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiClient, resolveClient } from '#cli/client.ts';
import { downloadJobOutputs } from '#cli/outputs.ts';
import { packSandbox } from '#cli/sandbox.ts';
import { writeLocalFile } from '#local/home.ts';
import { bearer, type HeldJob, takeJob } from '#test/integration/support/identities.ts';
import { submitWaiting } from '#test/integration/support/jobs.ts';
import { asPilot, type RegisteredPilot, registerPilot } from '#test/integration/support/pilots.ts';
import {
  asOtherUser,
  bodyOf,
  startTestRuntime,
  type TestRuntime,
} from '#test/integration/support/runtime.ts';

const vo = 'vo.example.org';

// The CLI must find the API through local.json alone.
const { MUON_API_URL: _url, MUON_TOKEN: _token, ...cliEnv } = process.env;

describe('Job outputs', () => {
  let runtime: TestRuntime;
  let scratch: string;
  let cliHome: string;
  let user: ApiClient;
  let pilot: RegisteredPilot;
  let otherPilot: RegisteredPilot;
  let bob: Awaited<ReturnType<typeof asOtherUser>>;
  type Init = Parameters<TestRuntime['api']>[1];
  const asBob = () => bob;
  /** `runtime.api` options of a call made by `job`'s job wrapper, with its payload token. */
  const asPayload = (job: HeldJob) => ({ as: 'none' as const, headers: bearer(job.payloadToken) });
  const putOutputs = (job: HeldJob, json: unknown, init: Init = asPayload(job)) =>
    runtime.api(`/api/jobs/${job.jobId}/outputs`, { method: 'PUT', json, ...init });
  const getOutputs = (jobId: number, init: Init = {}) => runtime.api(`/api/jobs/${jobId}/outputs`, init);
  const muon = (...args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        ['bin/muon.mjs', ...args],
        { env: { ...cliEnv, MUON_HOME: cliHome, NO_COLOR: '1' } },
        (error, stdout, stderr) =>
          resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
      );
    });

  /** A job of alice's that the matcher has handed to `pilot`, with its payload token. */
  async function matchedJob(): Promise<HeldJob> {
    const [jobId] = (await submitWaiting(runtime, 'Executable = "echo";')) as [number];
    return takeJob(runtime, pilot, jobId);
  }

  /**
   * What a job wrapper does at the end, with the job's payload token: sandbox up and assigned, data
   * up and registered, outputs reported.
   */
  async function finishJob(job: HeldJob) {
    const { jobId } = job;
    const work = join(scratch, `work-${jobId}`);
    mkdirSync(join(work, 'outputs', 'plots'), { recursive: true });
    writeFileSync(join(work, 'outputs', 'result.txt'), 'forty-two\n');
    writeFileSync(join(work, 'outputs', 'plots', 'a.png'), 'png');
    // Sandboxes are stored by checksum: without this, two jobs packed in the same second share one.
    writeFileSync(join(work, 'outputs', 'job.txt'), `${jobId}\n`);
    const sandbox = await packSandbox(['outputs'], work);
    const registered = await runtime.api(`/api/jobs/${jobId}/sandbox/output`, {
      method: 'POST',
      ...asPayload(job),
      json: {
        checksum_algorithm: 'sha256',
        checksum: sandbox.checksum,
        size: sandbox.size,
        format: 'tar.gz',
      },
    });
    expect(registered.status).toBe(200);
    const upload = await bodyOf(registered);
    const put = await fetch(upload.url as string, {
      method: 'PUT',
      headers: upload.headers as Record<string, string>,
      body: sandbox.buffer,
    });
    expect(put.status).toBe(200);
    const assigned = await runtime.api(`/api/jobs/${jobId}/sandbox/output`, {
      method: 'PATCH',
      ...asPayload(job),
      json: upload.pfn,
    });
    expect(assigned.status).toBe(200);

    const lfn = `/${vo}/user/a/alice/${jobId}/big.dat`;
    const target = await bodyOf(
      await runtime.api('/api/data/upload', {
        method: 'POST',
        ...asPayload(job),
        json: { LFN: lfn, SE: 'LOCAL-DISK', Size: 4, JobID: jobId },
      }),
    );
    const stored = await fetch(target.url as string, {
      method: 'PUT',
      headers: target.headers as Record<string, string>,
      body: 'data',
    });
    expect(stored.status).toBe(200);
    const replica = { LFN: lfn, SE: 'LOCAL-DISK', Size: 4, Checksum: 'adler32:1' };
    const replicaRegistered = await runtime.api('/api/data/register', {
      method: 'POST',
      ...asPayload(job),
      json: { ...replica, PFN: target.pfn, JobID: jobId },
    });
    expect(replicaRegistered.status).toBe(204);
    const outputs = {
      CWLOutput: {
        result: { class: 'File', location: 'sandbox:outputs/result.txt', basename: 'result.txt', size: 10 },
        plots: {
          class: 'Directory',
          location: 'sandbox:outputs/plots',
          listing: [{ class: 'File', location: 'sandbox:outputs/plots/a.png' }],
        },
        big: { class: 'File', location: `lfn:${lfn}`, basename: 'big.dat' },
      },
      OutputData: [replica],
      OutputSandbox: upload.pfn,
    };
    expect((await putOutputs(job, outputs)).status).toBe(204);
    return { outputs, lfn, pfn: upload.pfn as string };
  }

  beforeAll(async () => {
    runtime = await startTestRuntime();
    scratch = mkdtempSync(join(tmpdir(), 'muon-outputs-'));
    cliHome = mkdtempSync(join(tmpdir(), 'muon-outputs-home-'));
    writeLocalFile(cliHome, { apiUrl: runtime.apiUrl, tokens: runtime.tokens });
    user = resolveClient({ apiUrl: runtime.apiUrl, token: runtime.tokens.user }, { MUON_HOME: runtime.home });
    bob = await asOtherUser(runtime, 'bob');
    pilot = await registerPilot(runtime);
    otherPilot = await registerPilot(runtime);
  });
  afterAll(async () => {
    await runtime?.stop();
    for (const dir of [scratch, cliHome]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('keeps what the job wrapper reports for the owner to read', async () => {
    const job = await matchedJob();
    const { jobId } = job;
    expect(await bodyOf(await getOutputs(jobId))).toEqual({});
    const { outputs, pfn } = await finishJob(job);
    expect(pfn).toMatch(`/sandboxes/${vo}/user/alice/sha256:`);
    expect(await bodyOf(await getOutputs(jobId))).toEqual(outputs);
    expect(await bodyOf(await getOutputs(jobId, { as: 'admin' }))).toEqual(outputs);
    expect((await getOutputs(jobId, asBob())).status).toBe(403);
    expect((await getOutputs(jobId, asPilot(pilot))).status).toBe(403);
    expect((await getOutputs(jobId, asPayload(job))).status).toBe(403);
    const sandboxes = await bodyOf(await runtime.api(`/api/jobs/${jobId}/sandbox`));
    expect(sandboxes.Output).toEqual([pfn]);
  });

  it("takes outputs only from the job's own payload token", async () => {
    const job = await matchedJob();
    const { jobId } = job;
    // Another job of alice's, held by the same pilot: only the job differs.
    const other = await matchedJob();
    const outputs = { MissingFiles: ['x.root'] };
    const putRoute = 'PUT /api/jobs/{jobId}/outputs';
    const refused = async (init: Init, detail: string) => {
      const response = await putOutputs(job, outputs, init);
      expect(response.status, detail).toBe(403);
      expect((await bodyOf(response)).detail).toMatch(detail);
    };
    await refused(asPayload(other), `Only the job wrapper of job ${jobId}, with its payload token`);
    await refused(asPilot(pilot), `A pilot token may not call ${putRoute}`);
    await refused(asPilot(otherPilot), `A pilot token may not call ${putRoute}`);
    await refused({ as: 'pilot' }, `A pilot token may not call ${putRoute}`);
    await refused({ as: 'user' }, `A user token may not call ${putRoute}`);
    await refused({ as: 'admin' }, `A user token may not call ${putRoute}`);
    expect(await bodyOf(await getOutputs(jobId))).toEqual({});
    expect((await putOutputs(job, outputs)).status).toBe(204);
    expect(await bodyOf(await getOutputs(jobId))).toEqual(outputs);
    expect((await putOutputs({ ...job, jobId: 999_999 }, outputs)).status).toBe(404);

    const sandboxInfo = {
      checksum_algorithm: 'sha256',
      checksum: 'a'.repeat(64),
      size: 10,
      format: 'tar.gz',
    };
    const outputSandbox = (init: Init) =>
      runtime.api(`/api/jobs/${jobId}/sandbox/output`, { method: 'POST', json: sandboxInfo, ...init });
    const foreign = await outputSandbox(asPayload(other));
    expect(foreign.status).toBe(403);
    expect((await bodyOf(foreign)).detail).toMatch(`You may not see or change the sandboxes of job ${jobId}`);
    for (const init of [asPilot(pilot), asPilot(otherPilot), { as: 'admin' as const }]) {
      const response = await outputSandbox(init);
      expect(response.status).toBe(403);
      expect((await bodyOf(response)).detail).toMatch('may not call POST /api/jobs/{jobId}/sandbox/output');
    }
    expect((await outputSandbox(asPayload(job))).status).toBe(200);
  });

  it('refuses outputs over 100 KB of JSON, and unknown fields', async () => {
    const job = await matchedJob();
    const big = await putOutputs(job, { MissingFiles: ['x'.repeat(101 * 1024)] });
    expect(big.status).toBe(400);
    expect((await bodyOf(big)).detail).toMatch(/at most 102400 are kept/);
    expect((await putOutputs(job, { Bogus: 1 })).status).toBe(422);
  });

  it('downloads the sandbox and writes the CWL output object with local locations', async () => {
    const job = await matchedJob();
    const { jobId } = job;
    const { lfn } = await finishJob(job);
    const dir = join(scratch, `job-${jobId}`);
    const result = await downloadJobOutputs(user, jobId, { dir, data: false });
    expect(readFileSync(join(dir, 'outputs', 'result.txt'), 'utf8')).toBe('forty-two\n');
    expect(result.outputObject).toBe(join(dir, 'cwl.output.json'));
    const written = JSON.parse(readFileSync(join(dir, 'cwl.output.json'), 'utf8'));
    expect(written.result).toMatchObject({
      location: pathToFileURL(join(dir, 'outputs', 'result.txt')).href,
      path: join(dir, 'outputs', 'result.txt'),
    });
    expect(written.plots.listing[0].path).toBe(join(dir, 'outputs', 'plots', 'a.png'));
    expect(written.big.location).toBe(`lfn:${lfn}`);

    const withData = join(scratch, `job-${jobId}-data`);
    const downloaded = await downloadJobOutputs(user, jobId, { dir: withData, data: true });
    expect(downloaded.data).toEqual([{ lfn, path: join(withData, 'outputs', 'big.dat') }]);
    expect(readFileSync(join(withData, 'outputs', 'big.dat'), 'utf8')).toBe('data');
    const local = JSON.parse(readFileSync(join(withData, 'cwl.output.json'), 'utf8'));
    expect(local.big.path).toBe(join(withData, 'outputs', 'big.dat'));
  });

  it('muon job output says when a job has no output yet, and lists what it wrote', async () => {
    const [waiting] = (await submitWaiting(runtime, 'Executable = "echo";')) as [number];
    const early = await muon('job', 'output', String(waiting));
    expect(early.code).toBe(1);
    expect(early.stderr).toMatch(`muon: Job ${waiting} has no output yet: it is Waiting`);

    const job = await matchedJob();
    const { jobId } = job;
    const { lfn } = await finishJob(job);
    const dir = join(scratch, `cli-${jobId}`);
    const run = await muon('job', 'output', String(jobId), '--dir', dir, '--data');
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain(`Job ${jobId}: outputs in ${dir}`);
    expect(run.stdout).toContain('unpacked    outputs/result.txt');
    expect(run.stdout).toContain(`downloaded  outputs/big.dat (${lfn})`);
    expect(run.stdout).toContain('wrote       cwl.output.json');

    const ls = await muon('data', 'ls', `/${vo}/user/a/alice/${jobId}`);
    expect(ls.stdout).toMatch(new RegExp(`${lfn}\\s+LOCAL-DISK\\s+4`));
    const dest = join(scratch, `got-${jobId}.dat`);
    const got = await muon('data', 'get', lfn, '--dest', dest);
    expect(got.stdout.trim()).toBe(dest);
    expect(readFileSync(dest, 'utf8')).toBe('data');
  });
});
