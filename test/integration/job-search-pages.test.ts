/**
 * Pages of a search in JobID order (shared/jobs/search/ordered.ts) against the emulators: every
 * page, in both directions, through each read plan, must hold what brute force over the written
 * records puts there, and its Content-Range must be exact or, past the counting bound, `*` on a
 * full page only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobRecord } from '#shared/jobs/model.ts';
import { defaultSearchLimits, type SearchScope } from '#shared/jobs/search/plan.ts';
import type { SearchSpec, SortDirection } from '#shared/jobs/search/query.ts';
import type { JobTables } from '#shared/jobs/search/read.ts';
import { searchJobs, searchJobsResponse, searchTables } from '#shared/jobs/search/search.ts';
import { reserveJobIds } from '#shared/jobs/store/allocate-ids.ts';
import { insertFixtureJobs } from '#test/integration/support/job-items.ts';
import { startTestRuntime, type TestRuntime } from '#test/integration/support/runtime.ts';
import { records } from '#test/integration/support/search-jobs.ts';

const lhcbAdmin: SearchScope = { vo: 'lhcb' };
const lhcbAlice: SearchScope = { vo: 'lhcb', owner: 'alice', ownerGroup: 'lhcb_user' };

const cases: {
  name: string;
  scope: SearchScope;
  search: SearchSpec[];
  where: (job: JobRecord) => boolean;
}[] = [
  { name: 'a VO’s jobs (byVo blocks)', scope: lhcbAdmin, search: [], where: () => true },
  {
    name: 'a VO’s jobs with a filter in code (byVo blocks)',
    scope: lhcbAdmin,
    search: [{ parameter: 'JobName', operator: 'like', value: 'mc\\_%' }],
    where: (job) => job.jobName.startsWith('mc_'),
  },
  { name: 'a user’s own jobs (byOwner shards)', scope: lhcbAlice, search: [], where: () => true },
  {
    name: 'statuses with a JobID range (byStatus shards)',
    scope: lhcbAdmin,
    search: [
      { parameter: 'Status', operator: 'in', values: ['Waiting', 'Done'] },
      { parameter: 'JobID', operator: 'gt', value: 500 },
      { parameter: 'JobID', operator: 'lt', value: 3000 },
    ],
    where: (job) => ['Waiting', 'Done'].includes(job.status) && job.jobId > 500 && job.jobId < 3000,
  },
];

const expected = (scope: SearchScope, where: (job: JobRecord) => boolean, direction: SortDirection) =>
  records
    .filter((job) => job.vo === scope.vo && (scope.owner === undefined || job.owner === scope.owner))
    .filter(where)
    .map((job) => job.jobId)
    .sort((a, b) => (direction === 'asc' ? a - b : b - a));

describe('Job search pages in JobID order (emulators)', () => {
  let runtime: TestRuntime;
  let tables: JobTables;

  beforeAll(async () => {
    runtime = await startTestRuntime({ prefix: 'jobpages' });
    tables = searchTables(runtime.deps);
    expect(await reserveJobIds(runtime.aws.dynamo, tables.countersTable, 3500)).toBe(1);
    await insertFixtureJobs(runtime.aws.dynamo, tables.jobsTable, records);
  });
  afterAll(() => runtime?.stop());

  describe.each(cases)('$name', ({ scope, search, where }) => {
    it.each(['asc', 'desc'] as const)('holds on every page what brute force holds, %s', async (direction) => {
      const ids = expected(scope, where, direction);
      expect(ids.length).toBeGreaterThan(20);
      const perPage = 7;
      for (let page = 1; page <= Math.ceil(ids.length / perPage) + 1; page += 1) {
        const result = await searchJobs(
          tables,
          scope,
          { parameters: ['JobID'], search, sort: [{ parameter: 'JobID', direction }] },
          page,
          perPage,
        );
        expect(result.items.map((row) => row.JobID)).toEqual(ids.slice((page - 1) * perPage, page * perPage));
        expect(result.total).toBe(ids.length);
      }
    });

    it('says the total is unknown (*) on a full page past the counting bound, and exact at the end', async () => {
      const ids = expected(scope, where, 'desc');
      // Shards are read a little each at once (16 items at least): these few jobs are read to the end.
      const firstTotal = scope.owner || search.some((spec) => spec.parameter === 'Status') ? ids.length : '*';
      const limits = { ...defaultSearchLimits, countUpTo: 10 };
      const body = { parameters: ['JobID'], search, sort: [{ parameter: 'JobID', direction: 'desc' }] };
      const first = await searchJobsResponse(tables, scope, body, 1, 5, limits);
      expect(first.statusCode).toBe(206);
      expect(first.headers).toEqual({ 'content-range': `jobs 0-4/${firstTotal}` });
      expect(first.body).toEqual(ids.slice(0, 5).map((JobID) => ({ JobID })));

      const lastPage = Math.ceil(ids.length / 5);
      const last = await searchJobsResponse(tables, scope, body, lastPage, 5, limits);
      const from = (lastPage - 1) * 5;
      expect(last.headers).toEqual({ 'content-range': `jobs ${from}-${ids.length - 1}/${ids.length}` });
      const past = await searchJobsResponse(tables, scope, body, lastPage + 1, 5, limits);
      expect(past).toMatchObject({ statusCode: 416, headers: { 'content-range': `jobs */${ids.length}` } });
    });
  });

  it('shows the columns asked for, read after the walk for the page only', async () => {
    const byId = new Map(records.map((job) => [job.jobId, job]));
    const ids = expected(lhcbAdmin, () => true, 'desc').slice(50, 100);
    expect(ids).toHaveLength(50);
    const result = await searchJobs(
      tables,
      lhcbAdmin,
      {
        parameters: ['JobID', 'Status', 'JobName', 'Owner', 'Site', 'SubmissionTime'],
        sort: [{ parameter: 'JobID', direction: 'desc' }],
      },
      2,
      50,
    );
    expect(result.items).toEqual(
      ids.map((id) => {
        const job = byId.get(id) as JobRecord;
        return {
          JobID: job.jobId,
          Status: job.status,
          JobName: job.jobName,
          Owner: job.owner,
          Site: job.site ?? null,
          SubmissionTime: job.submissionTime,
        };
      }),
    );
  });

  it('keeps DiracX’s order, JobID ascending, when no sort is asked for', async () => {
    const result = await searchJobs(tables, lhcbAdmin, { parameters: ['JobID'] }, 2, 10);
    expect(result.items.map((row) => row.JobID)).toEqual(
      expected(lhcbAdmin, () => true, 'asc').slice(10, 20),
    );
  });
});
