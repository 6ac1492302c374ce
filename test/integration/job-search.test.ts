/**
 * Job search and summary against the emulators: a few hundred jobs of two VOs, spread over four
 * blocks of job ids, written straight into the jobs table. Each read plan must give what brute
 * force over the written records gives.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BadRequestError } from '#shared/errors.ts';
import type { JobRecord } from '#shared/jobs/model.ts';
import { planRead, readJobs, type SearchScope } from '#shared/jobs/search/plan.ts';
import { compileFilters, type SearchParams, type SearchSpec } from '#shared/jobs/search/query.ts';
import type { JobTables } from '#shared/jobs/search/read.ts';
import { searchJobs, searchJobsResponse, searchTables } from '#shared/jobs/search/search.ts';
import { summarizeJobs } from '#shared/jobs/search/summary.ts';
import { reserveJobIds } from '#shared/jobs/store/allocate-ids.ts';
import { insertFixtureJobs } from '#test/integration/support/job-items.ts';
import { startTestRuntime, type TestRuntime } from '#test/integration/support/runtime.ts';
import { records } from '#test/integration/support/search-jobs.ts';

const lhcbAdmin: SearchScope = { vo: 'lhcb' };
const lhcbAlice: SearchScope = { vo: 'lhcb', owner: 'alice' };

/** What a search must find: the records in scope that `where` accepts, in JobID order. */
const bruteForce = (scope: SearchScope, where: (job: JobRecord) => boolean = () => true) =>
  records
    .filter((job) => job.vo === scope.vo && (scope.owner === undefined || job.owner === scope.owner))
    .filter(where)
    .map((job) => job.jobId);

describe('Job search (emulators)', () => {
  let runtime: TestRuntime;
  let tables: JobTables;

  const foundIds = async (scope: SearchScope, search: SearchSpec[], extra: SearchParams = {}) => {
    const result = await searchJobs(tables, scope, { ...extra, search, parameters: ['JobID'] }, 1, 10_000);
    return result.items.map((row) => row.JobID);
  };

  beforeAll(async () => {
    runtime = await startTestRuntime({ prefix: 'jobsearch' });
    tables = searchTables(runtime.deps);
    expect(tables).toMatchObject({ jobsTable: runtime.resources.tables.jobs });
    // The ids come from the real allocator, so the counter knows the highest one.
    expect(await reserveJobIds(runtime.aws.dynamo, tables.countersTable, 3500)).toBe(1);
    await insertFixtureJobs(runtime.aws.dynamo, tables.jobsTable, records);
  });
  afterAll(() => runtime?.stop());

  describe('read plans give what brute force gives', () => {
    const cases: {
      name: string;
      kind: string;
      scope: SearchScope;
      search: SearchSpec[];
      where: (job: JobRecord) => boolean;
    }[] = [
      {
        name: 'JobID in → BatchGet',
        kind: 'jobIds',
        scope: lhcbAdmin,
        search: [{ parameter: 'JobID', operator: 'in', values: [1, 11, 31, 2001, '2011', 99_999] }],
        where: (job) => [1, 11, 31, 2001, 2011].includes(job.jobId),
      },
      {
        name: 'a normal user → byOwner',
        kind: 'byOwner',
        scope: lhcbAlice,
        search: [{ parameter: 'Site', operator: 'neq', value: 'LCG.RAL.uk' }],
        where: (job) => job.site !== 'LCG.RAL.uk',
      },
      {
        name: 'Owner eq → byOwner, with a JobID range as key condition',
        kind: 'byOwner',
        scope: lhcbAdmin,
        search: [
          { parameter: 'Owner', operator: 'eq', value: 'bob' },
          { parameter: 'JobID', operator: 'gt', value: 500 },
          { parameter: 'JobID', operator: 'lt', value: 2600 },
        ],
        where: (job) => job.owner === 'bob' && job.jobId > 500 && job.jobId < 2600,
      },
      {
        name: 'Status in → byStatus',
        kind: 'byStatus',
        scope: lhcbAdmin,
        search: [
          { parameter: 'Status', operator: 'in', values: ['Done', 'Failed'] },
          { parameter: 'JobName', operator: 'like', value: 'mc\\_%' },
        ],
        where: (job) => ['Done', 'Failed'].includes(job.status) && job.jobName.startsWith('mc_'),
      },
      {
        name: 'a time and a like → byVo walk',
        kind: 'byVo',
        scope: lhcbAdmin,
        search: [
          { parameter: 'SubmissionTime', operator: 'eq', value: '2025-03' },
          { parameter: 'Site', operator: 'like', value: 'LCG.%' },
        ],
        where: (job) => job.submissionTime.startsWith('2025-03') && job.site.startsWith('LCG.'),
      },
      {
        name: 'a JobID range and a regex → byVo walk of some blocks',
        kind: 'byVo',
        scope: lhcbAdmin,
        search: [
          { parameter: 'JobID', operator: 'gt', value: '1200' },
          { parameter: 'JobID', operator: 'lt', value: 3100 },
          { parameter: 'JobName', operator: 'regex', value: '^user job \\d*5$' },
        ],
        where: (job) => job.jobId > 1200 && job.jobId < 3100 && /^user job \d*5$/.test(job.jobName),
      },
      {
        name: 'unset times never match → byVo walk',
        kind: 'byVo',
        scope: { vo: 'dteam' },
        search: [{ parameter: 'StartExecTime', operator: 'lt', value: '2025-04' }],
        where: (job) => job.startExecTime !== undefined && job.startExecTime < '2025-04',
      },
    ];

    for (const { name, kind, scope, search, where } of cases) {
      it(name, async () => {
        expect(planRead(scope, compileFilters(search)).kind).toBe(kind);
        const expected = bruteForce(scope, where);
        expect(expected.length).toBeGreaterThan(0);
        expect(await foundIds(scope, search)).toEqual(expected);
      });
    }

    it('reads only the partitions it needs', async () => {
      const byStatus = await readJobs(
        tables,
        lhcbAdmin,
        compileFilters([{ parameter: 'Status', operator: 'eq', value: 'Done' }]),
      );
      expect(byStatus.read).toBe(bruteForce(lhcbAdmin, (job) => job.status === 'Done').length);
      const range = compileFilters([
        { parameter: 'JobID', operator: 'gt', value: 1000 },
        { parameter: 'JobID', operator: 'lt', value: 2000 },
      ]);
      const walk = await readJobs(tables, lhcbAdmin, range);
      expect(walk.plan).toEqual({ kind: 'byVo', range: { low: 1001, high: 1999 } });
      expect(walk.read).toBe(bruteForce(lhcbAdmin, (job) => job.jobId > 1000 && job.jobId < 2000).length);
    });
  });

  describe('scopes', () => {
    it('never returns another VO’s jobs, whatever the plan', async () => {
      const dteam = { vo: 'dteam' };
      expect(await foundIds(dteam, [])).toEqual(bruteForce(dteam));
      const lhcbIds = bruteForce(lhcbAdmin).slice(0, 20);
      expect(await foundIds(dteam, [{ parameter: 'JobID', operator: 'in', values: lhcbIds }])).toEqual([]);
      expect(await foundIds(dteam, [{ parameter: 'VO', operator: 'eq', value: 'lhcb' }])).toEqual([]);
    });

    it('shows a normal user only their own jobs, even when they ask for others', async () => {
      const all = await searchJobs(tables, lhcbAlice, {}, 1, 10_000);
      expect(all.items.every((row) => row.Owner === 'alice' && row.VO === 'lhcb')).toBe(true);
      expect(all.total).toBe(bruteForce(lhcbAlice).length);
      expect(await foundIds(lhcbAlice, [{ parameter: 'Owner', operator: 'eq', value: 'bob' }])).toEqual([]);
      const bobsJob = records.find((job) => job.vo === 'lhcb' && job.owner === 'bob') as JobRecord;
      expect(
        await foundIds(lhcbAlice, [{ parameter: 'JobID', operator: 'eq', value: bobsJob.jobId }]),
      ).toEqual([]);
    });
  });

  describe('pages', () => {
    const scope = lhcbAdmin;
    const total = bruteForce(scope).length;

    it('answers 206 with Content-Range for a partial page, sorted as asked', async () => {
      const response = await searchJobsResponse(
        tables,
        scope,
        {
          parameters: ['JobID', 'SubmissionTime'],
          sort: [{ parameter: 'SubmissionTime', direction: 'desc' }],
        },
        2,
        50,
      );
      expect(response.statusCode).toBe(206);
      expect(response.headers).toEqual({ 'content-range': `jobs 50-99/${total}` });
      const expected = records
        .filter((job) => job.vo === 'lhcb')
        .sort((a, b) => b.submissionTime.localeCompare(a.submissionTime) || a.jobId - b.jobId)
        .slice(50, 100)
        .map((job) => ({ JobID: job.jobId, SubmissionTime: job.submissionTime }));
      expect(response.body).toEqual(expected);
    });

    it('answers 416 with Content-Range */total past the end, and 200 when everything fits', async () => {
      const past = await searchJobsResponse(tables, scope, {}, 100, 50);
      expect(past).toMatchObject({ statusCode: 416, headers: { 'content-range': `jobs */${total}` } });
      const all = await searchJobsResponse(tables, scope, { parameters: ['JobID'] }, 1, 10_000);
      expect(all.statusCode).toBe(200);
      expect(all.body).toHaveLength(total);
    });

    it('counts distinct rows', async () => {
      const result = await searchJobs(tables, scope, { parameters: ['Owner'], distinct: true });
      expect(result.items).toEqual([{ Owner: 'alice' }, { Owner: 'bob' }, { Owner: 'carol' }]);
      expect(result.total).toBe(3);
    });
  });

  it('summarises counts per group of columns, as brute force counts them', async () => {
    const rows = await summarizeJobs(tables, lhcbAdmin, {
      grouping: ['Status', 'Owner'],
      search: [{ parameter: 'Site', operator: 'neq', value: 'DIRAC.Jenkins.ch' }],
    });
    const counts = new Map<string, number>();
    for (const job of records) {
      if (job.vo !== 'lhcb' || job.site === 'DIRAC.Jenkins.ch') continue;
      const key = `${job.status}/${job.owner}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(rows.map((row) => [`${row.Status}/${row.Owner}`, row.count])).toEqual(
      [...counts].sort(([a], [b]) => (a < b ? -1 : 1)),
    );
    const mine = await summarizeJobs(tables, lhcbAlice, { grouping: ['Owner'] });
    expect(mine).toEqual([{ Owner: 'alice', count: bruteForce(lhcbAlice).length }]);
  });

  it('adds each job’s LoggingInfo from its history', async () => {
    const job = records.find((r) => r.vo === 'lhcb' && r.status === 'Done') as JobRecord;
    const result = await searchJobs(tables, lhcbAdmin, {
      parameters: ['Status', 'LoggingInfo'],
      search: [{ parameter: 'JobID', operator: 'eq', value: job.jobId }],
    });
    expect(result.items).toEqual([
      {
        JobID: job.jobId,
        Status: 'Done',
        LoggingInfo: [
          {
            Status: 'Received',
            MinorStatus: 'Job accepted',
            ApplicationStatus: 'Unknown',
            StatusTime: job.history[0]?.time,
            Source: 'JobManager',
          },
          {
            Status: 'Done',
            MinorStatus: 'Job accepted',
            ApplicationStatus: 'Unknown',
            StatusTime: job.history[1]?.time,
            Source: 'Test',
          },
        ],
      },
    ]);
  });

  it('refuses a search that would read more than the bound, and serves it once filtered', async () => {
    const limits = { maxItemsRead: 100, maxVoBlocks: 5_000, concurrency: 4 };
    const refused = searchJobs(tables, lhcbAdmin, {}, 1, 100, limits);
    await expect(refused).rejects.toBeInstanceOf(BadRequestError);
    await expect(refused).rejects.toThrow('add a filter on Status, Owner or JobID');
    const narrowed = await searchJobs(
      tables,
      lhcbAdmin,
      { search: [{ parameter: 'Status', operator: 'eq', value: 'Waiting' }] },
      1,
      100,
      limits,
    );
    expect(narrowed.total).toBe(bruteForce(lhcbAdmin, (job) => job.status === 'Waiting').length);
  });
});
