import { describe, expect, it } from 'vitest';
import { compatiblePlatforms } from '#shared/config/platforms.ts';
import { createInputData, type Replica } from '#shared/executors/input-data.ts';
import { createJobPath } from '#shared/executors/job-path.ts';
import { createJobSanity, type SandboxInfo } from '#shared/executors/job-sanity.ts';
import { createJobScheduling } from '#shared/executors/job-scheduling.ts';
import { requiredTags } from '#shared/executors/tags.ts';
import type { JobRequirements } from '#shared/jobs/model.ts';
import { job, testConfig } from '#test/unit/executors/support.ts';

const known = new Set(['JobPath', 'JobSanity', 'InputData', 'JobScheduling', 'MyCheck']);

describe('JobPath', () => {
  it('chooses base path, InputData only with input data, and end path', async () => {
    const jobPath = createJobPath(testConfig(), known);
    expect(await jobPath.optimize(job())).toEqual({
      kind: 'continue',
      changes: { chain: ['JobPath', 'JobSanity', 'JobScheduling'] },
    });
    expect(await jobPath.optimize(job({ inputData: ['/vo.example.org/a'] }))).toMatchObject({
      changes: { chain: ['JobPath', 'JobSanity', 'InputData', 'JobScheduling'] },
    });
  });

  it("follows the job's own JobPath, and fails an unknown or unterminated one", async () => {
    const jobPath = createJobPath(testConfig(), known);
    expect(await jobPath.optimize(job({ jobPath: ['MyCheck', 'JobScheduling'] }))).toMatchObject({
      changes: { chain: ['JobPath', 'MyCheck', 'JobScheduling'] },
    });
    expect(await jobPath.optimize(job({ jobPath: ['Nope', 'JobScheduling'] }))).toMatchObject({
      kind: 'fail',
    });
    expect(await jobPath.optimize(job({ jobPath: ['JobSanity'] }))).toMatchObject({
      kind: 'fail',
      reason: 'JobPath must end with JobScheduling',
    });
  });

  it('refuses at start-up a configured chain with an unknown executor, naming the setting', () => {
    const config = testConfig();
    config.executors.basePath = ['JobPath', 'Typo'];
    expect(() => createJobPath(config, known)).toThrow(/executors\.basePath names unknown executors: Typo/);
  });
});

describe('JobSanity', () => {
  const ref = 'SB:SandboxSE|/S3/b/sandboxes/vo.example.org/user/alice/sha256:aa.tar.gz';
  const port = (info: SandboxInfo | undefined, assigned: string[] = []) => ({
    lookup: async () => info,
    assign: async (reference: string) => void assigned.push(reference),
  });
  const mine: SandboxInfo = { vo: 'vo.example.org', owner: 'alice', size: 10, uploaded: true };

  it('assigns uploaded sandboxes of the owner and continues', async () => {
    const assigned: string[] = [];
    const outcome = await createJobSanity(port(mine, assigned), 100).optimize(
      job({ inputSandbox: [ref, 'local.txt'] }),
    );
    expect(outcome).toEqual({ kind: 'continue' });
    expect(assigned).toEqual([ref]);
  });

  it.each([
    ['missing', undefined, 'Input sandbox not found'],
    ['not uploaded', { ...mine, uploaded: false }, 'Input sandbox not found'],
    ["someone else's", { ...mine, owner: 'bob' }, 'Input sandbox not owned by the job owner'],
    ['too large', { ...mine, size: 1000 }, 'Input sandbox too large'],
  ])('fails a job whose sandbox is %s', async (_, info, reason) => {
    expect(await createJobSanity(port(info), 100).optimize(job({ inputSandbox: [ref] }))).toMatchObject({
      kind: 'fail',
      reason,
    });
  });
});

describe('InputData', () => {
  const catalog = (replicas: Record<string, string[]>) => ({
    replicas: async (lfns: readonly string[]) =>
      new Map<string, Replica[]>(
        lfns
          .filter((lfn) => replicas[lfn])
          .map((lfn) => [lfn, (replicas[lfn] ?? []).map((se) => ({ lfn, se }))]),
      ),
  });

  it('counts disk and tape replicas per site, as DIRAC does', async () => {
    const outcome = await createInputData(
      testConfig(),
      catalog({ '/a': ['A-DISK', 'B-DISK'], '/b': ['A-TAPE', 'B-DISK'] }),
    ).optimize(job({ inputData: ['/a', '/b'] }));
    expect(outcome).toEqual({
      kind: 'continue',
      changes: { siteCandidates: { 'SITE.A.org': { disk: 1, tape: 1 }, 'SITE.B.org': { disk: 2, tape: 0 } } },
    });
  });

  it('fails with "Input data not available" naming the files without replicas', async () => {
    const outcome = await createInputData(testConfig(), catalog({ '/a': ['A-DISK'] })).optimize(
      job({ inputData: ['/a', '/gone'] }),
    );
    expect(outcome).toEqual({
      kind: 'fail',
      reason: 'Input data not available',
      detail: 'No replica of: /gone',
    });
  });

  it('fails when no single site holds every file, ignoring banned sites', async () => {
    const outcome = await createInputData(
      testConfig(),
      catalog({ '/a': ['A-DISK'], '/b': ['B-DISK'], '/c': ['X-DISK'] }),
    ).optimize(job({ inputData: ['/a', '/b'] }));
    expect(outcome).toMatchObject({ kind: 'fail', reason: 'No candidate sites available' });
    const banned = await createInputData(testConfig(), catalog({ '/c': ['X-DISK'] })).optimize(
      job({ inputData: ['/c'] }),
    );
    expect(banned).toMatchObject({ kind: 'fail', reason: 'No candidate sites available' });
  });
});

describe('JobScheduling', () => {
  const now = new Date('2026-01-01T01:00:00.000Z');
  const inserted: JobRequirements[] = [];
  const scheduling = (config = testConfig()) =>
    createJobScheduling(
      config,
      {
        insert: async (_job, requirements) => {
          inserted.push(requirements);
          return 'tq1';
        },
      },
      () => now,
    );

  it('puts a job without site requirements in its task queue as Waiting at ANY', async () => {
    expect(await scheduling().optimize(job({ cpuTime: 5000 }))).toMatchObject({
      kind: 'waiting',
      changes: {
        site: 'ANY',
        taskQueueId: 'tq1',
        requirements: { sites: [], cpuTime: 5000, jobTypes: ['User'] },
      },
    });
  });

  it('removes banned sites from the requested ones, and fails when none is left', async () => {
    expect(
      await scheduling().optimize(job({ sites: ['SITE.A.org', 'SITE.B.org'], bannedSites: ['SITE.B.org'] })),
    ).toMatchObject({
      changes: { site: 'SITE.A.org', requirements: { sites: ['SITE.A.org'], bannedSites: ['SITE.B.org'] } },
    });
    expect(await scheduling().optimize(job({ sites: ['SITE.A.org'], bannedSites: ['SITE.A.org'] }))).toEqual({
      kind: 'fail',
      reason: 'Impossible site requirement',
    });
  });

  it('holds a job whose requested sites are all banned by the administrators', async () => {
    expect(await scheduling().optimize(job({ sites: ['SITE.Banned.org'] }))).toMatchObject({
      kind: 'hold',
      seconds: 300,
      applicationStatus: 'Requested site(s) SITE.Banned.org are inactive',
    });
  });

  it("holds a rescheduled job for DIRAC's growing delay", async () => {
    const rescheduled = job({}, { rescheduleCounter: 2, rescheduleTime: '2026-01-01T00:59:00.000Z' });
    expect(await scheduling().optimize(rescheduled)).toMatchObject({
      kind: 'hold',
      seconds: 120,
      applicationStatus: 'On Hold: after rescheduling 2',
    });
    const waitedEnough = job({}, { rescheduleCounter: 1, rescheduleTime: '2026-01-01T00:58:00.000Z' });
    expect(await scheduling().optimize(waitedEnough)).toMatchObject({ kind: 'waiting' });
  });

  it('keeps only candidate sites that hold all the input data, preferring disk', async () => {
    const withData = (siteCandidates: Record<string, { disk: number; tape: number }>, sites: string[] = []) =>
      job({ inputData: ['/a', '/b'], sites }, { siteCandidates });
    expect(
      await scheduling().optimize(
        withData({ 'SITE.A.org': { disk: 1, tape: 1 }, 'SITE.B.org': { disk: 2, tape: 0 } }),
      ),
    ).toMatchObject({ changes: { site: 'SITE.B.org' } });
    expect(
      await scheduling().optimize(withData({ 'SITE.A.org': { disk: 2, tape: 0 } }, ['SITE.B.org'])),
    ).toEqual({
      kind: 'fail',
      reason: 'Impossible InputData * Site requirements',
    });
    expect(await scheduling().optimize(withData({ 'SITE.A.org': { disk: 1, tape: 0 } }))).toEqual({
      kind: 'fail',
      reason: 'Site candidates do not have all the input data',
    });
  });

  it('expands the platform into the DIRAC platforms compatible with it', () => {
    expect(compatiblePlatforms(testConfig(), 'EL9')).toEqual(['x86_64-linux']);
    expect(compatiblePlatforms(testConfig(), 'x86_64-linux')).toEqual(['x86_64-linux']);
    expect(compatiblePlatforms(testConfig(), 'ANY')).toEqual([]);
  });
});

describe('Tags from the job description (DIRAC _getTagsFromManifest)', () => {
  const tags = (d: Parameters<typeof job>[0]) => requiredTags(job(d).description);
  it.each([
    [{}, []],
    [{ tags: ['bof'] }, ['bof']],
    [{ maxRamMb: 2048 }, ['2GB']],
    [{ maxRamMb: 1024 }, []],
    [{ wholeNode: true, maxRamMb: 2048 }, ['WholeNode', 'MultiProcessor', '2GB']],
    [{ minProcessors: 1 }, []],
    [{ minProcessors: 4 }, ['4Processors', 'MultiProcessor']],
    [{ minProcessors: 4, maxProcessors: 12 }, ['4Processors', 'MultiProcessor']],
    [{ minProcessors: 1, maxProcessors: -1 }, ['MultiProcessor']],
    [{ gpus: 1 }, ['GPU']],
  ])('%j gives %j', (description, expected) => {
    expect(tags(description).sort()).toEqual([...expected].sort());
  });
});
